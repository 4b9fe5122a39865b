"""Issue 14: every export of personal data, every backup and every restore leaves one audit row saying
what went out, how many rows and to which file, never the personal data itself."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import World, at
from sqlalchemy import select

from booking_app import cli
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.reports.insurance_pdf import write_insurance
from booking_app.reports.stats_export import write_stats
from booking_app.services import cards, group_io, slips
from booking_app.services import insurance_reports as ir
from booking_app.services.audit_log import AuditFilter, export_audit, verify_chain
from booking_app.services.common import Actor
from booking_app.services.stats_export import gather_stats
from booking_app.store.engine import make_engine, read_session
from booking_app.store.models import AuditEntry
from tests.cli_login import command_url, signed_in


def exports(engine, actions=("export", "backup", "restore")) -> list[AuditEntry]:
    """The audit rows of these actions, oldest first."""
    with read_session(engine) as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)))
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
        rows = ir.export_insurance(s, world.manager, 2026, tmp_path / "roster.csv")
        assert write_insurance(rows, tmp_path / "roster.csv", fiscal_year=2026) == 0
        doc = ir.export_insurance(s, world.manager, 2026, tmp_path / "ledger.xlsx", kind="ledger")
        write_insurance(doc, tmp_path / "ledger.xlsx")
    roster, ledger = exports(world.engine)
    assert roster.entity == ledger.entity == "insurance_enrolment"
    assert "加入者名簿を書き出し（0行、roster.csv）" in roster.summary and "令和8年度" in roster.summary
    assert "保険台帳を書き出し" in ledger.summary and ledger.after["filter"] == "ledger"


def test_an_insurance_file_that_cannot_be_written_leaves_no_audit_row(world: World, tmp_path: Path):
    blocked = tmp_path / "roster.xlsx"
    blocked.mkdir()  # a folder where the file should go: saving it fails
    with pytest.raises(OSError), world.write() as s:
        write_insurance(ir.export_insurance(s, world.manager, 2026, blocked), blocked, fiscal_year=2026)
    with pytest.raises(ValidationError, match=".xlsx か .csv"), world.write() as s:
        write_insurance(ir.export_insurance(s, world.manager, 2026, tmp_path / "名簿.pdf"), tmp_path / "名簿.pdf")
    assert exports(world.engine) == [] and not (tmp_path / "名簿.pdf").exists()


def test_the_audit_export_is_audited_and_the_chain_still_verifies(world: World, tmp_path: Path):
    with world.write() as s:
        export_audit(s, world.manager, AuditFilter(), tmp_path / "trail.csv")
    (e,) = exports(world.engine)
    assert (e.entity, e.action) == ("audit", "export")
    with world.read() as s:
        assert verify_chain(s).ok


def test_the_export_commands_record_their_rows(world: World, db_url, tmp_path: Path, capsys, monkeypatch):
    world.make_group("秘密の山田会")
    # Signed in as the manager (issue 15): SQLite with a command token, PostgreSQL with their own login.
    db = command_url(monkeypatch, db_url, world.manager.name)
    assert cli.main(["--db", db, "export-groups", str(tmp_path / "g.csv")]) == 0, capsys.readouterr().err
    assert cli.main(["--db", db, "export-insurance", "--fiscal-year", "2026", "-o",
                     str(tmp_path / "r.xlsx")]) == 0, capsys.readouterr().err
    assert [(e.entity, e.after["file"], e.staff_id) for e in exports(world.engine)] == [
        ("member_group", "g.csv", world.manager.id), ("insurance_enrolment", "r.xlsx", world.manager.id)]


def test_backup_and_restore_are_audited(sqlite_url, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("BOOKING_APP_BACKUP_DIR", str(tmp_path / "auto"))
    from factories import seed

    engine = make_engine(sqlite_url)
    try:
        seed(engine)
        signed_in(monkeypatch, engine)  # the first システム管理 row: restore needs one (issue 15)
        copy = tmp_path / "手動.sqlite3"
        assert cli.main(["--db", sqlite_url, "backup", str(copy)]) == 0, capsys.readouterr().err
        (b,) = exports(engine)
        assert (b.action, b.entity, b.after["file"]) == ("backup", "backup", "手動.sqlite3")
        assert set(b.after) <= {"file", "encrypted"}  # what went out, never the data
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


# --------------------------------------------------------------------------- issue 14: the rest of the exports

NOW = "2026-11-25 10:00"  # the slips, cards and lists below are of the days and year around this one
DAY = date(2026, 11, 26)


def printed(engine) -> list[AuditEntry]:
    """Every print, export and backup row, oldest first."""
    return exports(engine, ("print", "export", "backup"))


@pytest.mark.now(NOW)
def test_the_statistics_export_is_audited_as_its_author(world: World, tmp_path: Path):
    with world.write() as s:
        write_stats(gather_stats(s, world.desk, tmp_path / "月報.csv", month=(2026, 10)), tmp_path / "月報.csv")
    (e,) = printed(world.engine)
    assert (e.action, e.entity, e.staff_id) == ("export", "statistics", world.desk.id)
    assert "令和8年10月分の統計を書き出し（CSV、月報.csv）" in e.summary
    assert e.after == {"file": "月報.csv", "period": "2026-10", "format": "csv"}
    assert (tmp_path / "月報.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.now(NOW)
def test_a_refused_statistics_author_writes_neither_file_nor_row(world: World, tmp_path: Path):
    with pytest.raises(DomainError), world.write() as s:
        report = gather_stats(s, Actor(99_999, "だれか", "manager"), tmp_path / "年報.xlsx", fiscal_year=2026)
        write_stats(report, tmp_path / "年報.xlsx")
    assert printed(world.engine) == [] and not (tmp_path / "年報.xlsx").exists()


@pytest.mark.now(NOW)
def test_a_statistics_file_that_cannot_be_written_leaves_no_audit_row(world: World, tmp_path: Path):
    blocked = tmp_path / "月報.pdf"
    blocked.mkdir()  # a folder where the file should go: writing it fails after the figures are gathered
    with pytest.raises(OSError), world.write() as s:
        write_stats(gather_stats(s, world.manager, blocked, month=(2026, 10)), blocked)
    assert printed(world.engine) == []


@pytest.mark.now(NOW)
def test_usage_slips_are_audited_with_numbers_never_names(world: World):
    one = world.book(at(DAY, 10), at(DAY, 12), booker_name="秘密山田")
    two = world.book(at(DAY, 13), at(DAY, 15), booker_name="秘密山田")
    with world.write() as s:
        assert len(slips.print_slips(s, world.desk, [one.id])) == 1
    with world.write() as s:
        assert len(slips.print_day_slips(s, world.desk, DAY)) == 2
    with world.write() as s:
        assert slips.print_day_slips(s, world.desk, DAY + timedelta(days=1)) == []  # nothing printed, no row
    single, day = printed(world.engine)
    assert (single.action, single.entity, single.entity_id, single.staff_id) == ("print", "booking", one.id,
                                                                                   world.desk.id)
    assert f"利用票を印刷（予約{one.number}、1件）" == single.summary
    assert (day.entity, day.entity_id, day.after["rows"], day.after["bookings"]) == ("booking", None, 2,
                                                                                     [one.id, two.id])
    assert "2026年11月26日(木)の予約、2件" in day.summary
    assert "山田" not in single.summary + day.summary + str(single.after) + str(day.after)


@pytest.mark.now(NOW)
def test_member_cards_are_audited_and_a_refused_card_records_nothing(world: World):
    from booking_app.domain.errors import ValidationError
    from booking_app.services.centre import get_profile

    ok = world.make_group("秘密の山田会", valid_until=date(2027, 3, 31), reg_no="0012")
    gone = world.make_group("期限切れの会", valid_until=date(2025, 3, 31), reg_no="0013")
    with world.write() as s:
        assert len(cards.print_cards(s, world.desk, [ok], profile=get_profile(s))) == 1
    with pytest.raises(ValidationError), world.write() as s:
        cards.print_cards(s, world.desk, [ok, gone], profile=get_profile(s))
    (e,) = printed(world.engine)
    assert (e.action, e.entity, e.entity_id, e.staff_id) == ("print", "member_group", ok, world.desk.id)
    assert e.summary == "登録団体証を印刷（1団体：登録番号0012）" and e.after["reg_nos"] == ["0012"]
    assert "山田" not in e.summary + str(e.after)


@pytest.mark.now(NOW)
def test_the_enrolment_list_pdf_is_audited(world: World):
    with world.write() as s:
        assert ir.print_enrolment_list(s, world.desk, 2026, scheme="city") == []
    (e,) = printed(world.engine)
    assert (e.action, e.entity, e.staff_id) == ("print", "insurance_enrolment", world.desk.id)
    assert e.summary.startswith("令和8年度の保険加入者一覧（") and "を印刷（0件）" in e.summary
    assert e.after == {"file": "", "rows": 0, "fiscal_year": 2026, "filter": "city"}


@pytest.mark.now(NOW)
def test_the_print_and_statistics_commands_record_their_staff(world: World, db_url, tmp_path: Path, capsys,
                                                             monkeypatch):
    world.book(at(DAY, 10), at(DAY, 12))
    desk_name = world.desk.name
    db_url = command_url(monkeypatch, db_url, desk_name)  # the desk signs in (issue 15)
    assert cli.main(["--db", db_url, "print-slips", "--date", "2026-11-26", "-o", str(tmp_path / "s.pdf"),
                     "--staff", desk_name]) == 0, capsys.readouterr().err
    assert cli.main(["--db", db_url, "print-slips", "--date", "2026-11-27", "-o", str(tmp_path / "none.pdf"),
                     "--staff", desk_name]) == 0, capsys.readouterr().err  # no bookings: no file, no row
    assert cli.main(["--db", db_url, "export-stats", "--fiscal-year", "2026", "-o", str(tmp_path / "y.xlsx"),
                     "--staff", desk_name]) == 0, capsys.readouterr().err
    rows = printed(world.engine)
    assert [(e.action, e.entity, e.staff_id, e.after["file"]) for e in rows] == [
        ("print", "booking", world.desk.id, "s.pdf"), ("export", "statistics", world.desk.id, "y.xlsx")]
    assert "令和8年度の統計を書き出し（XLSX、y.xlsx）" in rows[1].summary
    assert not (tmp_path / "none.pdf").exists()


def test_automatic_backups_are_audited_as_the_staff_on_duty(sqlite_url, tmp_path: Path):
    from factories import seed

    from booking_app.services.common import audit
    from booking_app.services import backup as backup_svc

    engine = make_engine(sqlite_url)
    try:
        world = seed(engine)
        with world.write() as s:  # the desk signed in last: the one on duty at closing
            audit(s, world.desk, "login", "staff", world.desk.id, "ログイン")
        thread = backup_svc.start_daily_backup(sqlite_url, DAY, folder=tmp_path / "auto")
        result = backup_svc.exit_backup(sqlite_url, thread, folder=tmp_path / "auto")
        daily, exit_ = printed(engine)
        assert [(e.action, e.entity, e.staff_id, e.after["reason"]) for e in (daily, exit_)] == [
            ("backup", "backup", world.desk.id, "daily"), ("backup", "backup", world.desk.id, "exit")]
        assert daily.summary.startswith("起動時の自動バックアップを作成（booking-")
        assert exit_.after["file"] == result.path.name and "終了時の自動バックアップ" in exit_.summary
        # Named explicitly, the staff member is the one recorded.
        backup_svc.automatic_backup(sqlite_url, "exit", folder=tmp_path / "auto", staff_id=world.manager.id)
        assert printed(engine)[-1].staff_id == world.manager.id
        with read_session(engine) as s:
            assert verify_chain(s).ok
    finally:
        engine.dispose()


def test_postgresql_takes_no_automatic_backup_and_records_none(pg_url, tmp_path: Path):
    from factories import seed

    from booking_app.services import backup as backup_svc

    engine = make_engine(pg_url)
    try:
        seed(engine)
        assert backup_svc.exit_backup(pg_url, folder=tmp_path / "auto") is None
        assert printed(engine) == []
    finally:
        engine.dispose()
