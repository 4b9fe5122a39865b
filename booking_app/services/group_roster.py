"""Reading the centre's group register (登録団体名簿) into plain rows: the parser of the import.

Knows the register's columns and the headings centres write for them, reads a .csv or .xlsx table
(services/tabular.py), finds the heading row and judges each row on its own: cell by cell, with every
error and notice collected (with its row number as the file shows it and its column) instead of stopping
at the first. Nothing here opens a session: judging rows against the register in the database, and
writing them, is the use case's (services/group_io.py); writing the register's file is
services/group_roster_writer.py's.

Decisions on reading (documented for staff in docs/import-groups.md):

- Registration numbers are kept as written ('14' from an Excel number cell is read as '0014').
- Status: 停止 and 抹消 are a manager's decisions and are taken as written (with their reason). For
  everything else the validity date decides, exactly as ``domain.groups.effective_status`` does at the
  counter: a group whose registration ran out on 2026/03/31 is read as 期限切れ.
- Activity fields unknown to the NPO law's list are errors (no silent mapping to 条例で定める活動, which
  would hide a typo); common short forms (福祉, 環境の保全, 団体の運営支援 …) are accepted.
- The ordinance declarations are taken as made when each group first registered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError
from booking_app.domain.groups import (
    ACTIVITY_FIELDS,
    DECLARATIONS,
    GROUP_STATUS_LABELS,
    MACHIZUKURI_DISTRICTS,
    GroupInput,
    GroupStatus,
    effective_status,
    validate_registration,
    validity_end,
)
from booking_app.domain.kana import digits_only
from booking_app.services import tabular
from booking_app.services.import_limits import ImportLimits
from booking_app.services.tabular import RowChecker, Table, TableReport, cell_date, cell_text, fold, heading_lookup

if TYPE_CHECKING:
    from booking_app.store.models import MemberGroup  # the group a row turns out to be (set by the use case)

# --------------------------------------------------------------------------- columns

# Canonical heading → other headings seen in centres' registers (compared width- and space-folded).
COLUMNS: dict[str, tuple[str, ...]] = {
    "登録番号": ("団体番号", "登録No", "登録NO", "登録No.", "番号"),
    "団体名": ("団体名称", "名称"),
    "フリガナ": ("ふりがな", "よみがな", "ヨミガナ", "団体名フリガナ", "カナ"),
    "区分": ("団体区分", "種別", "類型"),
    "まちづくり協議会": ("まち協",),
    "地区": ("まちづくり協議会の地区",),
    "活動分野": ("分野", "活動分野（NPO法）"),
    "代表者": ("代表者名", "代表者氏名"),
    "電話番号": ("電話", "代表者電話", "TEL", "代表電話"),
    "連絡担当者": ("担当者", "連絡先担当者", "連絡担当"),
    "連絡先電話": ("担当者電話", "連絡先電話番号", "連絡担当者電話"),
    "メール": ("メールアドレス", "Eメール", "E-mail", "email", "mail"),
    "住所": ("所在地", "連絡先住所"),
    "活動場所": ("主な活動場所",),
    "会員数": ("人数", "会員数（人）"),
    "登録日": ("登録年月日",),
    "有効期限": ("有効期間", "期限"),
    "状態": ("登録状況", "ステータス"),
    "状態の理由": ("理由", "停止・抹消の理由"),
    "備考": ("メモ",),
}
# The order our export writes (the sample register's columns with ours slotted in).
EXPORT_COLUMNS = tuple(COLUMNS)
REQUIRED = ("団体名", "フリガナ", "活動分野", "代表者", "登録日")
SHEET_NAME = "登録団体名簿"

_TYPE_BY_LABEL = {"目的型": "purpose", "目的": "purpose", "purpose": "purpose",
                  "地縁型": "community", "地縁": "community", "community": "community",
                  "その他": "other", "other": "other"}
_STATUS_BY_LABEL = {label: s.value for s, label in GROUP_STATUS_LABELS.items()} | {
    s.value: s.value for s in GroupStatus} | {"更新待ち": "renewal_due", "更新時期": "renewal_due",
                                                "期限切": "expired", "失効": "expired", "利用停止": "suspended",
                                                "登録抹消": "deregistered"}
_YES = {"○", "〇", "◯", "●", "はい", "有", "あり", "yes", "y", "true", "1", "該当"}
_NO = {"", "×", "✕", "いいえ", "無", "なし", "-", "no", "n", "false", "0", "非該当"}
MACHIZUKURI_MARK = "○"

# Activity fields: canonical names, their keys without separators, and the short forms accepted.
_FIELD_SPLIT_RE = re.compile(r"[・･、,，;；/／\s]+")
_FIELD_TAIL_RE = re.compile(r"(?:の推進|の振興|の増進|の擁護)?を図る活動$")
_FIELD_ALIASES: dict[str, str] = {
    "福祉": "保健・医療・福祉", "保健": "保健・医療・福祉", "医療": "保健・医療・福祉",
    "生涯学習": "社会教育",
    "まち作り": "まちづくり", "街づくり": "まちづくり", "町づくり": "まちづくり", "まちおこし": "まちづくり",
    "農山漁村": "農山漁村・中山間地域", "中山間地域": "農山漁村・中山間地域",
    "学術": "学術・文化・芸術・スポーツ", "文化": "学術・文化・芸術・スポーツ",
    "芸術": "学術・文化・芸術・スポーツ", "スポーツ": "学術・文化・芸術・スポーツ",
    "環境": "環境保全", "環境の保全": "環境保全",
    "災害": "災害救援", "防災": "災害救援",
    "防犯": "地域安全", "交通安全": "地域安全",
    "人権": "人権・平和", "平和": "人権・平和", "人権の擁護": "人権・平和", "平和の推進": "人権・平和",
    "国際交流": "国際協力",
    "男女共同参画社会": "男女共同参画", "男女共同参画社会の形成": "男女共同参画",
    "子ども": "子どもの健全育成", "子供": "子どもの健全育成", "子育て": "子どもの健全育成",
    "子供の健全育成": "子どもの健全育成", "青少年育成": "子どもの健全育成", "健全育成": "子どもの健全育成",
    "情報化": "情報化社会", "情報化社会の発展": "情報化社会",
    "科学": "科学技術", "科学技術の振興": "科学技術",
    "経済活動": "経済活動の活性化",
    "職業能力": "職業能力・雇用機会", "雇用機会": "職業能力・雇用機会", "雇用": "職業能力・雇用機会",
    "職業能力の開発": "職業能力・雇用機会", "雇用機会の拡充": "職業能力・雇用機会",
    "消費者の保護": "消費者保護", "消費者": "消費者保護",
    "団体の運営支援": "団体の運営・活動の支援", "団体運営支援": "団体の運営・活動の支援",
    "団体の運営活動支援": "団体の運営・活動の支援", "団体支援": "団体の運営・活動の支援",
    "中間支援": "団体の運営・活動の支援",
    "条例": "条例で定める活動", "条例で定める": "条例で定める活動",
}


def _fkey(text: str) -> str:
    """Key of an activity field name: width folded, separators and spaces removed."""
    return re.sub(r"[・･\s]", "", unicodedata.normalize("NFKC", text))


_FIELD_BY_KEY: dict[str, str] = {_fkey(f): f for f in ACTIVITY_FIELDS}
_FIELD_BY_KEY.update({_fkey(a): f for a, f in _FIELD_ALIASES.items()})


def parse_activity_fields(text: str) -> tuple[list[str], list[str]]:
    """The NPO-law fields named in one cell, and the parts that name none.

    Fields are separated by ・ or 、, but some names themselves contain ・ (学術・文化・芸術・スポーツ),
    so the longest run of parts that names a field wins: '学術・文化・芸術・スポーツ・観光' is two fields.
    """
    parts = [p for p in _FIELD_SPLIT_RE.split(unicodedata.normalize("NFKC", text or "")) if p]
    found: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            key = _FIELD_TAIL_RE.sub("", "".join(parts[i:j]))
            canon = _FIELD_BY_KEY.get(key)
            if canon:
                if canon not in found:
                    found.append(canon)
                i = j
                break
        else:
            unknown.append(parts[i])
            i += 1
    return found, unknown


# One problem (or notice) of the file: row as numbered in Excel (heading = 1), column, reason.
GroupImportIssue = tabular.TableIssue

# --------------------------------------------------------------------------- reading the file

_HEADINGS = heading_lookup(COLUMNS)


def read_table(path: Path, limits: ImportLimits | None = None) -> tuple[Table, str, bool]:
    """The cells of the register's sheet (or the CSV), within ``limits``."""
    return tabular.read_table(path, sheet=SHEET_NAME, limits=limits)


def find_header(rows: Table) -> tuple[int, dict[str, int]] | None:
    """The heading row (a title line may stand above it) and each known column's position."""
    return tabular.find_header(rows, _HEADINGS,
                               lambda found: len(found) >= 3 or ("団体名" in found and len(found) >= 2))


# --------------------------------------------------------------------------- judging rows

_DASHES_RE = re.compile(r"[‐‑‒–—―−－ｰー]")
_COUNTER_RE = re.compile(r"\s*(名|人|団体)$")
_KANJI_RE = re.compile(r"[\u4e00-\u9fff]")
_LIMITS = {"登録番号": 20, "団体名": 200, "フリガナ": 400, "代表者": 100, "電話番号": 40, "連絡担当者": 100,
           "連絡先電話": 40, "メール": 200, "住所": 300, "活動場所": 200}
# validate_registration's field → our column, for the final check of a row.
_FIELD_COLUMN = {"name": "団体名", "kana": "フリガナ", "group_type": "区分", "district": "地区",
                 "activity_fields": "活動分野", "representative": "代表者", "phone": "電話番号",
                 "members": "会員数", "email": "メール", "declarations": ""}
ALL_DECLARED = {k: True for k in DECLARATIONS}
MAX_MEMBERS = 99_999  # the register form's 会員数 spin box maximum


@dataclass
class RosterRow(GroupInput):
    """A row of the register: the registration form's fields (read cell by cell, so they start
    blank) plus the register's own columns. Being a GroupInput, it goes straight to the ordinance's
    check, with the declarations taken as made at first registration."""

    row: int = field(kw_only=True)
    name: str = ""
    kana: str = ""
    declarations: dict[str, bool] = field(default_factory=lambda: dict(ALL_DECLARED))
    reg_no: str = ""
    registered_on: date | None = None
    valid_until: date | None = None
    given_status: str = ""  # as written in 状態, '' when blank
    status: str = GroupStatus.ACTIVE.value
    status_reason: str = ""
    note: str = ""
    existing: MemberGroup | None = None  # the registered group this row updates (the use case's match)
    bad: bool = False

    def values(self) -> dict[str, Any]:
        """The stored fields this row sets, as MemberGroup attributes."""
        return {
            "reg_no": self.reg_no or None, "name": self.name, "kana": self.kana,
            "group_type": self.group_type,
            "is_machizukuri": self.is_machizukuri, "district": self.district if self.is_machizukuri else "",
            "activity_fields": list(self.activity_fields), "representative": self.representative,
            "phone": self.phone, "contact_name": self.contact_name, "contact_phone": self.contact_phone,
            "email": self.email, "address": self.address, "meeting_place": self.meeting_place,
            "members": self.members, "registered_on": self.registered_on, "valid_until": self.valid_until,
            "status": self.status, "status_reason": self.status_reason, "note": self.note,
        }


def _phone(text: str) -> str:
    """'０８３－２５５－１２３４' → '083-255-1234': width folded, every dash a hyphen."""
    return re.sub(r"\s+", " ", _DASHES_RE.sub("-", unicodedata.normalize("NFKC", text))).strip()


class RowReader(RowChecker):
    """Reads and judges each row on its own, collecting every error and notice instead of stopping at the
    first (``tabular.parse_rows`` calls :meth:`parse` with the row's cells by column)."""

    def __init__(self, report: TableReport, today: date) -> None:
        self.report = report
        self.today = today

    def parse(self, number: int, get: Callable[[str], Any]) -> RosterRow:
        r = RosterRow(row=number)
        for column, value in (("団体名", get("団体名")), ("代表者", get("代表者")), ("連絡担当者", get("連絡担当者")),
                              ("住所", get("住所")), ("活動場所", get("活動場所"))):
            text = cell_text(value)
            if column in ("団体名", "代表者") and not text:
                what = "団体名" if column == "団体名" else "代表者名"
                self.error(r, column, f"{what}がありません。")
            setattr(r, {"団体名": "name", "代表者": "representative", "連絡担当者": "contact_name",
                        "住所": "address", "活動場所": "meeting_place"}[column], text)
        self._reg_no(r, get("登録番号"))
        self._kana(r, get("フリガナ"))
        self._type(r, get("区分"), get("まちづくり協議会"), get("地区"))
        self._fields(r, get("活動分野"))
        r.phone = _phone(cell_text(get("電話番号")))
        r.contact_phone = _phone(cell_text(get("連絡先電話")))
        for column, phone in (("電話番号", r.phone), ("連絡先電話", r.contact_phone)):
            if phone and not digits_only(phone):
                self.error(r, column, f"「{phone}」は電話番号として読めません（例：083-231-1234）。")
        if not (r.phone or r.contact_phone or cell_text(get("メール"))):
            self.error(r, "電話番号", "連絡先（電話番号・連絡先電話・メールのいずれか）がありません。")
        r.email = unicodedata.normalize("NFKC", cell_text(get("メール"))).strip()
        self._members(r, get("会員数"))
        self._dates(r, get("登録日"), get("有効期限"))
        self._status(r, get("状態"), get("状態の理由"))
        r.note = "" if get("備考") is None else str(get("備考")).strip()
        for column, attr in (("登録番号", "reg_no"), ("団体名", "name"), ("フリガナ", "kana"), ("代表者", "representative"),
                             ("電話番号", "phone"), ("連絡担当者", "contact_name"), ("連絡先電話", "contact_phone"),
                             ("メール", "email"), ("住所", "address"), ("活動場所", "meeting_place")):
            if len(getattr(r, attr)) > _LIMITS[column]:
                self.error(r, column, f"{column}が長すぎます（{_LIMITS[column]}文字まで）。")
        if not r.bad:
            self._as_registration(r)
        return r

    def _reg_no(self, r: RosterRow, value: Any) -> None:
        reg = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))
        if reg.isdigit() and len(reg) < 4:
            # Excel drops the leading zeros of a number cell: 14 is the register's '0014'.
            reg = reg.zfill(4)
        r.reg_no = reg
        if len(digits_only(reg)) > 9:
            # At most 9 digits: the next free number is counted from the highest one imported;
            # a 20-digit number overflowed that counter (an uncaught OverflowError/DataError).
            self.error(r, "登録番号", f"登録番号「{reg}」の数字が長すぎます（9桁まで）。")

    def _kana(self, r: RosterRow, value: Any) -> None:
        # NFKC: half-width ｶﾀｶﾅ from an old sheet becomes the full-width カタカナ the register uses.
        r.kana = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", cell_text(value))).strip()
        if not r.kana:
            self.error(r, "フリガナ", "フリガナがありません。")
        elif _KANJI_RE.search(r.kana):
            self.notice(r.row, "フリガナ", f"フリガナ「{r.kana}」に漢字が含まれています。読みを確かめてください。")

    def _type(self, r: RosterRow, type_value: Any, machi_value: Any, district_value: Any) -> None:
        label = fold(cell_text(type_value))
        if label:
            gt = _TYPE_BY_LABEL.get(label)
            if gt is None:
                self.error(r, "区分", f"区分「{cell_text(type_value)}」がわかりません（目的型・地縁型・その他）。")
            else:
                r.group_type = gt
        mark = fold(cell_text(machi_value))
        if mark in _YES:
            r.is_machizukuri = True
        elif mark not in _NO:
            self.error(r, "まちづくり協議会", f"「{cell_text(machi_value)}」がわかりません（該当なら○、でなければ空欄）。")
        district = unicodedata.normalize("NFKC", cell_text(district_value)).strip()
        if district.endswith("地区") and district[:-2] in MACHIZUKURI_DISTRICTS:
            district = district[:-2]
        r.district = district
        if r.is_machizukuri:
            if not district:
                self.error(r, "地区", "まちづくり協議会の地区がありません。")
            elif district not in MACHIZUKURI_DISTRICTS:
                self.error(r, "地区", f"地区「{district}」がわかりません（{'・'.join(MACHIZUKURI_DISTRICTS)}）。")
        elif district:
            self.notice(r.row, "地区", f"まちづくり協議会ではないため、地区「{district}」は取り込みません。")

    def _fields(self, r: RosterRow, value: Any) -> None:
        text = cell_text(value)
        found, unknown = parse_activity_fields(text)
        for part in unknown:
            self.error(r, "活動分野", f"活動分野「{part}」がわかりません。NPO法の20分野の名前で書いてください"
                                    "（例：保健・医療・福祉、まちづくり、子どもの健全育成）。")
        if not text:
            self.error(r, "活動分野", "活動分野がありません（1つ以上）。")
        r.activity_fields = found

    def _members(self, r: RosterRow, value: Any) -> None:
        if isinstance(value, bool):
            value = None
        if isinstance(value, int | float):
            # At most MAX_MEMBERS, as the register form allows; a huge number
            # overflowed the INTEGER column (OverflowError on SQLite, DataError on PostgreSQL).
            if float(value).is_integer() and 1 <= value <= MAX_MEMBERS:
                r.members = int(value)
                return
            self.error(r, "会員数", f"会員数「{cell_text(value)}」は1以上の整数にしてください。")
            return
        text = _COUNTER_RE.sub("", unicodedata.normalize("NFKC", cell_text(value)).replace(",", ""))
        if not text:
            return
        if text.isdecimal() and 1 <= int(text) <= MAX_MEMBERS:  # at most MAX_MEMBERS, see above
            r.members = int(text)
        else:
            self.error(r, "会員数", f"会員数「{cell_text(value)}」は数として読めません（例：32、３２名）。")

    def _dates(self, r: RosterRow, reg_value: Any, until_value: Any) -> None:
        bad_before = r.bad
        r.registered_on = self.parsed(r, "登録日", cell_date, reg_value)
        r.valid_until = self.parsed(r, "有効期限", cell_date, until_value)
        if r.bad and not bad_before:
            return
        if r.registered_on is None:
            self.error(r, "登録日", "登録日がありません（例：2024/04/01、令和6年4月1日）。")
            return
        if r.registered_on > self.today:
            self.error(r, "登録日", f"登録日{jcal.format_slash(r.registered_on)}が今日より後になっています。")
            return
        if r.valid_until is None:
            r.valid_until = validity_end(r.registered_on)
        elif r.valid_until < r.registered_on:
            self.error(r, "有効期限", f"有効期限{jcal.format_slash(r.valid_until)}が登録日"
                                    f"{jcal.format_slash(r.registered_on)}より前になっています。")
        elif (r.valid_until.month, r.valid_until.day) != (3, 31):
            self.notice(r.row, "有効期限", f"有効期限{jcal.format_slash(r.valid_until)}が年度末（3月31日）ではありません。"
                                         "書かれた日付で取り込みます。")

    def _status(self, r: RosterRow, status_value: Any, reason_value: Any) -> None:
        label = fold(cell_text(status_value))
        reason = cell_text(reason_value)
        if label:
            given = _STATUS_BY_LABEL.get(label)
            if given is None:
                self.error(r, "状態", f"状態「{cell_text(status_value)}」がわかりません"
                                    f"（{'・'.join(GROUP_STATUS_LABELS.values())}、または空欄）。")
                return
            r.given_status = given
        if r.given_status in (GroupStatus.SUSPENDED.value, GroupStatus.DEREGISTERED.value):
            if not reason:
                self.error(r, "状態の理由", f"{GroupStatus(r.given_status).label}の団体は理由を書いてください。")
                return
            r.status, r.status_reason = r.given_status, reason
            return
        if reason:
            self.notice(r.row, "状態の理由", "状態の理由は停止・抹消の団体だけに残します。この行の理由は取り込みません。")
        if r.valid_until is None:
            return
        stored = r.given_status or GroupStatus.ACTIVE.value
        r.status = effective_status(stored, r.valid_until, self.today).value
        if r.given_status and r.given_status != r.status:
            self.notice(r.row, "状態", f"状態は「{GroupStatus(r.given_status).label}」ですが、有効期限"
                                     f"{jcal.format_slash(r.valid_until)}から"
                                     f"「{GroupStatus(r.status).label}」として取り込みます。")

    def _as_registration(self, r: RosterRow) -> None:
        """The ordinance's own check, with the declarations taken as made at first registration."""
        try:
            validate_registration(r)
        except ValidationError as exc:
            self.error(r, _FIELD_COLUMN.get(exc.field or "", ""), exc.message)


def katakana(text: str) -> str:
    """Hiragana to katakana (ゝゞ too), everything else as it is: the register's フリガナ column is
    written in katakana whatever script the counter typed the reading in."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" or c in "ゝゞ" else c for c in text)
