"""Moving the centre's group register (登録団体名簿) in and out: the use cases (import, export).

Import is all rows or none. Every row is read and judged first (columns, dates, activity fields,
registration numbers against the file and the database); if any row is wrong nothing is written and
every problem is reported with its row number as the file shows it (the heading is row 1), its column
and a Japanese reason. Likely duplicates (same name once kana and width are folded, or the same
representative with the same phone digits) are only warnings: two groups may really share a name.

Decisions (documented for staff in docs/import-groups.md):

- The register is history: the ordinance declarations (not religious, political, electoral, for
  profit, gang-related) are taken as made when each group first registered, so imported new groups
  carry them all.
- Registration numbers are kept as written ('14' from an Excel number cell is read as '0014'). A
  number the database already holds for a group with the same name (folded) updates that group, so
  export → import round-trips; held by a group with another name, it is an error (numbers are never
  reused). A row without a number gets the next free one.
- Status: 停止 and 抹消 are a manager's decisions and are taken as written (with their reason). For
  everything else the validity date decides, exactly as ``domain.groups.effective_status`` does at the
  counter: a group whose registration ran out on 2026/03/31 is stored as 期限切れ.
- Activity fields unknown to the NPO law's list are errors (no silent mapping to 条例で定める活動, which
  would hide a typo); common short forms (福祉, 環境の保全, 団体の運営支援 …) are accepted.

Here: a session and an actor in, audited, one transaction. The file is read into rows by
services/group_roster.py (the parser) and written by services/group_roster_writer.py (the writer); the
command line is booking_app/cli/groups.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError
from booking_app.domain.groups import ACTIVITY_FIELDS, GROUP_TYPES, GroupStatus, effective_status
from booking_app.domain.kana import digits_only, search_key, to_hiragana
from booking_app.services import group_roster_writer
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.group_roster import (
    ALL_DECLARED,
    MACHIZUKURI_MARK,
    REQUIRED,
    SHEET_NAME,
    GroupImportIssue,
    RosterRow,
    RowReader,
    find_header,
    katakana,
)
from booking_app.services.groups import REG_NO_SEQUENCE, next_number
from booking_app.services.import_limits import ImportLimits, get_import_limits
from booking_app.services.tabular import RowChecker, TableReport, open_table, parse_rows
from booking_app.store.models import GroupStatusChange, MemberGroup

@dataclass(frozen=True)
class PlannedChange:
    """A group the import creates or updates (for the preview)."""

    row: int
    reg_no: str  # '' when a new number will be given
    name: str
    status: str
    changes: tuple[str, ...] = ()  # columns that differ, for an update


@dataclass
class GroupImportReport(TableReport):
    """What a register import did, or would do (団体名簿の取込結果)."""

    TITLE = "団体名簿"

    created: list[PlannedChange] = field(default_factory=list)
    updated: list[PlannedChange] = field(default_factory=list)
    unchanged: int = 0
    group_ids: tuple[int, ...] = ()

    @property
    def expired(self) -> int:
        return sum(c.status == GroupStatus.EXPIRED.value for c in self.created + self.updated)

    def error_hint_lines(self) -> list[str]:
        if any(e.column == "活動分野" for e in self.errors):
            return ["  活動分野に書ける分野：" + "、".join(ACTIVITY_FIELDS)]
        return []

    def result_lines(self) -> list[str]:
        verb = "取込" if self.written else "取込予定"
        lines = [f"{verb}：新規{len(self.created)}団体、更新{len(self.updated)}団体、変更なし{self.unchanged}団体"]
        if self.expired:
            lines.append(f"  うち有効期限が過ぎている{self.expired}団体は「期限切れ」で登録")
        new_numbers = sum(1 for c in self.created if not c.reg_no)
        if new_numbers:
            lines.append(f"  登録番号のない{new_numbers}団体には新しい番号を割り当て"
                         + ("ました" if self.written else "ます"))
        for c in self.updated[:50]:
            lines.append(f"  更新 {c.reg_no} {c.name}：{'、'.join(c.changes)}")
        if len(self.updated) > 50:
            lines.append(f"  ほか{len(self.updated) - 50}団体を更新")
        return lines


# MemberGroup attribute → the column staff see, for "what changes" in the preview.
_ATTR_COLUMN = {"reg_no": "登録番号", "name": "団体名", "kana": "フリガナ", "group_type": "区分",
                "is_machizukuri": "まちづくり協議会", "district": "地区", "activity_fields": "活動分野",
                "representative": "代表者", "phone": "電話番号", "contact_name": "連絡担当者",
                "contact_phone": "連絡先電話", "email": "メール", "address": "住所", "meeting_place": "活動場所",
                "members": "会員数", "registered_on": "登録日", "valid_until": "有効期限", "status": "状態",
                "status_reason": "状態の理由", "note": "備考"}



class _Matcher(RowChecker):
    """Judges the rows against the register in the database and each other: numbers unique in the file
    and never reused; likely duplicates (same name once kana and width are folded, or the same
    representative with the same phone digits) only noticed, since two groups may really share a name."""

    def __init__(self, report: GroupImportReport) -> None:
        self.report = report

    def match(self, rows: list[RosterRow], groups: list[MemberGroup]) -> None:
        """Numbers unique in the file and never reused; likely duplicates noticed."""
        by_reg = {g.reg_no: g for g in groups if g.reg_no}
        first_row_of_reg: dict[str, int] = {}
        for r in rows:
            if not r.reg_no:
                continue
            if r.reg_no in first_row_of_reg:
                self.error(r, "登録番号", f"登録番号{r.reg_no}が{first_row_of_reg[r.reg_no]}行目と重複しています。"
                                      "番号は団体ごとに1つです。")
                continue
            first_row_of_reg[r.reg_no] = r.row
            g = by_reg.get(r.reg_no)
            if g is None:
                continue
            if search_key(g.name) != search_key(r.name):
                self.error(r, "登録番号", f"登録番号{r.reg_no}は既に別の団体「{g.name}」に使われています（番号は再利用できません）。"
                                      "同じ団体なら団体名を合わせ、別の団体なら登録番号を空欄にしてください。")
                continue
            if g.status == GroupStatus.DEREGISTERED.value and r.status != GroupStatus.DEREGISTERED.value \
                    and r.given_status:
                self.error(r, "状態", f"登録番号{r.reg_no}「{g.name}」は抹消されています。抹消した団体は元に戻せません"
                                    "（新しく登録してください）。")
                continue
            r.existing = g
        self._duplicates(rows, groups)

    def _duplicates(self, rows: list[RosterRow], groups: list[MemberGroup]) -> None:
        db_names: dict[str, MemberGroup] = {}
        db_people: dict[tuple[str, str], MemberGroup] = {}
        for g in groups:
            db_names.setdefault(search_key(g.name), g)
            for phone in (g.phone, g.contact_phone):
                if digits_only(phone) and g.representative:
                    db_people.setdefault((search_key(g.representative), digits_only(phone)), g)
        file_names: dict[str, RosterRow] = {}
        file_people: dict[tuple[str, str], RosterRow] = {}
        for r in rows:
            if r.bad:
                continue
            name_key = search_key(r.name)
            people = [(search_key(r.representative), digits_only(p)) for p in (r.phone, r.contact_phone)
                      if digits_only(p) and r.representative]
            if name_key in file_names:
                other = file_names[name_key]
                self.notice(r.row, "団体名", f"{other.row}行目の「{other.name}」と同じ団体名です（重複の可能性）。")
            else:
                file_names[name_key] = r
                same_name = db_names.get(name_key)
                if same_name is not None and same_name is not r.existing:
                    self.notice(r.row, "団体名", f"登録済みの団体（登録番号{same_name.reg_no or 'なし'}「{same_name.name}」）と同じ団体名です"
                                               "（重複の可能性）。")
            for key in people:
                if key in file_people and file_people[key] is not r:
                    other = file_people[key]
                    self.notice(r.row, "代表者", f"{other.row}行目の「{other.name}」と代表者・電話番号が同じです（重複の可能性）。")
                    break
                same_person = db_people.get(key)
                if same_person is not None and same_person is not r.existing and search_key(same_person.name) != name_key:
                    self.notice(r.row, "代表者", f"登録済みの団体（登録番号{same_person.reg_no or 'なし'}「{same_person.name}」）と"
                                               "代表者・電話番号が同じです（重複の可能性）。")
                    break
            for key in people:
                file_people.setdefault(key, r)


def _changes(g: MemberGroup, values: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for attr, value in values.items():
        current = getattr(g, attr)
        if attr == "activity_fields":
            current = list(current or [])
        if attr in ("note", "status_reason"):
            current = current or ""
        if current != value:
            out.append(_ATTR_COLUMN[attr])
    return tuple(out)


def _snapshot(g: MemberGroup) -> dict[str, Any]:
    return {attr: (list(getattr(g, attr) or []) if attr == "activity_fields" else getattr(g, attr))
            for attr in _ATTR_COLUMN}


# --------------------------------------------------------------------------- the use cases


def _parse_register(report: GroupImportReport, path: Path, today: date,
                    limits: ImportLimits) -> list[RosterRow] | None:
    """Read the register within ``limits`` and judge each row on its own (no database): None when there is
    nothing to judge further."""
    opened = open_table(report, path, sheet=SHEET_NAME, find=find_header,
                        headings="登録番号・団体名・フリガナ・活動分野・代表者・登録日", limits=limits)
    if opened is None:
        return None
    table, header_index, positions = opened
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        report.errors.append(GroupImportIssue(table[header_index][0], "",
                                              f"必須の列「{'」「'.join(missing)}」がありません。見出しの行に加えてください。"))
        return None
    rows = parse_rows(report, table, header_index, positions, RowReader(report, today).parse)
    return rows or None


_Plan = list[tuple[RosterRow, dict[str, Any], tuple[str, ...]]]


def _judge_register(report: GroupImportReport, rows: list[RosterRow], groups: list[MemberGroup], today: date) -> _Plan:
    """Against the register in the database: numbers, duplicates, and what each row creates or changes."""
    _Matcher(report).match(rows, groups)
    report.sort_issues()
    plan: _Plan = []
    for r in rows:
        values = r.values()
        if r.existing is not None:
            if not r.given_status and r.existing.status in (GroupStatus.SUSPENDED.value,
                                                            GroupStatus.DEREGISTERED.value):
                # A blank 状態 leaves a manager's decision standing.
                values["status"], values["status_reason"] = r.existing.status, r.existing.status_reason or ""
            if to_hiragana(values["kana"]) == to_hiragana(r.existing.kana or ""):
                # The same reading in the other script (the export writes katakana): keep it as typed.
                values["kana"] = r.existing.kana
            changes = _changes(r.existing, values)
            if changes:
                report.updated.append(PlannedChange(r.row, r.reg_no, r.name, values["status"], changes))
            else:
                report.unchanged += 1
        else:
            report.created.append(PlannedChange(r.row, r.reg_no, r.name, values["status"]))
            changes = ()
        plan.append((r, values, changes))
    return plan


def _write_register(session: Session, actor: Actor, report: GroupImportReport, rows: list[RosterRow], plan: _Plan,
                    groups: list[MemberGroup], now: datetime, source: str) -> GroupImportReport:
    """The write itself (nothing is read from the file here)."""
    reason = f"団体名簿「{source}」の取込"
    highest = max([int(d) for g in groups if g.reg_no and (d := digits_only(g.reg_no))]
                  + [int(d) for r in rows if r.reg_no and (d := digits_only(r.reg_no))] + [0])
    made: list[tuple[MemberGroup, RosterRow]] = []
    touched: list[MemberGroup] = []
    for r, values, changes in plan:
        if r.existing is None:
            g = MemberGroup(created_at=now, created_by=actor.id, declarations=dict(ALL_DECLARED), **values)
            if not g.reg_no:
                n = next_number(session, REG_NO_SEQUENCE, start_from=highest + 1)
                while n <= highest:  # the counter predates numbers imported since
                    n = next_number(session, REG_NO_SEQUENCE)
                g.reg_no = f"{n:04d}"
            made.append((g, r))
            touched.append(g)
            continue
        g = r.existing
        touched.append(g)
        if not changes:
            continue
        before = _snapshot(g)
        old_status = g.status
        for attr, value in values.items():
            setattr(g, attr, value)
        g.updated_at, g.updated_by = now, actor.id
        if old_status != g.status:
            session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id, old_status=old_status,
                                          new_status=g.status, reason=reason))
        audit(session, actor, "update", "group", g.id, f"団体「{g.name}」の登録内容を{reason}で変更"
              f"（{'、'.join(changes)}）", before=before, after=_snapshot(g), now=now)
    session.add_all(g for g, _ in made)
    session.flush()
    for g, r in made:
        why = reason
        if g.status == GroupStatus.EXPIRED.value:
            assert g.valid_until is not None  # EXPIRED is decided from the date
            why += f"（有効期限{jcal.format_slash(g.valid_until)}が過ぎています）"
        session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id, old_status=None,
                                      new_status=g.status, reason=why))
    report.created = [PlannedChange(c.row, g.reg_no or "", c.name, c.status)  # every new group was numbered
                      for c, (g, _) in zip(report.created, made, strict=True)]
    report.group_ids = tuple(g.id for g in touched)
    report.written = True
    audit(session, actor, "import", "group", None,
          f"{reason}：新規{len(report.created)}団体、更新{len(report.updated)}団体、変更なし{report.unchanged}団体",
          after={"file": source, "rows": report.rows, "created": [c.reg_no for c in report.created],
                 "updated": [c.reg_no for c in report.updated], "unchanged": report.unchanged,
                 "warnings": [str(w) for w in report.warnings]}, now=now)
    session.flush()
    return report


def import_groups(session: Session, actor: Actor, path: Path, *, dry_run: bool,
                  now: datetime | None = None, limits: ImportLimits | None = None) -> GroupImportReport:
    """Import the register at ``path`` (.xlsx or .csv) in ``session``: all rows or none.

    Returns the report; when ``report.errors`` is not empty nothing was written. Raises a DomainError
    only when the file cannot be read at all or lies beyond the import limits (``limits``, the centre's when
    None), or the actor is not a manager. Everything happens in the caller's transaction; terminals use
    :func:`import_groups_file`, which reads and checks the file before taking any write lock.
    """
    require_manager(session, actor, "団体名簿の取込")
    limits = limits or get_import_limits(session)
    now = now or local_now()
    path = Path(path)
    report = GroupImportReport(path=str(path), dry_run=dry_run)
    rows = _parse_register(report, path, now.date(), limits)
    if rows is None:
        return report
    groups = list(session.scalars(select(MemberGroup)))
    plan = _judge_register(report, rows, groups, now.date())
    if report.errors or dry_run:
        return report
    return _write_register(session, actor, report, rows, plan, groups, now, path.name)


def _check_register(engine: Engine, actor: Actor, path: Path, now: datetime, limits: ImportLimits | None
                    ) -> tuple[GroupImportReport, list[RosterRow] | None, list[GroupImportIssue]]:
    """The check phase of :func:`import_groups_file`: the report, the parsed rows and the notices of the
    rows on their own (those of the match are made again by the write)."""
    from booking_app.store.engine import read_session

    with read_session(engine) as session:
        require_manager(session, actor, "団体名簿の取込")
        limits = limits or get_import_limits(session)
    report = GroupImportReport(path=str(path), dry_run=True)
    rows = _parse_register(report, path, now.date(), limits)  # no transaction open while the file is read
    if rows is None:
        return report, None, []
    parse_warnings = list(report.warnings)
    with read_session(engine) as session:
        groups = list(session.scalars(select(MemberGroup)))
        _judge_register(report, rows, groups, now.date())
    return report, rows, parse_warnings


def import_groups_file(engine: Engine, actor: Actor, path: Path, *, dry_run: bool,
                       now: datetime | None = None, limits: ImportLimits | None = None) -> GroupImportReport:
    """:func:`import_groups` in units of its own: the file is read and each row judged outside
    any transaction, the whole judged against the register in a read session, and the write is one short
    write session that judges the rows again against the register as it is then (another terminal may have
    registered a group meanwhile). No write lock is held while the file is read."""
    from booking_app.store.engine import write_session

    now = now or local_now()
    path = Path(path)
    report, rows, parse_warnings = _check_register(engine, actor, path, now, limits)
    report.dry_run = dry_run
    if rows is None or report.errors or dry_run:
        return report
    with write_session(engine) as session:
        require_manager(session, actor, "団体名簿の取込")
        groups = list(session.scalars(select(MemberGroup)))
        report.warnings = parse_warnings
        report.created, report.updated, report.unchanged = [], [], 0
        for r in rows:
            r.existing, r.bad = None, False
        plan = _judge_register(report, rows, groups, now.date())
        if report.errors:
            return report  # changed meanwhile: the new verdict, nothing written
        return _write_register(session, actor, report, rows, plan, groups, now, path.name)


def _export_rows(session: Session, today: date) -> list[list[Any]]:
    rows = []
    groups = session.scalars(select(MemberGroup).where(MemberGroup.reg_no.is_not(None))
                             .order_by(MemberGroup.reg_no, MemberGroup.id))
    for g in groups:
        status = effective_status(g.status, g.valid_until, today)
        rows.append([
            g.reg_no, g.name, katakana(g.kana or ""), GROUP_TYPES.get(g.group_type, g.group_type),
            MACHIZUKURI_MARK if g.is_machizukuri else "", g.district if g.is_machizukuri else "",
            "、".join(g.activity_fields or []), g.representative, g.phone, g.contact_name, g.contact_phone,
            g.email, g.address, g.meeting_place, g.members, g.registered_on, g.valid_until, status.label,
            g.status_reason if status in (GroupStatus.SUSPENDED, GroupStatus.DEREGISTERED) else "",
            g.note or "",
        ])
    return rows


def export_groups(session: Session, actor: Actor, path: Path, *, today: date | None = None,
                  file_name: str | None = None) -> int:
    """Write the register to ``path`` (.csv as UTF-8 with BOM so Excel reads it right, or .xlsx).

    Every registered group (with a number), in number order, with the columns the import reads; the
    状態 column says what the counter would say today. Returns the number of groups written.
    Managers only: the register carries representatives' names, addresses and telephone numbers.
    The export is recorded in the audit trail (what, how many, which file; never the data itself),
    so call it in a write transaction; ``file_name`` is the name to record when ``path`` is a temporary file.
    """
    require_manager(session, actor, "登録団体名簿の書き出し")
    path = Path(path)
    today = today or local_now().date()
    rows = _export_rows(session, today)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(group_roster_writer.csv_bytes(rows))
    elif suffix == ".xlsx":
        path.write_bytes(group_roster_writer.xlsx_bytes(rows, today))
    else:
        raise ValidationError(f"「{path.name}」には書き出せません。.csv か .xlsx を指定してください。", field="file")
    name = file_name or path.name
    audit(session, actor, "export", "member_group", None, f"登録団体名簿を書き出し（{len(rows)}団体、{name}）",
          after={"file": name, "rows": len(rows)})
    return len(rows)


__all__ = ["GroupImportReport", "PlannedChange", "export_groups", "import_groups", "import_groups_file"]
