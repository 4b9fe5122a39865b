"""Issue 14: every export of personal data, every backup and every restore leaves one audit row saying
what went out, how many rows and to which file, never the personal data itself."""

from __future__ import annotations

from pathlib import Path

from factories import World
from sqlalchemy import select

from booking_app import cli
from booking_app.services import group_io
from booking_app.services import insurance_reports as ir
from booking_app.services.audit_log import AuditFilter, export_audit, verify_chain
from booking_app.store.engine import make_engine, read_session
from booking_app.store.models import AuditEntry


def exports(engine) -> list[AuditEntry]:
    with read_session(engine) as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.in_(["export", "backup", "restore"]))
                              .order_by(AuditEntry.id)))
        s.expunge_all()
        return rows


def test_the_group_register_export_is_audited_without_the_names(world: World, tmp_path: Path):
    world.make_group("秘密の山田会")
    world.make_group("ふくふく子ども食堂")
    with world.write() as s:
        assert group_io.export_groups(s, world.manager, tmp_path / "名簿.xlsx") == 2
    (e,) = exports(world.engine)
    assert (e.action, e.entity, e.staff_id) == ("export", "member_group", world.manager.id)
    assert "2団体" in e.summary and "名簿.xlsx" in e.summary and e.after == {"file": "名簿.xlsx", "rows": 2}
    assert "山田" not in e.summary + str(e.after)


def test_the_insurance_roster_and_ledger_exports_are_audited(world: World, tmp_path: Path):
    with world.write() as s:
        assert ir.export_insurance(s, world.manager, 2026, tmp_path / "roster.csv") == 0
        ir.export_insurance(s, world.manager, 2026, tmp_path / "ledger.xlsx", kind="ledger")
    roster, ledger = exports(world.engine)
    assert roster.entity == ledger.entity == "insurance_enrolment"
    assert "加入者名簿を書き出し（0行、roster.csv）" in roster.summary and "令和8年度" in roster.summary
    assert "保険台帳を書き出し" in ledger.summary and ledger.after["filter"] == "ledger"


def test_the_audit_export_is_audited_and_the_chain_still_verifies(world: World, tmp_path: Path):
    with world.write() as s:
        export_audit(s, world.manager, AuditFilter(), tmp_path / "trail.csv")
    (e,) = exports(world.engine)
    assert (e.entity, e.action) == ("audit", "export")
    with world.read() as s:
        assert verify_chain(s).ok


def test_the_export_commands_record_their_rows(world: World, db_url, tmp_path: Path, capsys):
    world.make_group("秘密の山田会")
    assert cli.main(["--db", db_url, "export-groups", str(tmp_path / "g.csv")]) == 0
    assert cli.main(["--db", db_url, "export-insurance", "--fiscal-year", "2026", "-o",
                     str(tmp_path / "r.xlsx")]) == 0, capsys.readouterr().err
    assert [(e.entity, e.after["file"]) for e in exports(world.engine)] == [
        ("member_group", "g.csv"), ("insurance_enrolment", "r.xlsx")]


def test_backup_and_restore_are_audited(sqlite_url, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("BOOKING_APP_BACKUP_DIR", str(tmp_path / "auto"))
    from factories import seed

    engine = make_engine(sqlite_url)
    try:
        seed(engine)
        copy = tmp_path / "手動.sqlite3"
        assert cli.main(["--db", sqlite_url, "backup", str(copy)]) == 0, capsys.readouterr().err
        (b,) = exports(engine)
        assert (b.action, b.entity, b.after) == ("backup", "backup", {"file": "手動.sqlite3"})
        engine.dispose()
        assert cli.main(["--db", sqlite_url, "restore", str(copy), "--yes"]) == 0, capsys.readouterr().err
        rows = exports(engine)
        # The restored file does not have the backup's own row (taken after the copy); it gets the restore's.
        assert [(e.action, e.after["file"]) for e in rows] == [("restore", "手動.sqlite3")]
        assert "復元前の控え" in rows[0].summary
        with read_session(engine) as s:
            assert verify_chain(s).ok
    finally:
        engine.dispose()
