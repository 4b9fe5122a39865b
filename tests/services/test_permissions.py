"""Roles are enforced by the services (権限), not only by hidden buttons.

One row per protected service call, built with valid arguments: desk staff are refused
(PermissionDenied, nothing written), and the same call then succeeds for the lowest role allowed,
which proves the refusal came from the permission check and not from bad arguments. A source scan
makes sure every service function that calls ``require_manager``/``require_admin`` has a row here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app import cli
from booking_app.domain.errors import PermissionDenied, RuleError
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.reports.insurance_pdf import write_insurance
from booking_app.services import backup_encryption, import_limits, lottery, privacy, reductions
from booking_app.services import auth, centre, command_tokens, fees, group_io, groups, imports, insurance, insurance_reports
from booking_app.services import bookings as bk
from booking_app.services import payments as pay
from booking_app.services import series as sr
from booking_app.services.stats import month_close as stats
from booking_app.services.audit_log import AuditFilter, export_audit
from booking_app.services.common import Actor
from booking_app.store.models import AuditEntry, Booking, Staff

DATA = Path(__file__).resolve().parents[1] / "data"
GROUPS_CSV = DATA / "groups" / "登録団体名簿.csv"
LEDGER_CSV = DATA / "予約台帳_2026年4-6月.csv"
SERVICES = Path(group_io.__file__).resolve().parent
FY = 2026
PW = "kanmon-2026"


def _create_db_login(s: Session, a: Actor, e: Env) -> None:
    """PostgreSQL: the admin-only service; SQLite has no database logins, so only its check is there to try."""
    import uuid

    from booking_app.services import common, db_login

    if s.get_bind().dialect.name != "postgresql":
        common.require_admin(s, a, "データベースのログインの作成")
        return
    db_login.create_staff_login(s, a, e.staff_id, f"perm_{uuid.uuid4().hex[:12]}", "shiokaze-2026")


@dataclass
class Env:
    """What the protected calls need: the world, an admin, a scratch folder and a few rows."""

    world: World
    admin: Actor
    tmp: Path
    staff_id: int  # a desk account with a password, for the account calls
    group_id: int
    receipt_id: int = 0
    token_id: int = 0


def _receipt(env: Env) -> int:
    with env.world.write() as s:
        charge = pay.add_item_charge(s, env.world.desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        return pay.take_payment(s, env.world.desk, [charge.id], payer_name="山田花子", purpose="コピー代として",
                                now=NOW, terminal="受付1").id


def _closed_october(env: Env) -> None:
    with env.world.write() as s:
        stats.close_month(s, env.world.manager, 2026, 10, now=NOW)


def _token(env: Env) -> int:
    with env.world.write() as s:
        command_tokens.create_token(s, env.admin, env.staff_id, "backup", "夜間")
        return command_tokens.list_tokens(s)[-1].id


def _plan(s: Session):
    return insurance.plans_for_year(s, FY, actor=None)[0].plan


@dataclass(frozen=True)
class Case:
    """A protected call: ``call(session, actor, env)``; ``minimum`` is the lowest role allowed."""

    name: str  # "module.function", matched against the source scan
    call: Callable[[Session, Actor, Env], Any]
    minimum: str = "manager"
    output: str | None = None  # a file the call writes: must not exist after a refusal
    prepare: Callable[[Env], None] | None = None
    engine: bool = False  # the call opens its own transactions (``call(None, actor, env)``, e.g. *_file imports)


CASES = [
    Case("reductions.set_reduction", lambda s, a, e: reductions.set_reduction(
        s, a, bk.create_booking(s, e.world.desk, e.world.input(at(DAY, 9), at(DAY, 12)), now=NOW).id, "disability",
        now=NOW)),
    Case("reductions.check_new_reduction", lambda s, a, e: reductions.check_new_reduction(s, a, "city")),
    Case("centre.save_profile", lambda s, a, e: centre.save_profile(s, a, centre.get_profile(s), now=NOW)),
    Case("centre.save_room", lambda s, a, e: centre.save_room(
        s, a, room_id=None, name="和室", kana="わしつ", capacity=10, sort_order=9, now=NOW)),
    Case("centre.save_equipment", lambda s, a, e: centre.save_equipment(
        s, a, equipment_id=None, name="延長コード", kana="えんちょうこーど", stock=4, unit="本", sort_order=9, now=NOW)),
    Case("centre.save_targets", lambda s, a, e: centre.save_targets(s, a, FY, 30000, 300, now=NOW)),
    Case("fees.save_fees", lambda s, a, e: fees.save_fees(s, a, fees.get_fees(s), now=NOW)),
    Case("payments.void_receipt", lambda s, a, e: pay.void_receipt(
        s, a, e.receipt_id, "金額の誤り", now=NOW, terminal="受付1"),
        prepare=lambda e: setattr(e, "receipt_id", _receipt(e))),
    Case("stats.close_month", lambda s, a, e: stats.close_month(s, a, 2026, 10, now=NOW)),
    Case("stats.amend", lambda s, a, e: stats.amend(s, a, 2026, 10, "bookings", 3, "入力漏れ", now=NOW),
         prepare=_closed_october),
    Case("groups.change_status", lambda s, a, e: groups.change_status(
        s, a, e.group_id, "suspended", "会費未納", now=NOW)),
    Case("group_io.import_groups", lambda s, a, e: group_io.import_groups(s, a, GROUPS_CSV, dry_run=True, now=NOW)),
    Case("group_io.export_groups", lambda s, a, e: group_io.export_groups(s, a, e.tmp / "groups.csv",
                                                                          today=NOW.date()),
         output="groups.csv"),
    Case("imports.import_bookings", lambda s, a, e: imports.import_bookings(s, a, LEDGER_CSV, dry_run=True,
                                                                            now=NOW)),
    Case("insurance.save_plan", lambda s, a, e: insurance.save_plan(s, a, FY, _plan(s), now=NOW)),
    Case("insurance_reports.export_insurance", lambda s, a, e: write_insurance(insurance_reports.export_insurance(
        s, a, FY, e.tmp / "roster.csv"), e.tmp / "roster.csv", fiscal_year=FY), output="roster.csv"),
    # The month whose draw day (15 Nov) has passed on NOW: a draw with no entries, recorded all the same.
    Case("lottery.run_draw", lambda s, a, e: lottery.run_draw(s, a, date(2027, 2, 1), now=NOW, seed="perm")),
    Case("audit_log.export_audit", lambda s, a, e: export_audit(s, a, AuditFilter(), e.tmp / "audit.csv", now=NOW),
         output="audit.csv"),
    Case("auth.create_account", lambda s, a, e: auth.create_account(s, a, name="新人 一郎", password=PW, now=NOW),
         minimum="admin"),
    Case("auth.update_account", lambda s, a, e: auth.update_account(s, a, e.staff_id, role="manager", now=NOW),
         minimum="admin"),
    Case("auth.reset_password", lambda s, a, e: auth.reset_password(s, a, e.staff_id, "another-pw", now=NOW),
         minimum="admin"),
    Case("auth.unlock", lambda s, a, e: auth.unlock(s, a, e.staff_id, now=NOW), minimum="admin"),
    Case("db_login.create_staff_login", lambda s, a, e: _create_db_login(s, a, e), minimum="admin"),
    Case("imports.import_bookings_file", lambda s, a, e: imports.import_bookings_file(
        e.world.engine, a, LEDGER_CSV, dry_run=True, now=NOW), engine=True),
    Case("group_io.import_groups_file", lambda s, a, e: group_io.import_groups_file(
        e.world.engine, a, GROUPS_CSV, dry_run=True, now=NOW), engine=True),
    Case("import_limits.save_import_limits", lambda s, a, e: import_limits.save_import_limits(
        s, a, import_limits.get_import_limits(s), now=NOW)),
    Case("privacy.save_privacy_settings", lambda s, a, e: privacy.save_privacy_settings(
        s, a, privacy.get_privacy_settings(s), now=NOW)),
    Case("privacy.anonymise_group", lambda s, a, e: privacy.anonymise_group(
        s, a, e.group_id, reason="本人の請求", today=NOW.date(), now=NOW)),
    Case("command_tokens.create_token", lambda s, a, e: command_tokens.create_token(s, a, e.staff_id, "backup", "夜間"),
         minimum="admin"),
    Case("command_tokens.revoke_token", lambda s, a, e: command_tokens.revoke_token(s, a, e.token_id),
         minimum="admin", prepare=lambda e: setattr(e, "token_id", _token(e))),
    Case("backup_encryption.set_up_encryption", lambda s, a, e: backup_encryption.set_up_encryption(
        s, a, "とても長い合言葉を三つ並べる", "とても長い合言葉を三つ並べる", now=NOW), minimum="admin"),
]


@pytest.fixture
def fast_scrypt(monkeypatch):
    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)


@pytest.fixture
def env(world: World, tmp_path: Path, fast_scrypt) -> Env:
    with world.write() as s:
        admin = auth.create_first_admin(s, name="管理 太郎", password=PW, now=NOW)
        staff_id = auth.create_account(s, admin, name="受付 花子", role="desk", password=PW, now=NOW)
    return Env(world, admin, tmp_path, staff_id, world.make_group("ふくふく子ども食堂"))


def _audit_count(world: World) -> int:
    """Audit entries of changes (a refusal's own ``denied`` entry is not a change)."""
    with world.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "denied"))


def _denials(world: World) -> list[int]:
    with world.read() as s:
        return list(s.scalars(select(AuditEntry.staff_id).where(AuditEntry.action == "denied")
                              .order_by(AuditEntry.id)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_desk_is_refused_and_the_allowed_role_succeeds(env: Env, case: Case):
    world = env.world
    if case.prepare:
        case.prepare(env)
    refused = [world.desk] + ([world.manager] if case.minimum == "admin" else [])
    before = _audit_count(world)
    for actor in refused:
        if case.engine:
            with pytest.raises(PermissionDenied) as e:
                case.call(None, actor, env)
        else:
            with pytest.raises(PermissionDenied) as e, world.write() as s:
                case.call(s, actor, env)
        assert "のみ行えます" in e.value.message  # the Japanese refusal of require_manager/require_admin
        if case.output:
            assert not (env.tmp / case.output).exists(), "a refused export must not write the file"
    assert _audit_count(world) == before
    assert _denials(world) == [a.id for a in refused]  # each refusal is recorded under who was refused
    allowed = env.admin if case.minimum == "admin" else world.manager
    if case.engine:
        case.call(None, allowed, env)
    else:
        with world.write() as s:
            case.call(s, allowed, env)
    if case.output:
        assert (env.tmp / case.output).stat().st_size > 0


def _protected_functions() -> set[str]:
    """Every public top-level service function that calls require_manager / require_admin, itself or through
    a private helper of its module (``imports._clean_reason``): the helpers are covered by their callers."""
    found: set[str] = set()
    for path in sorted(SERVICES.rglob("*.py")):
        if path.stem in ("common", "bookings", "series"):  # bookings/series: see the override tests
            continue
        calls: dict[str, set[str]] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                calls[node.name] = {c.func.id for c in ast.walk(node)
                                    if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        guarded = {"require_manager", "require_admin"}
        while True:  # private helpers that check, and the private helpers calling those, …
            more = {n for n, c in calls.items() if n.startswith("_") and n not in guarded and c & guarded}
            if not more:
                break
            guarded |= more
        module = path.stem if path.parent == SERVICES else path.parent.name  # services/stats/*.py: "stats"
        found |= {f"{module}.{n}" for n, c in calls.items() if not n.startswith("_") and c & guarded}
    return found


def test_every_protected_service_function_has_a_row():
    assert _protected_functions() == {c.name for c in CASES}


def test_only_admins_manage_accounts_and_managers_are_not_admins(env: Env):
    # A manager may do everything a manager does, and still no account work (ranks include, not equal).
    assert env.world.manager.is_manager and not env.world.manager.is_admin
    assert env.admin.is_manager and env.admin.is_admin
    with env.world.write() as s:  # an admin may also do the manager's work
        centre.save_targets(s, env.admin, FY, 30000, 300, now=NOW)


# --------------------------------------------------------------------------- rule overrides (bookings)

LATE = date(2027, 1, 13)  # a Wednesday beyond a person's booking window (to 2026-12-31)


def test_desk_cannot_override_a_rule_with_a_reason(env: Env):
    world = env.world
    with pytest.raises(RuleError):
        world.book(at(LATE, 10), at(LATE, 12))
    with pytest.raises(PermissionDenied) as e:
        world.book(at(LATE, 10), at(LATE, 12), override_reason="市の行事のため")
    assert "管理者のみ" in e.value.message
    assert world.count(Booking) == 0
    view = world.book(at(LATE, 10), at(LATE, 12), actor=world.manager, override_reason="市の行事のため")
    assert world.booking(view.id).override_reason == "市の行事のため"


def test_desk_cannot_move_a_booking_outside_the_rules(env: Env):
    world = env.world
    view = world.book(at(DAY, 10), at(DAY, 12))
    moved = world.input(at(LATE, 10), at(LATE, 12), override_reason="市の行事のため")
    with pytest.raises(PermissionDenied), world.write() as s:
        bk.update_booking(s, world.desk, view.id, moved, now=NOW)
    assert world.booking(view.id).start_at == at(DAY, 10)
    with world.write() as s:
        bk.update_booking(s, world.manager, view.id, moved, now=NOW)
    assert world.booking(view.id).start_at == at(LATE, 10)


def test_desk_series_with_a_reason_books_nothing_outside_the_rules(env: Env):
    world = env.world
    template = world.input(at(LATE, 10), at(LATE, 12), override_reason="市の行事のため")
    rule = RecurrenceRule(kind="weekly", start=LATE, until=LATE + timedelta(days=14), weekdays=(LATE.weekday(),),
                          interval=1, nth=0, weekday=LATE.weekday())
    with pytest.raises(PermissionDenied, match="管理者のみ"), world.write() as s:
        sr.create_series(s, world.desk, template, rule, skip_unavailable=True, now=NOW)
    assert world.count(Booking) == 0
    with world.write() as s:
        result = sr.create_series(s, world.manager, template, rule, skip_unavailable=False, now=NOW)
    assert len(result.created) == 3


# --------------------------------------------------------------------------- command line exports


@pytest.fixture
def cli_url(tmp_path, capsys) -> str:
    url = f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"
    assert cli.main(["--db", url, "db", "upgrade"]) == 0  # commands other than db upgrade need a database
    capsys.readouterr()
    return url


def _denied_rows(url: str) -> list[tuple[str, int]]:
    from booking_app.store.engine import make_engine, read_session

    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return [(a, i) for a, i in s.execute(select(AuditEntry.action, AuditEntry.staff_id).where(
                AuditEntry.action.in_(("denied", "cli_sign_in_refused"))).order_by(AuditEntry.id))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("command, output", [
    (["export-groups"], "名簿.csv"),
    (["export-insurance", "--fiscal-year", "2026", "-o"], "保険名簿.csv"),
], ids=["export-groups", "export-insurance"])
def test_cli_exports_of_personal_data_need_a_manager(cli_url, tmp_path, capsys, monkeypatch, command, output):
    from tests.cli_login import signed_in

    out = tmp_path / output
    signed_in(monkeypatch, cli_url, "受付スタッフ")  # the desk signs in (issue 15): refused, and recorded
    assert cli.main(["--db", cli_url, *command, str(out), "--staff", "受付スタッフ"]) == 1
    err = capsys.readouterr().err
    assert "管理者のみ" in err and "Traceback" not in err
    assert not out.exists()
    desk_id = _denied_rows(cli_url)[-1][1]
    assert _denied_rows(cli_url) == [("cli_sign_in_refused", desk_id)]
    signed_in(monkeypatch, cli_url, "センター長")
    assert cli.main(["--db", cli_url, *command, str(out), "--staff", "センター長"]) == 0
    assert out.exists()
    out.unlink()
    monkeypatch.delenv("FUKUFUKU_DESK_TOKEN")
    assert cli.main(["--db", cli_url, *command, str(out)]) == 1  # no default staff any more: a login
    assert "ログインが必要です" in capsys.readouterr().err and not out.exists()


def test_refused_calls_record_nothing_about_the_staff_table(env: Env):
    # A desk member cannot promote themself through any account call.
    with pytest.raises(PermissionDenied), env.world.write() as s:
        auth.update_account(s, env.world.desk, env.world.desk.id, role="admin", now=NOW)
    with env.world.read() as s:
        assert s.get(Staff, env.world.desk.id).role == "desk"
