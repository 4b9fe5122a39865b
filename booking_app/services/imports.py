"""Import of the centre's old booking ledger (予約台帳) kept in Excel: ``.xlsx`` or ``.csv``.

All rows or none. Every row is read and checked first (dates, rooms, times, groups, equipment,
double bookings between rows and with what the database already holds); if any row is wrong,
nothing is written and every problem is reported with its row number as the file shows it
(the heading is row 1), its column and a Japanese reason, so staff can fix the file in Excel and
try again.

Past rows are history: they lie outside today's booking window and may break the opening hours or
fall on a closed day (it happened), so they are written as a manager's override with the reason
'台帳からの取込' and any such break is listed as a notice. Rows from today on are bookings still to
come: one that breaks a rule (closed day, opening hours, booking window) is an error, unless
the manager who imports gives an explicit reason (``override_reason``), which is then recorded on each
such booking, as a rule override at the desk is. "Today" is the app's one clock (``local_now()``).
Nothing is guessed: past rows become 確定 (the ledger does not say who came), a row whose 備考
says 取消 becomes 取消 with that note as its reason. A double booking names every row (and existing
booking) it overlaps.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.schema import Table as DbTable

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours
from booking_app.domain.booking_rules import GROUP_BARRED, BookingStatus, overlaps, peak_in_use
from booking_app.services import tabular
from booking_app.services.booking_views import blocks_slot_sql, overlap_error
from booking_app.services.booking_plan import hm
from booking_app.services.bookings import expire_overdue_holds
from booking_app.services.centre import get_profile
from booking_app.domain.errors import ValidationError
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.import_limits import ImportLimits, get_import_limits
from booking_app.services.tabular import (
    RowChecker,
    Table,
    TableReport,
    cell_date,
    cell_text,
    cell_time,
    find_header,
    fold,
    heading_lookup,
    open_table,
    parse_rows,
)
from booking_app.store.models import Booking, BookingEquipment, EquipmentType, MemberGroup, Room

OVERRIDE_REASON = "台帳からの取込"
BARRED_GROUP_STATES = GROUP_BARRED  # the one list (domain/booking_rules); the old name for callers
GOOD_GROUP_STATES = ("active", "renewal_due")

# Canonical column → other headings seen in centres' ledgers.
COLUMNS: dict[str, tuple[str, ...]] = {
    "利用日": ("日付", "予約日", "使用日"),
    "曜日": (),
    "部屋": ("室名", "会議室", "部屋名", "施設"),
    "区分": ("時間区分", "時間帯"),
    "開始": ("開始時刻", "開始時間"),
    "終了": ("終了時刻", "終了時間"),
    "団体名": ("利用者", "利用者名", "団体名・氏名", "氏名"),
    "登録番号": ("団体番号", "登録No", "登録NO"),
    "代表者": ("代表者名", "責任者"),
    "電話番号": ("電話", "連絡先"),
    "予定人数": ("人数", "利用人数"),
    "目的": ("利用目的",),
    "備品": ("貸出備品", "備品・機材"),
    "備考": ("メモ",),
}
REQUIRED = ("利用日", "部屋", "団体名", "目的")

_CANCEL_WORDS = ("取消", "取り消し", "取りけし", "キャンセル", "中止")
_NO_SHOW_WORDS = ("無断",)
_PERSON_RE = re.compile(r"^個人(?:利用)?\s*[（(]\s*(.+?)\s*[)）]$")
_EQUIP_SPLIT_RE = re.compile(r"[、,;；/・\s]+")
_EQUIP_TOKEN_RE = re.compile(r"^(.+?)\s*[×xX*]?\s*(\d+)?\s*(?:台|枚|個|本|セット|式|組)?$")


SHEET_NAME = "予約台帳"
_HEADINGS = heading_lookup(COLUMNS)

# One problem (or notice) of the file: row as numbered in Excel (heading = 1), column, reason.
ImportIssue = tabular.TableIssue


@dataclass
class ImportReport(TableReport):
    """What an import did, or would do (取込結果)."""

    TITLE = "予約台帳"

    bookings: int = 0  # rows that are (or would be) imported
    cancelled: int = 0
    no_show: int = 0
    past: int = 0  # rows dated before today, imported as a manager's override
    overridden: int = 0  # rows from today on that break a rule, imported with the manager's reason
    override_reason: str = ""
    rule_errors: int = 0  # errors that only a manager's reason would let through
    new_groups: list[tuple[str, str]] = field(default_factory=list)  # (reg_no, name) registered on the fly
    matched_groups: int = 0
    booking_ids: tuple[int, ...] = ()

    def result_lines(self) -> list[str]:
        verb = "取込予定" if not self.written else "取込"
        extra = []
        if self.cancelled:
            extra.append(f"取消{self.cancelled}件")
        if self.no_show:
            extra.append(f"無断キャンセル{self.no_show}件")
        lines = [f"{verb}：予約{self.bookings}件" + (f"（うち{'、'.join(extra)}）" if extra else "")]
        if self.past:
            lines.append(f"  過去の日付の{self.past}件は「{OVERRIDE_REASON}」として確定の予約で登録"
                         "（利用人数は台帳にないため、利用済にはしません）")
        if self.overridden:
            lines.append(f"  これからの日付で規則に合わない{self.overridden}件は規則外（理由：{self.override_reason}）"
                         "として登録")
        if self.new_groups:
            lines.append(f"新しく登録する団体：{len(self.new_groups)}団体（名簿の内容はあとで確認してください）")
        if self.matched_groups:
            lines.append(f"登録済みの団体と照合：{self.matched_groups}団体")
        return lines

    def error_hint_lines(self) -> list[str]:
        if not self.rule_errors:
            return []
        return [f"規則に合わない、これからの日付の行が{self.rule_errors}件あります。日付・時刻を直すか、"
                "規則外として取り込むなら管理者が理由を指定してください"
                "（コマンドでは --override-reason \"理由\"、画面では「規則外の理由」）。"]


# --------------------------------------------------------------------------- reading the file


def read_table(path: Path, limits: ImportLimits | None = None) -> tuple[Table, str]:
    """Every non-blank row of the file with its Excel row number, and a label for the file kind."""
    table, kind, _guessed = tabular.read_table(path, sheet=SHEET_NAME, limits=limits)
    return table, kind


def _find_header(rows: Table) -> tuple[int, dict[str, int]] | None:
    """The heading row (within the first rows, a title line may stand above it) and column positions."""
    return find_header(rows, _HEADINGS, lambda found: "利用日" in found and "部屋" in found)


# --------------------------------------------------------------------------- checking rows


@dataclass
class _Row:
    row: int
    day: date | None = None
    start: datetime | None = None
    end: datetime | None = None
    room: Room | None = None
    booker_kind: str = "member"
    reg_no: str = ""
    name: str = ""
    representative: str = ""
    phone: str = ""
    attendees: int = 0
    purpose: str = ""
    equipment: dict[int, int] = field(default_factory=dict)
    status: str = BookingStatus.CONFIRMED.value
    status_reason: str = ""
    note: str = ""
    group: MemberGroup | None = None
    rule_breaks: list[str] = field(default_factory=list)
    period_notice: str = ""
    bad: bool = False

    def placed(self) -> _Placed | None:
        """The row's slot once its room, day and times are all read (None while any is missing)."""
        if self.room is None or self.day is None or self.start is None or self.end is None:
            return None
        return _Placed(self, self.room, self.day, self.start, self.end)

    def slot(self) -> _Placed:
        """The slot of a row that passed every check (which always has one)."""
        placed = self.placed()
        if placed is None:  # pragma: no cover - a row without errors has its room, day and times
            raise RuntimeError(f"row {self.row} has no slot")
        return placed


@dataclass(frozen=True)
class _Placed:
    """A row whose room, day, start and end are known: what the slot and rule checks and the write read,
    typed without None. ``row`` is the row itself, for its other columns and for marking it bad."""

    row: _Row
    room: Room
    day: date
    start: datetime
    end: datetime


class _Checker(RowChecker):
    """Reads and judges the rows; collects errors and notices instead of stopping at the first."""

    report: ImportReport

    def __init__(self, session: Session, report: ImportReport, today: date, override_reason: str = "") -> None:
        self.session = session
        self.report = report
        self.today = today
        self.override_reason = override_reason
        self.profile = get_profile(session)
        self.rooms = {fold(r.name): r for r in session.scalars(select(Room).where(Room.active.is_(True)))}
        self.types = list(session.scalars(select(EquipmentType).where(EquipmentType.active.is_(True))
                                          .order_by(EquipmentType.sort_order, EquipmentType.id)))
        self.type_by_key = {fold(t.name): t for t in self.types}
        self.period_names = {p.name for ps in self.profile.periods.values() for p in ps}

    # -- one row, column by column --

    def parse(self, number: int, get: Callable[[str], Any]) -> _Row:
        r = _Row(number)
        self._date(r, get("利用日"), get("曜日"))
        self._room(r, get("部屋"))
        self._times(r, get("区分"), get("開始"), get("終了"))
        self._booker(r, get("団体名"), get("登録番号"), get("代表者"))
        r.phone = unicodedata.normalize("NFKC", cell_text(get("電話番号")))
        self._attendees(r, get("予定人数"))
        r.purpose = cell_text(get("目的"))
        if not r.purpose:
            self.error(r, "目的", "目的がありません（例：定例会、講座）。")
        self._equipment(r, get("備品"))
        self._note(r, get("備考"))
        # The columns' String(n): SQLite would store longer text silently and PostgreSQL refuse the
        # whole import with a technical error instead of naming the cell.
        for column, value, limit in (("団体名", r.name, 200), ("登録番号", r.reg_no, 20),
                                     ("代表者", r.representative, 100), ("電話番号", r.phone, 40),
                                     ("目的", r.purpose, 200)):
            if len(value) > limit:
                self.error(r, column, f"{column}が長すぎます（{limit}文字まで）。")
        return r

    def _date(self, r: _Row, value: Any, weekday: Any) -> None:
        r.day = self.parsed(r, "利用日", lambda v: cell_date(v, required=True), value)
        if r.day is None:
            return
        wd = re.sub(r"[()（）\s]|曜日?$", "", unicodedata.normalize("NFKC", cell_text(weekday)))
        if wd and wd != jcal.weekday_ja(r.day):
            self.error(r, "曜日", f"曜日「{wd}」が利用日{jcal.format_slash(r.day)}（{jcal.weekday_ja(r.day)}）と"
                                  "合いません。日付か曜日を直してください。")

    def _room(self, r: _Row, value: Any) -> None:
        name = cell_text(value)
        if not name:
            self.error(r, "部屋", "部屋がありません。")
            return
        r.room = self.rooms.get(fold(name))
        if r.room is None:
            known = "、".join(room.name for room in self.rooms.values())
            self.error(r, "部屋", f"部屋「{name}」は登録されていません（登録済み：{known}）。")

    def _times(self, r: _Row, period_value: Any, start_value: Any, end_value: Any) -> None:
        period_name = unicodedata.normalize("NFKC", cell_text(period_value))
        bad_before = r.bad
        start, end = self.parsed(r, "開始", cell_time, start_value), self.parsed(r, "終了", cell_time, end_value)
        if r.bad and not bad_before:
            return
        if period_name and period_name not in self.period_names:
            self.error(r, "区分", f"区分「{period_name}」がわかりません（{'・'.join(sorted(self.period_names))}）。")
            return
        if r.day is None:
            return
        period = next((p for p in hours.periods_for(self.profile, r.day) if p.name == period_name), None)
        if (start is None) != (end is None):
            column = "終了" if end is None else "開始"
            self.error(r, column, f"{column}時刻がありません（開始と終了の両方を入れるか、両方を空けて区分だけにしてください）。")
            return
        if start is None or end is None:  # both blank (one blank alone was refused above)
            if not period_name:
                self.error(r, "開始", "時刻も区分もありません。開始・終了の時刻か区分（午前・午後・夜間）を入れてください。")
                return
            if period is None:
                self.error(r, "区分", f"{jcal.format_slash(r.day)}（{jcal.weekday_ja(r.day)}）には区分「{period_name}」が"
                                    "ないため、時刻が決まりません。開始・終了の時刻を入れてください。")
                return
            start, end = period.start, period.end
        elif period_name and period is None:
            # Said only if the hours check has nothing to say: '夜間 on a holiday' is one notice, not two.
            r.period_notice = (f"区分「{period_name}」は{jcal.format_slash(r.day)}（{jcal.weekday_ja(r.day)}）には"
                               f"ありません。時刻（{hm(start)}〜{hm(end)}）で取り込みます。")
        elif period is not None and not (period.start <= start and end <= period.end):
            self.notice(r.row, "区分", f"区分「{period.label}」と時刻（{hm(start)}〜{hm(end)}）が合いません。"
                                     "時刻で取り込みます。")
        if end <= start:
            self.error(r, "終了", f"終了時刻（{hm(end)}）が開始時刻（{hm(start)}）より後になっていません。")
            return
        r.start, r.end = datetime.combine(r.day, start), datetime.combine(r.day, end)

    def _booker(self, r: _Row, name_value: Any, reg_value: Any, rep_value: Any) -> None:
        r.name = cell_text(name_value)
        r.representative = cell_text(rep_value)
        reg = unicodedata.normalize("NFKC", cell_text(reg_value)).replace(" ", "")
        if reg.isdigit() and len(reg) < 4:
            # Excel drops leading zeros of a number cell: 14 is the register's '0014'.
            reg = reg.zfill(4)
        r.reg_no = reg
        if reg:
            r.booker_kind = "member"
            return
        if not r.name:
            self.error(r, "団体名", "団体名（個人の場合は氏名）がありません。")
            return
        m = _PERSON_RE.match(unicodedata.normalize("NFKC", r.name))
        if m or r.name.startswith("個人"):
            r.booker_kind = "person"
            person = m[1] if m else r.name
            if r.representative and fold(r.representative) != fold(person):
                r.note = f"台帳の代表者：{r.representative}"
            r.name = person
        else:
            r.booker_kind = "group"
            if r.representative:
                r.note = f"代表者：{r.representative}"

    def _attendees(self, r: _Row, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            n = int(value)
        else:
            text = re.sub(r"\s*(名|人)$", "", unicodedata.normalize("NFKC", cell_text(value)))
            if not text:
                n = 0
            elif text.isdecimal():  # isdigit() lets through digits int() refuses
                n = int(text)
            else:
                self.error(r, "予定人数", f"予定人数「{cell_text(value)}」は数として読めません。")
                return
        if n < 0:
            self.error(r, "予定人数", "予定人数は0以上にしてください。")
            return
        r.attendees = n
        if r.room is not None and n > r.room.capacity:
            self.error(r, "予定人数", f"予定人数（{n}人）が{r.room.name}の定員（{r.room.capacity}人）を超えています。")

    def _equipment_type(self, name: str) -> EquipmentType | None:
        key = fold(name)
        if key in self.type_by_key:
            return self.type_by_key[key]
        # 'マイク' for 'ワイヤレスマイク': accepted only when exactly one kind contains the word.
        candidates = [t for k, t in self.type_by_key.items() if key and key in k]
        return candidates[0] if len(candidates) == 1 else None

    def _equipment(self, r: _Row, value: Any) -> None:
        text = unicodedata.normalize("NFKC", cell_text(value))
        for token in (t for t in _EQUIP_SPLIT_RE.split(text) if t and t not in ("なし", "無し", "-")):
            m = _EQUIP_TOKEN_RE.match(token)
            et = self._equipment_type(m[1]) if m else None
            if m is None or et is None:
                known = "、".join(t.name for t in self.types)
                self.error(r, "備品", f"備品「{token}」がわかりません（例：プロジェクター1、スクリーン1。備品：{known}）。")
                continue
            qty = int(m[2]) if m[2] else 1
            if qty:
                r.equipment[et.id] = r.equipment.get(et.id, 0) + qty

    def _note(self, r: _Row, value: Any) -> None:
        text = cell_text(value)
        if not text:
            return
        if any(w in text for w in _NO_SHOW_WORDS):
            r.status, r.status_reason = BookingStatus.NO_SHOW.value, text
        elif any(w in text for w in _CANCEL_WORDS):
            r.status, r.status_reason = BookingStatus.CANCELLED.value, text
        else:
            r.note = f"{r.note}\n{text}".strip()

    # -- across rows --

    def resolve_groups(self, rows: list[_Row]) -> dict[str, MemberGroup]:
        """Match registration numbers with the register; unknown ones get a minimal new group."""
        regs = sorted({r.reg_no for r in rows if r.reg_no})
        existing = {g.reg_no: g for g in self.session.scalars(select(MemberGroup).where(MemberGroup.reg_no.in_(regs)))} \
            if regs else {}
        new: dict[str, MemberGroup] = {}
        warned: set[str] = set()
        for r in rows:
            if not r.reg_no:
                continue
            g = existing.get(r.reg_no)
            if g is not None:
                if g.status in BARRED_GROUP_STATES:
                    self.error(r, "登録番号", f"登録番号{r.reg_no}「{g.name}」は{BARRED_GROUP_STATES[g.status]}のため、"
                                          "予約を取り込めません。団体の状況を確かめてください。")
                    continue
                if r.name and fold(r.name) != fold(g.name) and r.reg_no not in warned:
                    warned.add(r.reg_no)
                    self.notice(r.row, "団体名", f"登録番号{r.reg_no}は名簿では「{g.name}」です（台帳は「{r.name}」）。"
                                              "名簿の団体として取り込みます。")
                r.group = g
                continue
            if r.reg_no not in new:
                if not r.name:
                    self.error(r, "団体名", f"登録番号{r.reg_no}の団体は未登録で、団体名もないため登録できません。")
                    continue
                new[r.reg_no] = MemberGroup(reg_no=r.reg_no, name=r.name, representative=r.representative,
                                            phone=r.phone, status="active")
            elif r.name and fold(r.name) != fold(new[r.reg_no].name) and r.reg_no not in warned:
                warned.add(r.reg_no)
                self.notice(r.row, "団体名", f"登録番号{r.reg_no}の団体名が行によって違います"
                                          f"（「{new[r.reg_no].name}」と「{r.name}」）。最初の行の名前で登録します。")
            r.group = new[r.reg_no]
        self.report.matched_groups = len({r.group.reg_no for r in rows if r.group is not None
                                          and r.group.reg_no in existing})
        self.report.new_groups = [(reg_no, g.name) for reg_no, g in new.items()]
        return new

    def check_slots(self, rows: list[_Row]) -> None:
        """Double bookings and equipment stock, against the database and between the rows.

        Rooms: every row that overlaps another row of the file or a booking already in the database is an
        error, and its message names every one of them, so staff see the whole knot at once.
        Equipment: rows are taken in file order; a row beyond the stock is refused."""
        live = [p for r in rows if not r.bad and r.status == BookingStatus.CONFIRMED.value
                and (p := r.placed()) is not None]
        if not live:
            return
        lo = datetime.combine(min(p.day for p in live) - timedelta(days=1), time())
        hi = datetime.combine(max(p.day for p in live) + timedelta(days=1), time())
        # The one rule (a lapsed hold no longer blocks, even before a write turns it into 期限切れ).
        in_span = (Booking.start_at >= lo, Booking.start_at < hi, blocks_slot_sql(self.today))
        # PERF: plain columns, only the rooms and equipment the file uses, and the equipment lines
        # in one query (they were loaded booking by booking); this runs again inside the write.
        # Keyed by the bookings' room_id, a nullable column (only the file's rooms are queried).
        held: dict[tuple[int | None, date], list[tuple[datetime, datetime, str]]] = defaultdict(list)
        equip_by_day: dict[tuple[int, date], list[tuple[datetime, datetime, int]]] = defaultdict(list)
        same: dict[tuple[int | None, datetime, datetime], tuple[int, str]] = {}
        room_ids = sorted({p.room.id for p in live})
        q = select(Booking.id, Booking.room_id, Booking.start_at, Booking.end_at, Booking.booker_name).where(
            *in_span, Booking.room_id.in_(room_ids)).order_by(Booking.start_at, Booking.id)
        for bid, room_id, start_at, end_at, booker in self.session.execute(q):
            number = f"{bid:07d}"
            held[(room_id, start_at.date())].append(
                (start_at, end_at, f"既存の予約（予約番号{number}・{booker}・{hm(start_at)}〜{hm(end_at)}）"))
            same[(room_id, start_at, end_at)] = (bid, booker)
        type_ids = sorted({tid for p in live for tid in p.row.equipment})
        if type_ids:
            eq = select(BookingEquipment.equipment_type_id, BookingEquipment.quantity, Booking.start_at,
                        Booking.end_at).join(Booking, Booking.id == BookingEquipment.booking_id).where(
                *in_span, BookingEquipment.equipment_type_id.in_(type_ids))
            for tid, qty, start_at, end_at in self.session.execute(eq):
                equip_by_day[(tid, start_at.date())].append((start_at, end_at, qty))
        in_room: dict[tuple[int, date], list[_Placed]] = defaultdict(list)
        for p in live:
            in_room[(p.room.id, p.day)].append(p)
        clashed: set[int] = set()
        for p in live:
            r = p.row
            twin = same.get((p.room.id, p.start, p.end))
            if twin is not None and fold(twin[1]) == fold(r.group.name if r.group else r.name):
                self.error(r, "部屋", f"同じ予約が既に登録されています（予約番号{twin[0]:07d}）。"
                                    "この台帳は取込済みではありませんか。")
                clashed.add(r.row)
                continue
            whom = [who for s, e, who in held[(p.room.id, p.day)] if overlaps(p.start, p.end, s, e)]
            whom += [f"{o.row.row}行目の予約（{o.row.name}・{hm(o.start)}〜{hm(o.end)}）" for o in in_room[(p.room.id, p.day)]
                     if o is not p and overlaps(p.start, p.end, o.start, o.end)]
            if whom:
                self.error(r, "部屋", f"{p.room.name} {hm(p.start)}〜{hm(p.end)}は{'、'.join(whom)}と重なります（二重予約）。")
                clashed.add(r.row)
        stock = {t.id: t for t in self.types}
        for p in live:
            r = p.row
            if r.row in clashed:
                continue
            short = []
            for tid, qty in r.equipment.items():
                et = stock.get(tid)
                if et is None:  # put out of use since the file was checked (the write's own check)
                    short.append("この備品は使えなくなりました（もう一度確かめてください）")
                    continue
                if et.stock is None:
                    continue
                peak = peak_in_use(equip_by_day[(tid, p.day)], p.start, p.end)
                if peak + qty > et.stock:
                    short.append(f"{et.name}は{hm(p.start)}〜{hm(p.end)}に{et.stock}{et.unit}中{peak}{et.unit}が"
                                 f"予約済みで、{qty}{et.unit}は貸し出せません")
            if short:
                self.error(r, "備品", "、".join(short) + "。")
                continue
            for tid, qty in r.equipment.items():
                equip_by_day[(tid, p.day)].append((p.start, p.end, qty))

    def _day_text(self, d: date) -> str:
        holiday = "・祝" if jcal.is_holiday(d) else ""
        return f"{jcal.format_slash(d)}（{jcal.weekday_ja(d)}{holiday}）"

    def _broken(self, p: _Placed) -> list[tuple[str, str]]:
        """(column, what is wrong) for every rule the row's slot breaks, worded without the date, which the
        caller says once in front (the domain's messages start with their own date: said twice before)."""
        broken = []
        for rb in hours.check_slot(self.profile, p.start, p.end):
            if rb.code == "closed":
                reason = hours.closure_reason(self.profile, p.day)
                broken.append(("利用日", f"休館日（{reason}）です" if reason else "開館時間が設定されていません"))
            else:
                broken.append(("開始", rb.message))
        return broken

    def check_rules(self, rows: list[_Row]) -> None:
        """Closed days, opening hours and booking windows.

        Before today: history, kept as it happened (a notice). From today on: a booking still to come, so a
        break is an error unless the manager gave a reason to import it as a rule override."""
        for r in rows:
            p = r.placed()
            if r.bad or p is None:
                continue
            live = r.status == BookingStatus.CONFIRMED.value
            broken = self._broken(p)
            is_member = r.group is not None and r.group.status in GOOD_GROUP_STATES
            window = hours.check_window(self.profile, self.today, p.day, is_member)
            if window is not None and window.code == "past":
                r.rule_breaks = [text for _, text in broken] + [window.message]
                if live:
                    self.report.past += 1
                if live and broken:
                    self.notice(r.row, broken[0][0], f"{self._day_text(p.day)}は" + "。".join(t for _, t in broken)
                                + f"。「{OVERRIDE_REASON}」として取り込みます。")
                elif r.period_notice:
                    self.notice(r.row, "区分", r.period_notice)
                continue
            if window is not None:
                broken.append(("利用日", window.message))
            if not live or not broken:
                if r.period_notice:
                    self.notice(r.row, "区分", r.period_notice)
                continue
            what = f"{self._day_text(p.day)}は" + "。".join(t for _, t in broken)
            if self.override_reason:
                r.rule_breaks = [t for _, t in broken]
                self.report.overridden += 1
                self.notice(r.row, broken[0][0], f"{what}。規則外（理由：{self.override_reason}）として取り込みます。")
            else:
                self.report.rule_errors += 1
                self.error(r, broken[0][0], f"{what}。これからの日付のため、このままでは取り込めません"
                                            "（規則外として取り込むには管理者の理由が必要です）。")


# --------------------------------------------------------------------------- the use case

OVERRIDE_REASON_MAX = 200


def _override_for(r: _Placed, today: date, reason: str) -> str:
    """What the booking records as its rule override: history is '台帳からの取込'; a row still to come
    that breaks a rule carries the manager's reason; any other row none."""
    if not r.row.rule_breaks:
        return ""
    return OVERRIDE_REASON if r.day < today else reason



def _clean_reason(session: Session, actor: Actor, override_reason: str) -> str:
    """The manager's check and the override reason as it will be recorded ('' for none)."""
    require_manager(session, actor, "予約台帳の取込")
    override_reason = " ".join((override_reason or "").split())
    if override_reason:
        require_manager(session, actor, "規則外の取込")  # today every importer is one; the reason stays a manager's
        if len(override_reason) > OVERRIDE_REASON_MAX:
            raise ValidationError(f"規則外の理由が長すぎます（{OVERRIDE_REASON_MAX}文字まで）。", field="override_reason")
    return override_reason


def _parse_file(report: ImportReport, checker: _Checker, path: Path, limits: ImportLimits) -> list[_Row] | None:
    """Read the file within ``limits`` and parse its rows with ``checker``'s rooms, equipment and hours
    (no query: this runs outside any transaction). None when there is nothing to judge further."""
    opened = open_table(report, path, sheet=SHEET_NAME, find=_find_header, headings="利用日・部屋・団体名・目的",
                        limits=limits)
    if opened is None:
        return None
    table, header_index, positions = opened
    missing = [c for c in REQUIRED if c not in positions]
    if "区分" not in positions and not ("開始" in positions and "終了" in positions):
        missing.append("区分（または開始・終了）")
    if missing:
        report.errors.append(ImportIssue(table[header_index][0], "", f"列「{'」「'.join(missing)}」がありません。"))
        return None
    rows = parse_rows(report, table, header_index, positions, checker.parse)
    return rows or None


def _judge(checker: _Checker, rows: list[_Row], *, skip_past_rules: bool = False) -> dict[str, MemberGroup]:
    """What depends on the database: groups, double bookings and stock, the rules. Returns the new groups.

    ``skip_past_rules``: the rules are not judged again for rows before today (the write's own check, when
    the centre profile is unchanged: their outcome, history kept with a notice, cannot have changed)."""
    report = checker.report
    new_groups = checker.resolve_groups(rows)
    checker.check_slots(rows)
    checker.check_rules([r for r in rows if r.day is None or r.day >= checker.today] if skip_past_rules else rows)
    report.sort_issues()
    report.bookings = len(rows)
    report.cancelled = sum(r.status == BookingStatus.CANCELLED.value for r in rows)
    report.no_show = sum(r.status == BookingStatus.NO_SHOW.value for r in rows)
    return new_groups


@dataclass
class _Checked:
    """What the check phase leaves for the write's own check: the notices of the rows on their own, and the
    notices and count of the rules as judged then."""

    parse_warnings: list[ImportIssue]
    warnings: list[ImportIssue]
    past: int


def _rejudge(session: Session, checker: _Checker, rows: list[_Row], checked: _Checked) -> dict[str, MemberGroup]:
    """Inside the write: judge again only what may have changed since the check (groups, bookings, stock,
    closed days and hours, rooms put out of use), on this session's fresh reference data; the rows stay as
    parsed. PERF: with the centre profile unchanged, the rows before today keep their verdict on the
    rules (history: a notice, never an error), which was most of this check's time."""
    report = checker.report
    fresh = _Checker(session, report, checker.today, checker.override_reason)
    keep_past = fresh.profile == checker.profile
    past_rows = {r.row for r in rows if r.day is not None and r.day < checker.today} if keep_past else set()
    parsed = set(checked.parse_warnings)
    # The rules' notices of past rows, as judged then (the groups' notices, 団体名, are made again).
    kept = [w for w in checked.warnings if w.row in past_rows and w.column != "団体名" and w not in parsed]
    report.warnings = list(checked.parse_warnings) + kept
    report.past = checked.past if keep_past else 0
    report.overridden = report.rule_errors = 0
    for r in rows:
        r.group, r.bad = None, False
        if r.row not in past_rows:
            r.rule_breaks = []
        room = next((x for x in fresh.rooms.values() if r.room is not None and x.id == r.room.id), None)
        if room is None:
            fresh.error(r, "部屋", f"部屋「{r.room.name if r.room else ''}」は使えなくなりました。もう一度確かめてください。")
        else:
            r.room = room
    return _judge(fresh, rows, skip_past_rules=keep_past)


def _write(session: Session, actor: Actor, report: ImportReport, rows: list[_Row],
           new_groups: dict[str, MemberGroup], now: datetime, source: str) -> ImportReport:
    """The write itself: the new groups, the bookings, the audit; nothing is read from the file here."""
    override_reason = report.override_reason
    expire_overdue_holds(session, now.date())
    for g in new_groups.values():
        g.note = f"予約台帳「{source}」の取込で仮登録。名簿の内容（ふりがな・有効期限など）を確認してください。"
        g.created_at, g.created_by = now, actor.id
    session.add_all(new_groups.values())
    session.flush()
    for g in new_groups.values():
        audit(session, actor, "create", "member_group", g.id, f"団体「{g.name}」（{g.reg_no}）を予約台帳の取込で登録",
              after={"reg_no": g.reg_no, "name": g.name, "source": source}, now=now)
    # PERF: one multi-row INSERT … RETURNING for the bookings and one for their equipment, not an
    # ORM object per row (bench/bench_import.py: 20,000 rows held the write lock 3.6 s through the ORM).
    values = [dict(
        room_id=p.room.id, group_id=r.group.id if r.group is not None else None, booker_kind=r.booker_kind,
        booker_name=r.group.name if r.group is not None else r.name, contact_phone=r.phone,
        purpose=r.purpose, attendees=r.attendees, start_at=p.start, end_at=p.end, status=r.status,
        status_reason=r.status_reason, override_reason=_override_for(p, now.date(), override_reason),
        note=r.note, series_detached=False, version=1, created_at=now, created_by=actor.id, updated_at=now,
        updated_by=actor.id) for r in rows for p in (r.slot(),)]
    bookings = cast(DbTable, Booking.__table__)  # a mapped class's table: declared FromClause, a Table
    try:
        if session.get_bind().dialect.name == "sqlite":
            # One executemany; SQLAlchemy would send RETURNING in parameter order one row at a time on SQLite.
            # The write lock is ours (BEGIN IMMEDIATE), so the rows above the highest id are these, in order.
            highest = session.scalar(select(func.max(bookings.c.id))) or 0
            session.execute(insert(bookings), values)
            ids = list(session.scalars(select(bookings.c.id).where(bookings.c.id > highest).order_by(bookings.c.id)))
            if len(ids) != len(values):  # pragma: no cover - impossible while the lock is held
                raise RuntimeError(f"imported {len(values)} bookings but found {len(ids)} new ids")
        else:
            ids = list(session.scalars(insert(bookings).returning(bookings.c.id, sort_by_parameter_order=True),
                                       values))
        lines = [{"booking_id": bid, "equipment_type_id": t, "quantity": q}
                 for bid, r in zip(ids, rows, strict=True) for t, q in r.equipment.items()]
        if lines:
            session.execute(insert(cast(DbTable, BookingEquipment.__table__)), lines)
    except IntegrityError as exc:  # PostgreSQL's double-booking guard: another terminal was quicker
        if "ex_bookings_room_overlap" in str(exc.orig) or "exclusion" in str(exc.orig).lower():
            raise overlap_error("取込") from None
        raise
    report.booking_ids = tuple(ids)
    report.written = True
    audit(session, actor, "import", "booking", None,
          f"予約台帳「{source}」から予約{len(ids)}件を取込（取消{report.cancelled}件、団体の新規登録{len(new_groups)}件）",
          after={"file": source, "rows": report.rows, "bookings": len(ids), "cancelled": report.cancelled,
                 "new_groups": [reg for reg, _ in report.new_groups],
                 "first_id": ids[0], "last_id": ids[-1],
                 "override_reason": override_reason, "overridden": report.overridden,
                 "warnings": [str(w) for w in report.warnings]}, now=now)
    return report


def import_bookings(session: Session, actor: Actor, path: Path, *, dry_run: bool,
                    now: datetime | None = None, override_reason: str = "",
                    limits: ImportLimits | None = None) -> ImportReport:
    """Import the booking ledger at ``path`` (.xlsx or .csv) in ``session``; all rows or none.

    ``override_reason``: a manager's written reason to import rows from today on that break a rule
    (closed day, opening hours, booking window); it is recorded on each such booking. Without it such a
    row is an error. Returns the report; when ``report.errors`` is not empty nothing was written. Raises
    a DomainError only when the file cannot be read at all or lies beyond the import limits (``limits``, the
    centre's when None), the reason is unusable, or the actor is not a manager.

    Everything happens in the caller's transaction, file reading included: on SQLite inside a write session
    that holds the database's write lock all along. Terminals use :func:`import_bookings_file`, which reads
    and checks before taking any write lock.
    """
    override_reason = _clean_reason(session, actor, override_reason)
    limits = limits or get_import_limits(session)
    now = now or local_now()
    path = Path(path)
    report = ImportReport(path=str(path), dry_run=dry_run, override_reason=override_reason)
    checker = _Checker(session, report, now.date(), override_reason)
    rows = _parse_file(report, checker, path, limits)
    if rows is None:
        return report
    new_groups = _judge(checker, rows)
    if report.errors or dry_run:
        return report
    return _write(session, actor, report, rows, new_groups, now, path.name)


def import_bookings_file(engine: Engine, actor: Actor, path: Path, *, dry_run: bool,
                         now: datetime | None = None, override_reason: str = "",
                         limits: ImportLimits | None = None) -> ImportReport:
    """:func:`import_bookings` in units of its own: the file is read and parsed outside any
    transaction, judged in a read session, and written in one short write session that judges again only
    what may have changed meanwhile (a booking another terminal saved in between is the usual double-booking
    error, nothing written). No write lock is held while the file is read, so a big ledger never makes
    another terminal's save wait.
    """
    from booking_app.store.engine import read_session, write_session

    now = now or local_now()
    path = Path(path)
    with read_session(engine) as session:
        override_reason = _clean_reason(session, actor, override_reason)
        limits = limits or get_import_limits(session)
        report = ImportReport(path=str(path), dry_run=dry_run, override_reason=override_reason)
        checker = _Checker(session, report, now.date(), override_reason)
    rows = _parse_file(report, checker, path, limits)  # no transaction open while the file is read
    if rows is None:
        return report
    parse_warnings = list(report.warnings)
    with read_session(engine) as session:
        checker.session = session
        _judge(checker, rows)
    if report.errors or dry_run:
        return report
    checked = _Checked(parse_warnings, list(report.warnings), report.past)
    with write_session(engine) as session:
        require_manager(session, actor, "予約台帳の取込")
        new_groups = _rejudge(session, checker, rows, checked)
        if report.errors:
            return report  # changed meanwhile: the new verdict, nothing written
        return _write(session, actor, report, rows, new_groups, now, path.name)


__all__ = ["OVERRIDE_REASON", "ImportIssue", "ImportReport", "import_bookings", "import_bookings_file", "read_table"]
