"""The audit viewer's service (操作履歴): filters, paging, before/after, export, append-only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from factories import DAY, NOW, World, at
from openpyxl import load_workbook
from sqlalchemy import func, select

from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.services import bookings as bsvc
from booking_app.services.audit_log import (
    EXPORT_HEADERS,
    NONE_TEXT,
    AuditFilter,
    audit_choices,
    ACTION_LABELS,
    ENTITY_LABELS,
    diff_fields,
    export_audit,
    query_audit,
    operation_title,
    render_value,
)
from booking_app.services.common import audit
from booking_app.store.models import AuditEntry

LATER = datetime(2026, 11, 25, 23, 59)  # the last minute of NOW's day: inside ``until`` = that day
NEXT_DAY = datetime(2026, 11, 26, 10, 0)
EARLY = datetime(2026, 10, 1, 9, 0)


@pytest.fixture
def trail(world: World) -> dict:
    """Two bookings by the desk, a change by the manager, a cancel the next day, and odd entries."""
    a = world.book(at(DAY, 10), at(DAY, 12))
    b = world.book(at(DAY, 13), at(DAY, 15), booker_name="Yamada Taro")
    with world.write() as s:
        bsvc.update_booking(s, world.manager, a.id, bsvc.with_overrides(a.to_input(), attendees=8), now=LATER)
    with world.write() as s:
        bsvc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NEXT_DAY)
    with world.write() as s:
        audit(s, world.manager, "frobnicate", "widget", 77, "ABC 100% test_entry", now=EARLY)
    return {"a": a.id, "b": b.id}


def _ids(page) -> list[int]:
    return [r.id for r in page.rows]


# Each booking also writes a "charge" entry (its fee quote); the tests count those separately.
def _not_charges(page) -> list:
    return [r for r in page.rows if r.entity != "charge"]


def test_newest_first_with_labels_and_staff_names(world: World, trail):
    with world.read() as s:
        page = query_audit(s)
        charges = query_audit(s, AuditFilter(entity="charge")).total
    assert charges >= 2 and page.total == 5 + charges == len(page.rows)
    assert [r.at for r in page.rows] == sorted((r.at for r in page.rows), reverse=True)
    rows = _not_charges(page)
    first = rows[0]
    assert (first.action, first.action_label, first.entity, first.entity_label) == ("cancel", "取消", "booking", "予約")
    assert first.staff_name == world.desk.name and first.entity_id == trail["b"]
    assert first.before["status"] == "confirmed" or first.before["status"] == "tentative"
    assert first.after["status"] == "cancelled"
    upd = next(r for r in rows if r.action == "update")
    assert (upd.action_label, upd.staff_name) == ("変更", world.manager.name)
    odd = page.rows[-1]  # the oldest of all
    # names this module does not know are shown as they are
    assert (odd.action_label, odd.entity_label, odd.at) == ("frobnicate", "widget", EARLY)
    # same instant: the later entry (higher id) first
    creates = [r for r in rows if r.action == "create"]
    assert [r.entity_id for r in creates] == [trail["b"], trail["a"]]


def test_each_filter_narrows(world: World, trail):
    def ids(**kw) -> set[tuple[str, int | None]]:
        with world.read() as s:
            page = query_audit(s, AuditFilter(**kw))
        assert page.total == len(page.rows)
        return {(r.action, r.entity_id) for r in _not_charges(page)}

    a, b = trail["a"], trail["b"]
    assert ids(since=date(2026, 11, 25)) == {("create", a), ("create", b), ("update", a), ("cancel", b)}
    # until is inclusive: 23:59 of that day is in, the next morning is out
    assert ids(until=date(2026, 11, 25)) == {("create", a), ("create", b), ("update", a), ("frobnicate", 77)}
    assert ids(since=date(2026, 11, 26), until=date(2026, 11, 26)) == {("cancel", b)}
    assert ids(since=date(2026, 11, 27)) == set()
    assert ids(staff_id=world.manager.id) == {("update", a), ("frobnicate", 77)}
    assert ids(entity="widget") == {("frobnicate", 77)}
    assert ids(entity=("widget", "booking")) == {("create", a), ("create", b), ("update", a), ("cancel", b),
                                                 ("frobnicate", 77)}
    assert ids(action="create") == {("create", a), ("create", b)}
    assert ids(entity_id=a) == {("create", a), ("update", a)}
    assert ids(entity="booking", action="cancel", staff_id=world.desk.id) == {("cancel", b)}
    assert ids(entity="booking", action="cancel", staff_id=world.manager.id) == set()
    with world.read() as s:
        charges = query_audit(s, AuditFilter(entity="charge")).rows
    assert charges and {r.entity_label for r in charges} == {"料金"}


def test_text_search_is_case_insensitive_and_literal(world: World, trail):
    def ids(text: str) -> set[int | None]:
        with world.read() as s:
            return {r.entity_id for r in query_audit(s, AuditFilter(text=text)).rows}

    number = f"{trail['b']:07d}"
    with world.read() as s:
        found = query_audit(s, AuditFilter(text=number)).rows
    # 予約0000002を登録 / 予約0000002：確定→取消 / 予約0000002の料金を更新…, never booking a's entries
    assert {(r.entity, r.action) for r in found} >= {("booking", "create"), ("booking", "cancel")}
    assert all(number in r.summary for r in found) and trail["a"] not in {r.entity_id for r in found}
    assert ids("abc") == ids("ABC") == {77}
    assert ids("  団体の都合 ") == {trail["b"]}
    # % and _ are searched for as they are, not as LIKE wildcards
    assert ids("100%") == {77}
    assert ids("a_c") == set() and ids("test_entry") == {77}  # "_" as a wildcard would match "ABC"
    assert ids("0%y") == set()  # "%" as a wildcard would match "100% test_entry"
    # Spaces fold away on both sides, as in every search (issue 13, item 5): "0%t" is in "100% test".
    assert ids("0%t") == ids("ＡＢＣ１００") == {77}


def test_paging_keeps_the_total(world: World, trail):
    with world.read() as s:
        everything = _ids(query_audit(s))
        n = len(everything)
        pages = [query_audit(s, limit=2, offset=o) for o in range(0, n, 2)]
        past = query_audit(s, limit=2, offset=n + 5)
        narrowed = query_audit(s, AuditFilter(entity="booking"), limit=3, offset=3)
    assert n >= 7 and {p.total for p in pages} == {n} and past.total == n
    assert [i for p in pages for i in _ids(p)] == everything
    assert len(pages[-1].rows) == 2 - n % 2 and past.rows == []
    assert narrowed.total == 4 and len(narrowed.rows) == 1


def test_a_period_the_wrong_way_round_is_refused(world: World):
    with world.read() as s, pytest.raises(ValidationError, match="開始日"):
        query_audit(s, AuditFilter(since=date(2026, 12, 1), until=date(2026, 11, 1)))


def test_choices_offer_staff_and_what_is_in_the_trail(world: World, trail):
    with world.read() as s:
        ch = audit_choices(s)
    assert (world.desk.id, world.desk.name) in ch.staff and (world.manager.id, world.manager.name) in ch.staff
    assert ("予約", ("booking",)) in ch.entities and ("widget", ("widget",)) in ch.entities
    assert [a for _l, a in ch.actions] == ["create", "update", "cancel", "quote", "frobnicate"]
    assert ("登録", "create") in ch.actions


def test_choices_put_both_group_names_under_one_label(world: World):
    with world.write() as s:
        audit(s, world.manager, "create", "group", 1, "団体「A」を登録", now=NOW)
        audit(s, world.manager, "create", "member_group", 2, "団体「B」を取込で登録", now=NOW)
    with world.read() as s:
        ch = audit_choices(s)
        entities = dict(ch.entities)
        assert entities["団体"] == ("group", "member_group")
        assert query_audit(s, AuditFilter(entity=entities["団体"])).total == 2


# --------------------------------------------------------------------------- diff_fields (no database)


def test_diff_fields_lists_only_changed_keys_readably():
    before = {"status": "tentative", "attendees": 5, "start": "2026-12-02T10:00:00", "purpose": "定例会",
              "hold_until": "2026-11-30", "equipment": {"1": 1}, "gone": "x", "note": None}
    after = {"status": "confirmed", "attendees": 5, "start": "2026-12-02T13:30:00", "purpose": "定例会",
             "hold_until": None, "equipment": {"1": 2}, "added": [1, 2, 3], "note": None}
    changes = diff_fields(before, after, entity="booking")
    assert [c.key for c in changes] == ["status", "start", "hold_until", "equipment", "gone", "added"]
    rows = {c.key: tuple(c) for c in changes}
    assert rows["status"] == ("状態", "仮予約", "確定")
    assert rows["start"] == ("開始", "2026/12/02 10:00", "2026/12/02 13:30")
    assert rows["hold_until"] == ("仮予約の期限", "2026/11/30", NONE_TEXT)
    assert rows["equipment"] == ("備品", "1: 1", "1: 2")
    assert rows["gone"] == ("gone", "x", NONE_TEXT)  # removed key: unknown names shown as they are
    assert rows["added"] == ("added", NONE_TEXT, "1、2、3")
    field, old, new = changes[0]  # unpacks as a 3-tuple
    assert (field, old, new) == ("状態", "仮予約", "確定")


def test_diff_fields_of_a_creation_and_of_nothing():
    created = diff_fields(None, {"name": "小会議室1", "capacity": 12, "active": True})
    assert [tuple(c) for c in created] == [("名称", NONE_TEXT, "小会議室1"), ("定員", NONE_TEXT, "12"),
                                           ("有効", NONE_TEXT, "はい")]
    assert diff_fields(None, None) == []
    assert diff_fields({"a": 1}, {"a": 1}) == []
    assert diff_fields({"a": [1, 2]}, {"a": [1, 2]}) == []
    assert diff_fields(None, {"cancelled": [], "name": ""}) == []  # nothing set: nothing to show


def test_render_value_shortens_long_lists_and_keeps_plain_text():
    assert render_value(list(range(1, 31))) == "1、2、3、4、5、6、7、8、9、10 …（全30件）"
    assert render_value([]) == NONE_TEXT and render_value("") == NONE_TEXT and render_value(None) == NONE_TEXT
    assert render_value({"by": [1, 2]}) == "by: 1、2"
    assert render_value("2026-04-01 09:00:00") == "2026/04/01 09:00"
    assert render_value("団体の都合") == "団体の都合"
    assert render_value(2.0) == "2" and render_value(False) == "いいえ"
    assert render_value("in_use", key="status", entity="group") == "in_use"  # only bookings' statuses translated


# --------------------------------------------------------------------------- export


def _exports(world: World) -> list[AuditEntry]:
    with world.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "audit", AuditEntry.action == "export")))
        s.expunge_all()
        return rows


def test_export_is_refused_to_the_desk(world: World, trail, tmp_path: Path):
    target = tmp_path / "履歴.xlsx"
    with world.write() as s, pytest.raises(PermissionDenied, match="管理者のみ"):
        export_audit(s, world.desk, AuditFilter(), target)
    assert not target.exists() and _exports(world) == []


def test_export_xlsx_is_readable_and_audited(world: World, trail, tmp_path: Path):
    target = tmp_path / "履歴.xlsx"
    with world.write() as s:
        n = export_audit(s, world.manager, AuditFilter(entity="booking"), target, now=NEXT_DAY)
    assert n == 4
    wb = load_workbook(target, read_only=True)
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    wb.close()  # read-only workbooks keep the file open until closed
    assert tuple(rows[0]) == EXPORT_HEADERS and len(rows) == 5
    cancel = rows[1]
    assert cancel[0] == "2026/11/26 10:00:00" and cancel[1] == world.desk.name
    assert (cancel[2], cancel[3], cancel[4]) == ("取消", "予約", trail["b"])
    assert "取消" in cancel[5]
    assert "状態: " in cancel[6] and "状態: 取消" in cancel[7] and "理由: 団体の都合" in cancel[7]
    create = rows[-1]
    assert create[2] == "登録" and create[6] in (None, "")  # nothing before a creation
    assert "開始: 2026/12/02 10:00" in create[7]
    [entry] = _exports(world)
    assert entry.staff_id == world.manager.id and entry.at == NEXT_DAY
    assert "4件" in entry.summary and "履歴.xlsx" in entry.summary and "予約" in entry.summary
    assert entry.after["rows"] == 4


def test_export_csv_has_a_bom_for_excel(world: World, trail, tmp_path: Path):
    target = tmp_path / "audit.csv"
    with world.write() as s:
        n = export_audit(s, world.manager, AuditFilter(text="abc"), target)
    data = target.read_bytes()
    assert n == 1 and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert tuple(rows[0]) == EXPORT_HEADERS
    assert rows[1][:5] == ["2026/10/01 09:00:00", world.manager.name, "frobnicate", "widget", "77"]
    # the export itself is now in the trail, and a later export includes it
    with world.write() as s:
        assert export_audit(s, world.manager, AuditFilter(entity="audit"), tmp_path / "again.csv") == 1


def test_export_refuses_other_file_types(world: World, tmp_path: Path):
    with world.write() as s, pytest.raises(ValidationError, match=r"\.xlsx"):
        export_audit(s, world.manager, AuditFilter(), tmp_path / "audit.pdf")


# --------------------------------------------------------------------------- append-only


def test_reading_and_exporting_never_change_the_trail(world: World, trail, tmp_path: Path):
    def snapshot() -> list[tuple]:
        with world.read() as s:
            return [tuple(r) for r in s.execute(select(AuditEntry.id, AuditEntry.at, AuditEntry.staff_id,
                                                       AuditEntry.action, AuditEntry.summary).order_by(AuditEntry.id))]

    before = snapshot()
    with world.write() as s:
        query_audit(s, AuditFilter(text="abc"))
        export_audit(s, world.manager, AuditFilter(), tmp_path / "a.xlsx")
    after = snapshot()
    assert after[: len(before)] == before and len(after) == len(before) + 1
    with world.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == len(after)


# Statements that would rewrite or remove audit rows. Tests may clear tables between examples
# (factories.clear_bookings); the application itself never does.
_MUTATIONS = [
    re.compile(r"\b(update|delete)\(\s*AuditEntry\b"),
    re.compile(r"(?i)\b(update|delete\s+from)\s+audit_log\b"),
    re.compile(r"session\.delete\([^)]*audit", re.IGNORECASE),
]


def test_no_application_code_updates_or_deletes_audit_entries():
    root = Path(__file__).resolve().parents[2] / "booking_app"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "AuditEntry" not in text and "audit_log" not in text:
            continue
        for pattern in _MUTATIONS:
            offenders += [f"{path.relative_to(root)}: {m.group(0)}" for m in pattern.finditer(text)]
    # The one sanctioned change (issue 15): 匿名化 erases a row's values on SQLite with this UPDATE, which
    # migration 0010's trigger allows only for rows a later, chained 匿名化 row lists (PostgreSQL: through
    # fukufuku_redact_audit); verify_chain checks the result.
    assert offenders == ["services/privacy.py: UPDATE audit_log"]
    # the grep can find what it looks for (a guard against a pattern that never matches)
    assert _MUTATIONS[0].search("s.execute(delete(AuditEntry))")
    assert _MUTATIONS[1].search("DELETE FROM audit_log WHERE id = 1")


def test_operation_titles_read_naturally_for_every_entity_and_action():
    """The detail heading: 「予約の登録」, never a word twice (「料金の料金計算」, 「月次締めの締め」)."""
    assert operation_title("booking", "create") == "予約の登録"
    assert operation_title("charge", "quote") == "料金計算"
    assert operation_title("month_closing", "close") == "月次締め"
    assert operation_title("walkin_tally", "tally") == "来館者カウント"
    assert operation_title("walkin_tally", "undo") == "来館者カウントを元に戻す"
    assert operation_title("stat_amendment", "amend") == "統計の修正"
    assert operation_title("backup", "backup") == "バックアップ"
    assert operation_title("demo", "seed_demo") == "デモデータの作成"
    assert operation_title("staff", "login") == "ログイン"
    assert operation_title("newer_thing", "frobnicate") == "newer_thingのfrobnicate"  # unknown: as it is
    for entity, what in ENTITY_LABELS.items():
        for action, done in ACTION_LABELS.items():
            title = operation_title(entity, action)
            # Each label at most once, and a label that already holds the other stands alone.
            assert title and all(title.count(word) <= 1 for word in {what, done}), (entity, action, title)
            if what in done or done in what:
                assert title == max(what, done, key=len), (entity, action, title)
