"""Personal data lifecycle (issue 15): retention, 匿名化 of a group, and the audit's one-time redaction.

The attack this answers: a 抹消 group kept its row, and overwriting its fields left the old address in three
audit snapshots. After 匿名化 no erased value may appear anywhere in the database (every text column of every
table and the audit JSON, receipts aside: they keep their 宛名 by tax law), the statistics do not move, and
verify-audit still passes on both databases.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent / "services"))

from factories import DAY, NOW, World, at, seed  # noqa: E402

from booking_app.domain.errors import PermissionDenied, RuleError, ValidationError  # noqa: E402
from booking_app.domain.groups import DECLARATIONS, GroupInput  # noqa: E402
from booking_app.services import groups as gsvc  # noqa: E402
from booking_app.services import insurance as ins  # noqa: E402
from booking_app.services import privacy  # noqa: E402
from booking_app.services.stats import figures as stats  # noqa: E402
from booking_app.services.audit_log import verify_chain  # noqa: E402
from booking_app.store import db_roles  # noqa: E402
from booking_app.store.engine import make_engine, read_session, write_session  # noqa: E402
from booking_app.store.models import AuditEntry, Base, MemberGroup  # noqa: E402

# The pinned default day (tests/pinning.py): the services get NOW (2026-11-25 09:00 JST) explicitly, and the
# dialogs read the app's clock, pinned here to the same day.
TODAY = NOW.date()
pytestmark = pytest.mark.now("2026-11-25 10:00")
PW = "umi-no-kaze-2026"

OLD_ADDRESS = "下関市唐戸町9-9-9 旧アパート101"
PERSONAL = {
    "representative": "代表者 鰐淵晴子",
    "phone": "083-111-2345",
    "contact_name": "連絡係 轟木一郎",
    "contact_phone": "090-9876-5432",
    "email": "wanibuchi@example.jp",
    "address": "下関市新地町8-8-8 新居202",
    "note": "代表者の自宅は犬がいます",
}
BOOKER = "予約者 鷲頭三郎"
INSURED = ("被保険者 蟹江五月", "カニエ サツキ")
ACCIDENT = {"person_name": "負傷者 鮫島六花", "reporter_name": "報告者 鯨井七海", "witnesses": "目撃者 鰻田八重",
            "description": "階段で鮫島六花さんが転倒", "injury": "右足首の捻挫（鮫島）"}
ERASED = [OLD_ADDRESS, *PERSONAL.values(), BOOKER, *INSURED, *ACCIDENT.values(), "0809998877"]
# Money: receipts (and their lines and voids) keep what was printed, by tax law.
NOT_SCANNED = {"receipts", "receipt_lines", "receipt_voids"}


@pytest.fixture
def world(db_url):
    """The seeded database (rooms, equipment, staff) on SQLite and on PostgreSQL."""
    engine = make_engine(db_url)
    try:
        yield seed(engine)
    finally:
        engine.dispose()


def tamper(world, db_url: str, assignment: str, row_id: int) -> None:
    """What only the owner can do: switch the trail's guard off, rewrite one row, switch it on again
    (SQLite: the trigger dropped; it is not needed afterwards)."""
    if world.dialect == "sqlite":
        con = sqlite3.connect(make_url(db_url).database, isolation_level=None)
        try:
            con.execute("DROP TRIGGER audit_log_no_update")
            con.execute(f"UPDATE audit_log SET {assignment} WHERE id = {row_id}")
        finally:
            con.close()
    else:
        with world.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_no_change"))
            conn.execute(text(f"UPDATE audit_log SET {assignment} WHERE id = {row_id}"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER trg_audit_no_change"))


def group_input(**kw) -> GroupInput:
    data = dict(name="唐戸ふれあい合唱団", kana="カラトフレアイガッショウダン", activity_fields=["社会教育"],
                members=12, declarations={k: True for k in DECLARATIONS}, **PERSONAL)
    data["address"] = OLD_ADDRESS
    data.update(kw)
    return GroupInput(**data)


def build_history(world: World) -> int:
    """A registered group with an address change (the old address stays in 3 audit snapshots), bookings
    by a person for it, a counter check, an insurance roster and an accident, then 抹消."""
    with world.write() as s:
        gid = gsvc.register_group(s, world.manager, group_input(), registered_on=date(2019, 4, 1),
                                  now=datetime(2019, 4, 1, 10)).id
    with world.write() as s:
        gsvc.update_group(s, world.desk, gid, group_input(address=PERSONAL["address"]), now=datetime(2019, 5, 1, 10))
    world.book(at(DAY, 10), at(DAY, 12), group_id=gid, booker_kind="member", booker_name=BOOKER,
               contact_phone="080-999-8877", note=f"{BOOKER}さんが鍵を返す")
    with world.write() as s:
        gsvc.verify_group(s, world.desk, gid, note="会員証を確認（鰐淵）", now=NOW)
    with world.write() as s:
        plan = {p.code: p.id for p in ins.plans_for_year(s, 2026, actor=world.manager)}["VOL-BASIC"]
        view = ins.enrol_group(s, world.desk, plan_id=plan, group_id=gid,
                               people=[ins.PersonInput(*INSURED), ins.PersonInput("田中 一郎", "タナカ イチロウ")],
                               applied_on=TODAY, now=NOW)
    with world.write() as s:
        ins.file_accident(s, world.desk, enrolment_id=view.id, occurred_at=datetime(2026, 11, 24, 15),
                          place="大会議室", reporter_phone="083-222-3333", now=NOW, **ACCIDENT)
    return gid


def all_text(engine) -> dict[str, list[tuple[str, str]]]:
    """Every text value of every table (JSON as its stored text and parsed), except the receipts."""
    found: dict[str, list[tuple[str, str]]] = {}
    with read_session(engine) as s:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_SCANNED:
                continue
            cols = [c.name for c in table.columns]
            for row in s.execute(text(f"SELECT {', '.join(f'CAST({c} AS TEXT)' for c in cols)} FROM {table.name}")):
                for col, value in zip(cols, row, strict=True):
                    if value:
                        found.setdefault(f"{table.name}.{col}", []).append((value, _unescape(value)))
    return found


def _unescape(value: str) -> str:
    import json

    try:
        return json.dumps(json.loads(value), ensure_ascii=False)
    except ValueError:
        return value


def leftovers(engine, values) -> list[str]:
    out = []
    for where, items in all_text(engine).items():
        for raw, plain in items:
            for v in values:
                if v in raw or v in plain:
                    out.append(f"{where}: {v}")
    return out


def figures(world: World):
    with world.read() as s:
        return stats.year_figures(s, 2026, today=TODAY), stats.monthly_users(s, 2026, today=TODAY)


def deregister(world: World, gid: int, when: datetime) -> None:
    with world.write() as s:
        gsvc.change_status(s, world.manager, gid, "deregistered", "解散届の提出", now=when)


# --------------------------------------------------------------------------- settings


def test_privacy_settings_default_save_and_refusals(world: World):
    with world.read() as s:
        assert privacy.get_privacy_settings(s) == privacy.PrivacySettings(5, 90)
    with pytest.raises(PermissionDenied, match="管理者"):
        with world.write() as s:
            privacy.save_privacy_settings(s, world.desk, privacy.PrivacySettings(3, 30), now=NOW)
    with pytest.raises(ValidationError, match="保存期間は1〜30年"):
        with world.write() as s:
            privacy.save_privacy_settings(s, world.manager, privacy.PrivacySettings(0, 30), now=NOW)
    with world.write() as s:
        privacy.save_privacy_settings(s, world.manager, privacy.PrivacySettings(3, 30), now=NOW)
    with world.read() as s:
        assert privacy.get_privacy_settings(s) == privacy.PrivacySettings(3, 30)
        assert s.scalars(select(AuditEntry.summary).where(AuditEntry.entity == "settings")).all()[-1] \
            == "個人情報の保存期間を設定（3年、自動バックアップ30日）"


# --------------------------------------------------------------------------- due for erasure


def test_groups_due_for_erasure_after_deregistration_or_disuse(world: World):
    with world.write() as s:
        old = gsvc.register_group(s, world.manager, group_input(name="昔の会"), registered_on=date(2019, 4, 1),
                                  now=datetime(2019, 4, 1, 10)).id
        gone = gsvc.register_group(s, world.manager, group_input(name="抹消の会"), registered_on=date(2019, 4, 1),
                                   now=datetime(2019, 4, 1, 10)).id
        fresh = gsvc.register_group(s, world.manager, group_input(name="今の会"), registered_on=date(2026, 4, 1),
                                    now=datetime(2026, 4, 1, 10)).id
    deregister(world, gone, datetime(2021, 6, 1, 10))
    with world.read() as s:
        due = {d.id: d for d in privacy.groups_due_for_erasure(s, TODAY)}
    assert set(due) == {old, gone}
    assert due[gone].kind == "deregistered" and due[gone].since == date(2021, 6, 1)
    assert due[gone].due_on == date(2026, 6, 1) and "抹消（2021/06/01）" in due[gone].reason
    assert due[old].kind == "unused" and due[old].since == date(2019, 4, 1)
    # A booking brings a group back into use.
    world.book(at(DAY, 10), at(DAY, 12), group_id=old, booker_kind="member", booker_name="")
    with world.read() as s:
        assert {d.id for d in privacy.groups_due_for_erasure(s, TODAY)} == {gone}
    assert fresh not in due


# --------------------------------------------------------------------------- 匿名化


def test_anonymise_erases_every_value_keeps_statistics_and_the_chain_verifies(world: World):
    gid = build_history(world)
    deregister(world, gid, datetime(2026, 11, 25, 8))
    before_figures = figures(world)
    # The attack: the old address stays in the snapshots (the registration and the change of address).
    assert sorted(leftovers(world.engine, [OLD_ADDRESS])) == [f"audit_log.{c}: {OLD_ADDRESS}" for c in ("after", "before")]
    with world.write() as s:
        result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求（電話で申出）", today=TODAY,
                                         now=NOW)
    assert result.fields >= 10 and result.redacted_rows >= 5
    assert leftovers(world.engine, ERASED) == []
    assert figures(world) == before_figures
    with world.read() as s:
        check = verify_chain(s)
        g = s.get(MemberGroup, gid)
        assert (g.name, g.reg_no, g.status, g.members) == ("唐戸ふれあい合唱団", g.reg_no, "deregistered", 12)
        assert g.representative == g.address == g.phone == privacy.MARKER
        assert g.anonymised_at == NOW and g.anonymised_by == world.manager.id
        row = s.get(AuditEntry, result.audit_id)
        assert row.action == "anonymise" and row.staff_id == world.manager.id
        assert len(row.after["rows"]) == result.redacted_rows
        redacted = s.scalars(select(AuditEntry).where(AuditEntry.redacted_in == result.audit_id)).all()
        assert len(redacted) == result.redacted_rows
        # The audit keeps that a change happened and by whom.
        assert {(r.action, r.entity) for r in redacted} >= {("create", "group"), ("update", "group")}
    assert check.ok, check.message()
    assert check.rows >= result.audit_id
    with world.write() as s:
        with pytest.raises(RuleError, match="匿名化済み"):
            privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)


def test_anonymise_in_good_standing_needs_the_persons_request_and_a_manager(world: World):
    with world.write() as s:
        gid = gsvc.register_group(s, world.manager, group_input(), registered_on=date(2026, 4, 1),
                                  now=datetime(2026, 4, 1, 10)).id
    with world.write() as s:
        with pytest.raises(PermissionDenied, match="個人情報の匿名化は管理者のみ"):
            privacy.anonymise_group(s, world.desk, gid, reason="本人の請求", today=TODAY, now=NOW)
    with world.write() as s:
        with pytest.raises(RuleError, match="保存期間（5年）を過ぎていません.*「本人の請求」"):
            privacy.anonymise_group(s, world.manager, gid, reason="整理のため", today=TODAY, now=NOW)
    with world.write() as s:
        with pytest.raises(ValidationError, match="理由を入力"):
            privacy.anonymise_group(s, world.manager, gid, reason=" ", today=TODAY, now=NOW)
    with world.read() as s:
        assert s.get(MemberGroup, gid).representative == PERSONAL["representative"]
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "anonymise")) is None


def test_a_second_redaction_of_a_row_is_refused_by_the_database(world: World, db_url):
    gid = build_history(world)
    with world.write() as s:
        result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
    with world.read() as s:
        target = s.scalars(select(AuditEntry.id).where(AuditEntry.redacted_in == result.audit_id)).first()
    if world.dialect == "sqlite":
        con = sqlite3.connect(make_url(db_url).database, isolation_level=None)
        try:
            for sql in (f"UPDATE audit_log SET summary = 'x', redacted_in = {result.audit_id} WHERE id = {target}",
                        f"UPDATE audit_log SET summary = 'x' WHERE id = {target}",
                        f"UPDATE audit_log SET after = '{{}}', redacted_in = {result.audit_id} "
                        f"WHERE id = {result.audit_id}"):
                with pytest.raises(sqlite3.IntegrityError, match="操作履歴は追記のみです"):
                    con.execute(sql)
            # An unlisted row cannot be "redacted" either, even naming the 匿名化 row.
            unlisted = con.execute("SELECT min(id) FROM audit_log WHERE redacted_in IS NULL").fetchone()[0]
            with pytest.raises(sqlite3.IntegrityError, match="操作履歴は追記のみです"):
                con.execute(f"UPDATE audit_log SET summary = 'x', redacted_in = {result.audit_id} "
                            f"WHERE id = {unlisted}")
        finally:
            con.close()
    else:
        # The owner itself calling the function again: the 匿名化 row is from an earlier transaction.
        with pytest.raises(PermissionDenied, match="この処理の中で書かれていません"):
            with write_session(world.engine) as s:
                s.execute(text("SELECT fukufuku_redact_audit(:r, ARRAY[:i]::bigint[], ARRAY['x'], "
                               "ARRAY[NULL]::text[], ARRAY[NULL]::text[])"), {"r": result.audit_id, "i": target})
    with world.read() as s:
        assert verify_chain(s).ok


def test_verify_fails_when_a_redacted_rows_staff_is_tampered_with(world: World, db_url):
    gid = build_history(world)
    with world.write() as s:
        result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
    with world.read() as s:
        target = s.scalars(select(AuditEntry.id).where(AuditEntry.redacted_in == result.audit_id)).first()
    tamper(world, db_url, f"staff_id = {world.desk.id}", target)
    with world.read() as s:
        check = verify_chain(s)
    assert not check.ok and check.broken_id == target
    assert "匿名化で消去された記録" in check.message()


# --------------------------------------------------------------------------- PostgreSQL: the database decides


def _login(engine, staff_id: int, role: str) -> str:
    login = f"p{os.getpid()}_{uuid.uuid4().hex[:8]}_{role}"
    with write_session(engine) as s:
        db_roles.create_login(s, staff_id, login, PW)
    return login


def test_postgres_a_desk_login_can_neither_call_the_redaction_nor_update_the_trail(pg_url):
    owner = make_engine(pg_url)
    try:
        world = seed(owner)
        gid = build_history(world)
        desk_login = _login(owner, world.desk.id, "desk")
        manager_login = _login(owner, world.manager.id, "manager")
        u = make_url(pg_url)
        desk = make_engine(u.set(username=desk_login, password=PW).render_as_string(hide_password=False))
        manager = make_engine(u.set(username=manager_login, password=PW).render_as_string(hide_password=False))
        try:
            with pytest.raises(PermissionDenied, match="個人情報の匿名化は管理者のみ"):
                with write_session(desk) as s:
                    privacy.anonymise_group(s, world.desk, gid, reason="本人の請求", today=TODAY, now=NOW)
            for sql in ("SELECT fukufuku_redact_audit(1, ARRAY[1]::bigint[], ARRAY['x'], ARRAY[NULL]::text[], "
                        "ARRAY[NULL]::text[])",
                        "UPDATE audit_log SET summary = 'x', redacted_in = 1 WHERE id = 1"):
                with pytest.raises(PermissionDenied, match="権限"):
                    with write_session(desk) as s:
                        s.execute(text(sql))
            # A manager's own login does it through the function, and the chain still verifies.
            with write_session(manager) as s:
                result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
            assert result.redacted_rows >= 4
            # …but never by hand: no UPDATE grant on the trail.
            with pytest.raises(PermissionDenied):
                with write_session(manager) as s:
                    s.execute(text("UPDATE audit_log SET summary = 'x' WHERE id = 1"))
            assert leftovers(owner, ERASED) == []
            with read_session(owner) as s:
                assert verify_chain(s).ok
        finally:
            desk.dispose()
            manager.dispose()
    finally:
        owner.dispose()


def test_the_new_columns_are_in_the_schema(world: World):
    cols = {c["name"] for c in inspect(world.engine).get_columns("audit_log")}
    assert "redacted_in" in cols
    cols = {c["name"] for c in inspect(world.engine).get_columns("member_groups")}
    assert {"anonymised_at", "anonymised_by"} <= cols


# --------------------------------------------------------------------------- the screens


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would (QTest.keyClicks only knows ASCII keys)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def _ui_world(sqlite_url) -> World:
    return seed(make_engine(sqlite_url))


def test_ui_manager_anonymises_a_due_group_from_the_list(qtbot, sqlite_url):
    from PySide6.QtCore import Qt

    from booking_app.ui.context import AppContext
    from booking_app.ui.groups.privacy_dialog import DueGroupsDialog

    world = _ui_world(sqlite_url)
    try:
        gid = build_history(world)
        deregister(world, gid, datetime(2020, 6, 1, 10))
        ctx = AppContext(world.engine, world.manager)
        dlg = DueGroupsDialog(ctx)
        qtbot.addWidget(dlg)
        dlg.show()
        assert [(d.id, d.kind) for d in dlg.model.rows()] == [(gid, "deregistered")]
        assert "5年" in dlg.head.text() and "1団体" in dlg.head.text()
        assert dlg.model.data(dlg.model.index(0, dlg.model.REASON)) == "抹消（2020/06/01）から保存期間を過ぎています"
        qtbot.mouseClick(dlg.anonymise_button, Qt.MouseButton.LeftButton)
        confirm = dlg.anonymise_dialog
        assert confirm is not None and confirm.isVisible()
        assert confirm.reason_edit.text() == "保存期間（5年）の経過"
        qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 0, timeout=3000)
        assert "匿名化しました" in dlg.message.text()
        with read_session(world.engine) as s:
            g = s.get(MemberGroup, gid)
            assert g.representative == privacy.MARKER and g.anonymised_by == world.manager.id
            assert verify_chain(s).ok
    finally:
        world.engine.dispose()


def test_ui_groups_page_anonymise_is_a_managers_and_needs_the_persons_request(qtbot, sqlite_url):
    from PySide6.QtCore import Qt

    from booking_app.ui import prompts as ui_prompts
    from booking_app.ui.context import AppContext
    from booking_app.ui.groups import groups_page as gp

    recorder = ui_prompts.RecordingPrompts()  # every screen's refusals, as staff would read them
    previous = ui_prompts.install(recorder)
    world = _ui_world(sqlite_url)
    try:
        with world.write() as s:
            gid = gsvc.register_group(s, world.manager, group_input(), registered_on=date(2026, 4, 1),
                                      now=datetime(2026, 4, 1, 10)).id
        ctx = AppContext(world.engine, world.desk)
        page = gp.GroupsPage(ctx)
        qtbot.addWidget(page)
        page.show()
        page.run_search(select_id=gid)
        assert page.selected_id() == gid
        assert not page.anonymise_button.isEnabled()  # a desk: not theirs
        ctx.set_actor(world.manager)
        assert page.anonymise_button.isEnabled()  # follows the staff member on duty
        qtbot.mouseClick(page.anonymise_button, Qt.MouseButton.LeftButton)
        confirm = page.anonymise_dialog
        assert confirm.isVisible() and confirm.windowTitle() == "個人情報の匿名化"
        type_text(confirm.reason_edit, "名簿の整理")
        qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
        shown = recorder.error_texts
        assert len(shown) == 1 and "保存期間（5年）を過ぎていません" in shown[0] and "本人の請求" in shown[0]
        assert confirm.isVisible()
        confirm.reason_edit.clear()
        type_text(confirm.reason_edit, "本人の請求（窓口で申出）")
        qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
        assert not confirm.isVisible()
        with read_session(world.engine) as s:
            assert s.get(MemberGroup, gid).address == privacy.MARKER
        qtbot.waitUntil(lambda: "匿名化済み" in page.detail_labels["representative"].text(), timeout=2000)
        assert page.detail_labels["representative"].text() == "（2026/11/25に個人情報を匿名化済み）"
        assert page.detail_labels["phones"].text() == privacy.MARKER  # once, not per field
        assert not page.anonymise_button.isEnabled()
        assert len(recorder.error_texts) == 1
    finally:
        ui_prompts.install(previous)
        world.engine.dispose()


def test_ui_privacy_settings_and_the_audit_page_tag(qtbot, sqlite_url):
    from PySide6.QtCore import Qt

    from booking_app.services import audit_log
    from booking_app.ui.admin.audit_page import REDACTED_TAG, AuditModel
    from booking_app.ui.context import AppContext
    from booking_app.ui.settings.privacy_settings import PrivacySettingsWidget

    world = _ui_world(sqlite_url)
    try:
        ctx = AppContext(world.engine, world.desk)
        w = PrivacySettingsWidget(ctx)
        qtbot.addWidget(w)
        assert (w.years.value(), w.days.value()) == (5, 90)
        assert not w.save_button.isEnabled() and "管理者" in w.note.text()
        ctx.set_actor(world.manager)
        assert w.save_button.isEnabled()
        w.years.setValue(7)
        w.days.setValue(30)
        qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
        with read_session(world.engine) as s:
            assert privacy.get_privacy_settings(s) == privacy.PrivacySettings(7, 30)
        gid = build_history(world)
        with world.write() as s:
            privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
        with read_session(world.engine) as s:
            page = audit_log.query_audit(s, audit_log.AuditFilter(entity=("group", "member_group")))
        model = AuditModel()
        model.set_rows(page.rows)
        summaries = [model.cell(r, AuditModel.SUMMARY) for r in page.rows]
        assert any(t.startswith(REDACTED_TAG) for t in summaries)
        assert any(r.action_label == "匿名化" for r in page.rows)
        assert not any(PERSONAL["address"] in t for t in summaries)
        out = Path(str(make_url(sqlite_url).database)).parent / "trail.csv"
        with write_session(world.engine) as s:
            audit_log.export_audit(s, world.manager, audit_log.AuditFilter(entity=("group", "member_group")), out)
        exported = out.read_bytes().decode("utf-8-sig")
        assert REDACTED_TAG in exported and PERSONAL["address"] not in exported
    finally:
        world.engine.dispose()


# --------------------------------------------------------------------------- migration 0010 and its grants


def test_migration_0010_goes_down_and_up_again_and_the_guard_follows(db_url):
    """Down to 0009: the columns and functions go, the trail refuses every UPDATE again; up again: back."""
    from alembic import command

    from booking_app.store.migrate import alembic_config, upgrade

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
            conn.commit()
        with engine.connect() as conn:
            assert "redacted_in" not in {c["name"] for c in inspect(conn).get_columns("audit_log")}
            assert "anonymised_at" not in {c["name"] for c in inspect(conn).get_columns("member_groups")}
            if engine.dialect.name == "postgresql":
                assert conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'fukufuku_redact_audit'")
                                    ).scalar() == 0
            else:
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'")).scalar()
                assert "WHEN" not in sql and "RAISE(ABORT" in sql
        upgrade(db_url)
        world = seed(engine)
        gid = build_history(world)
        with world.write() as s:
            result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
        assert result.redacted_rows >= 4
        with world.read() as s:
            assert verify_chain(s).ok
    finally:
        engine.dispose()


def test_postgres_grants_nobody_updates_the_trail_and_only_managers_may_redact(pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            def q(sql: str) -> bool:
                return bool(conn.execute(text(sql)).scalar())

            fn = "fukufuku_redact_audit(bigint, bigint[], text[], text[], text[])"
            for role in ("fukufuku_desk", "fukufuku_manager", "fukufuku_admin"):
                assert not q(f"SELECT has_table_privilege('{role}', 'audit_log', 'UPDATE')")
                assert not q(f"SELECT has_table_privilege('{role}', 'audit_log', 'DELETE')")
                assert q(f"SELECT has_column_privilege('{role}', 'audit_log', 'redacted_in', 'SELECT')")
                assert q(f"SELECT has_column_privilege('{role}', 'member_groups', 'anonymised_at', 'SELECT')")
            assert not q(f"SELECT has_function_privilege('fukufuku_desk', '{fn}', 'EXECUTE')")
            assert q(f"SELECT has_function_privilege('fukufuku_manager', '{fn}', 'EXECUTE')")
            assert q(f"SELECT has_function_privilege('fukufuku_admin', '{fn}', 'EXECUTE')")
            assert not q(f"SELECT has_function_privilege('public', '{fn}', 'EXECUTE')")
    finally:
        engine.dispose()


def test_another_rows_audit_loses_only_the_identifying_values(world: World):
    gid = build_history(world)
    # A person's own booking naming the representative, with the group's note as its purpose (a free text:
    # only the identifying values leave a row that is not about the group).
    other = world.book(at(DAY, 13), at(DAY, 15), booker_name=f"別の利用者（{PERSONAL['representative']}の紹介）",
                       purpose=PERSONAL["note"])
    with world.write() as s:
        privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
    with world.read() as s:
        row = s.scalars(select(AuditEntry).where(AuditEntry.entity == "booking", AuditEntry.entity_id == other.id)
                        .order_by(AuditEntry.id)).first()
        assert row.redacted_in is not None
        text_now = f"{row.summary}{row.after}"
        assert PERSONAL["representative"] not in text_now
        assert "別の利用者（＊＊＊の紹介）" in text_now  # another person's own data stays
        assert PERSONAL["note"] in text_now
        assert verify_chain(s).ok


def test_verify_audit_command_passes_after_anonymise_and_names_a_tampered_redacted_row(world: World, db_url,
                                                                                      capsys, monkeypatch):
    from booking_app import cli
    from tests.cli_login import command_url

    gid = build_history(world)
    with world.write() as s:
        result = privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
        target = s.scalars(select(AuditEntry.id).where(AuditEntry.redacted_in == result.audit_id)).first()
    login = command_url(monkeypatch, db_url, scope="backup")
    assert cli.main(["--db", login, "verify-audit"]) == 0
    assert "改ざんされていません" in capsys.readouterr().out
    # The redacted text itself rewritten afterwards (by the owner, the guard switched off): a break.
    tamper(world, db_url, "summary = '別の内容'", target)
    assert cli.main(["--db", login, "verify-audit"]) == 1
    assert f"番号 {target}" in capsys.readouterr().err


def test_postgres_the_function_erases_only_what_the_anonymise_row_recorded(pg_url):
    """Even the owner, through the function: content other than the recorded redacted_hash, a row the 匿名化
    row does not list, or a row named twice is refused, and nothing is changed."""
    engine = make_engine(pg_url)
    try:
        world = seed(engine)
        build_history(world)
        with world.read() as s:
            target = s.scalars(select(AuditEntry).where(AuditEntry.entity == "group").order_by(AuditEntry.id)).first()
            other = s.scalars(select(AuditEntry.id).where(AuditEntry.entity == "booking")).first()
            listed = {"id": target.id, "row_hash": target.row_hash, "at": "x", "staff_id": target.staff_id,
                      "action": target.action, "entity": target.entity, "entity_id": target.entity_id,
                      "redacted_hash": "0" * 64}
        for ids in ([target.id], [other], [target.id, target.id]):
            with pytest.raises(PermissionDenied, match="匿名化の記録（番号 \\d+）と一致しません"):
                with write_session(engine) as s:
                    s.add(AuditEntry(at=NOW, staff_id=world.manager.id, action="anonymise", entity="member_group",
                                     entity_id=1, summary="", before=None, after={"rows": [listed]}))
                    s.flush()
                    rid = s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
                    n = len(ids)
                    s.execute(text("SELECT fukufuku_redact_audit(:r, CAST(:i AS bigint[]), CAST(:s AS text[]), "
                                   "CAST(:b AS text[]), CAST(:a AS text[]))"),
                              {"r": rid, "i": ids, "s": ["x"] * n, "b": [None] * n, "a": [None] * n})
        with world.read() as s:
            assert s.get(AuditEntry, target.id).redacted_in is None
            assert verify_chain(s).ok
    finally:
        engine.dispose()


def test_money_and_insurance_totals_stay_and_receipts_keep_their_payer(world: World):
    from booking_app.services import insurance_reports, payments
    from booking_app.store.models import Booking, Charge, Receipt

    gid = build_history(world)
    with world.read() as s:
        booking_id = s.scalar(select(Booking.id).where(Booking.group_id == gid))
        charge_ids = [c.id for c in payments.open_charges(s, booking_id=booking_id)]
    assert charge_ids
    with world.write() as s:
        receipt = payments.take_payment(s, world.desk, charge_ids, payer_name=BOOKER, purpose="会議室使用料として",
                                        group_id=gid, now=NOW, terminal="受付1")

    def money():
        with world.read() as s:
            led = insurance_reports.ledger(s, 2026)
            return (payments.receipt_totals(s), led.grand, led.totals, len(led.rows),
                    sorted((c.amount, c.status) for c in s.scalars(select(Charge))),
                    sorted(s.scalars(select(Charge.payer_name).where(Charge.status == "paid"))))

    before = money()
    with world.write() as s:
        privacy.anonymise_group(s, world.manager, gid, reason="本人の請求", today=TODAY, now=NOW)
    assert money() == before
    with world.read() as s:
        assert s.get(Receipt, receipt.id).payer_name == BOOKER  # 宛名: kept 7 years by tax law
        assert verify_chain(s).ok


def test_a_row_naming_two_groups_is_erased_by_each_groups_anonymise_in_turn(world: World):
    """The guard lets redacted_in only grow: a row already erased for one group is erased again for the next."""
    with world.write() as s:
        a = gsvc.register_group(s, world.manager, group_input(name="甲の会"), registered_on=date(2026, 4, 1),
                                now=datetime(2026, 4, 1, 10)).id
        b = gsvc.register_group(s, world.manager, group_input(name="乙の会", representative="代表者 鴨志田九郎",
                                                              phone="083-777-1111", email="kamo@example.jp",
                                                              address="下関市竹崎町1-1-1"),
                                registered_on=date(2026, 4, 1), now=datetime(2026, 4, 1, 10)).id
    shared = world.book(at(DAY, 13), at(DAY, 15),
                        booker_name=f"合同：{PERSONAL['representative']}・代表者 鴨志田九郎")
    with world.write() as s:
        first = privacy.anonymise_group(s, world.manager, a, reason="本人の請求", today=TODAY, now=NOW)
    with world.write() as s:
        second = privacy.anonymise_group(s, world.manager, b, reason="本人の請求", today=TODAY, now=NOW)
    with world.read() as s:
        row = s.scalars(select(AuditEntry).where(AuditEntry.entity == "booking",
                                                 AuditEntry.entity_id == shared.id)).first()
        assert row.redacted_in == second.audit_id > first.audit_id
        assert "合同：＊＊＊・＊＊＊" in row.summary + str(row.after)
        assert verify_chain(s).ok
    # The trail holds neither name any more; the shared booking is a person's own record, not the groups':
    # its booker name and charge stay (匿名化 acts on a group and the rows linked to it).
    left = leftovers(world.engine, [PERSONAL["representative"], "代表者 鴨志田九郎"])
    assert {w.split(":")[0] for w in left} == {"bookings.booker_name", "charges.payer_name"}
