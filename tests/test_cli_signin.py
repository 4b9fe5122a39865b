"""Issue 15, the hostile-input suite's "a CLI command without login": every command that reads personal data
or writes signs in first (booking_app/cli/signin.py) and is refused without a login: exit 1, a Japanese
message, nothing written (every table's row count unchanged but the refusal's own audit row, no output file).

Also: the password prompt (getpass monkeypatched: never a real prompt), command tokens (scope, revocation),
roles, ``seed-demo`` on a database in use, ``db upgrade`` on a SQLite file in use, and PostgreSQL (the
connection's login is the sign-in).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from booking_app import cli
from booking_app.cli import signin as cli_signin
from booking_app.services import auth, command_tokens
from booking_app.services.common import Actor
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Base, MemberGroup, Staff
from tests.cli_login import ENV_VAR, login_url, make_token, signed_in

DATA = Path(__file__).resolve().parent / "data"
LEDGER = DATA / "予約台帳_2026年4-6月.csv"
GROUPS = DATA / "groups" / "登録団体名簿.csv"
PW = "kaikyo-no-asa-2026"


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch):
    """No test types at a terminal unless it says so; no test ever meets a real prompt."""
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: False)
    monkeypatch.delenv(ENV_VAR, raising=False)

    def no_prompt(prompt=""):
        raise AssertionError(f"unexpected password prompt: {prompt}")

    monkeypatch.setattr("getpass.getpass", no_prompt)


@pytest.fixture
def url(tmp_path, capsys) -> str:
    url = f"sqlite:///{(tmp_path / 'centre.sqlite3').as_posix()}"
    assert cli.main(["--db", url, "db", "upgrade"]) == 0
    capsys.readouterr()
    return url


def _engine_do(url: str, fn, *, write: bool = False):
    engine = make_engine(url)
    try:
        with (write_session if write else read_session)(engine) as s:
            return fn(s)
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    """Every table's row count, the audit trail's apart."""
    def read(s):
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    return _engine_do(url, read)


def audit_rows(url: str, *actions: str) -> list[AuditEntry]:
    def read(s):
        q = select(AuditEntry).order_by(AuditEntry.id)
        if actions:
            q = q.where(AuditEntry.action.in_(actions))
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows
    return _engine_do(url, read)


def staff_id(url: str, name: str) -> int:
    return _engine_do(url, lambda s: s.scalar(select(Staff.id).where(Staff.name == name)))


def set_password(url: str, name: str, password: str = PW) -> None:
    def write(s):
        s.scalars(select(Staff).where(Staff.name == name)).one().password_hash = auth.hash_password(password)
    _engine_do(url, write, write=True)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


# The commands a person without a login must not run: argv after --db (OUT = the output folder).
COMMANDS = {
    "import-bookings": ["import-bookings", str(LEDGER)],
    "import-bookings-dry-run": ["import-bookings", str(LEDGER), "--dry-run"],
    "import-groups": ["import-groups", str(GROUPS)],
    "export-groups": ["export-groups", "OUT/groups.csv"],
    "print-slips": ["print-slips", "--date", "2026-11-26", "-o", "OUT/slips.pdf"],
    "export-insurance": ["export-insurance", "--fiscal-year", "2026", "-o", "OUT/ins.xlsx"],
    "export-stats": ["export-stats", "--fiscal-year", "2026", "-o", "OUT/stats.xlsx"],
    "verify-audit": ["verify-audit"],
    "backup": ["backup", "OUT/copy.sqlite3"],
    "restore": ["restore", "COPY", "--yes"],
    "staff-token-create": ["staff", "token", "create", "センター長", "--scope", "backup"],
    "staff-token-list": ["staff", "token", "list"],
    "staff-token-revoke": ["staff", "token", "revoke", "1"],
}


def _argv(name: str, out: Path, copy: Path | None = None) -> list[str]:
    return [a.replace("OUT", str(out)) if a.startswith("OUT/") else str(copy) if a == "COPY" else a
            for a in COMMANDS[name]]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_without_login_is_refused_and_writes_nothing(url, tmp_path, capsys, name):
    out = tmp_path / "out"
    copy = tmp_path / "copy.sqlite3"  # for restore: a plain copy of the database itself
    import shutil

    shutil.copyfile(tmp_path / "centre.sqlite3", copy)
    before = counts(url)
    assert cli.main(["--db", url, *_argv(name, out, copy)]) == 1
    captured = capsys.readouterr()
    assert "このコマンドにはログインが必要です" in captured.err and ENV_VAR in captured.err and "--staff" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    after = counts(url)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before  # nothing but the refusal
    (refusal,) = audit_rows(url)
    admin = staff_id(url, "システム管理者")
    assert (refusal.action, refusal.staff_id) == ("cli_sign_in_refused", admin)  # nobody named: the system row
    assert "ログインなし" in refusal.summary and refusal.after["command"].startswith(COMMANDS[name][0])
    assert _files(out) == []


def test_the_staff_option_alone_proves_nothing(url, tmp_path, capsys):
    # Before issue 15 --staff was the identity. Now, with nobody at a terminal to type the password, it is
    # refused, and the refusal is recorded under the staff member it named.
    out = tmp_path / "groups.csv"
    assert cli.main(["--db", url, "export-groups", str(out), "--staff", "センター長"]) == 1
    err = capsys.readouterr().err
    assert "担当者「センター長」のパスワードを入力できません" in err and ENV_VAR in err
    assert not out.exists()
    (refusal,) = audit_rows(url)
    assert (refusal.action, refusal.staff_id) == ("cli_sign_in_refused", staff_id(url, "センター長"))


# --------------------------------------------------------------------------- the password prompt


def test_a_wrong_password_is_refused_and_counted_like_the_windows_sign_in(url, tmp_path, capsys, monkeypatch):
    set_password(url, "センター長")
    typed: list[str] = []

    def prompt(text=""):
        typed.append(text)
        return answers.pop(0)

    answers = ["wrong-password-1", PW]
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", prompt)
    out = tmp_path / "groups.csv"
    assert cli.main(["--db", url, "export-groups", str(out), "--staff", "センター長"]) == 1
    err = capsys.readouterr().err
    assert "パスワードが違います" in err and "あと4回" in err and not out.exists()
    assert typed == ["担当者「センター長」のパスワード（表示されません）："]
    assert _engine_do(url, lambda s: s.scalars(select(Staff.failed_logins).where(Staff.name == "センター長")).one()) == 1
    (refusal,) = audit_rows(url, "cli_sign_in_refused")
    assert refusal.staff_id == staff_id(url, "センター長") and "パスワード" in refusal.summary

    assert cli.main(["--db", url, "export-groups", str(out), "--staff", "センター長"]) == 0
    assert out.exists()
    rows = audit_rows(url, "login", "export")
    assert [(e.action, e.staff_id) for e in rows] == [("login", staff_id(url, "センター長")),
                                                       ("export", staff_id(url, "センター長"))]


def test_an_unknown_staff_name_is_refused_before_any_prompt(url, capsys, monkeypatch):
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: True)  # the autouse prompt fails if asked
    assert cli.main(["--db", url, "verify-audit", "--staff", "知らない人"]) == 1
    assert "担当者「知らない人」は登録されていません" in capsys.readouterr().err


# --------------------------------------------------------------------------- tokens


def test_a_backup_token_is_refused_for_an_export_and_accepted_for_verify_audit(url, tmp_path, capsys, monkeypatch):
    signed_in(monkeypatch, url, "センター長", scope="backup")
    out = tmp_path / "groups.csv"
    assert cli.main(["--db", url, "export-groups", str(out)]) == 1
    err = capsys.readouterr().err
    assert "バックアップと操作履歴の確認" in err and "このコマンドには使えません" in err and not out.exists()
    (refusal,) = audit_rows(url, "cli_sign_in_refused")
    assert refusal.staff_id == staff_id(url, "センター長") and "scope" in refusal.summary

    assert cli.main(["--db", url, "verify-audit"]) == 0
    assert "改ざんされていません" in capsys.readouterr().out


def test_an_all_token_acts_as_its_staff_member_and_the_export_row_says_so(url, tmp_path, capsys, monkeypatch):
    signed_in(monkeypatch, url, "センター長")
    assert cli.main(["--db", url, "export-stats", "--fiscal-year", "2026", "-o", str(tmp_path / "s.csv")]) == 0
    assert cli.main(["--db", url, "export-groups", str(tmp_path / "g.csv")]) == 0
    manager = staff_id(url, "センター長")
    assert [(e.entity, e.staff_id) for e in audit_rows(url, "export")] == [("statistics", manager),
                                                                         ("member_group", manager)]
    # Its use is recorded on the token; the secret itself is nowhere in the database.
    (token,) = _engine_do(url, command_tokens.list_tokens)
    assert token.last_used_at is not None and token.staff_name == "センター長"
    raw = (tmp_path / "centre.sqlite3").read_bytes()
    import os

    assert os.environ[ENV_VAR].encode() not in raw


def test_a_revoked_or_unknown_token_is_refused(url, tmp_path, capsys, monkeypatch):
    secret = signed_in(monkeypatch, url, "センター長")
    (token,) = _engine_do(url, command_tokens.list_tokens)
    admin = staff_id(url, "システム管理者")
    _engine_do(url, lambda s: command_tokens.revoke_token(s, Actor(admin, "システム管理者", "admin"), token.id),
               write=True)
    out = tmp_path / "g.csv"
    assert cli.main(["--db", url, "export-groups", str(out)]) == 1
    assert "無効にされています" in capsys.readouterr().err and not out.exists()

    monkeypatch.setenv(ENV_VAR, secret[:-2] + "xx")
    assert cli.main(["--db", url, "export-groups", str(out)]) == 1
    assert "登録されていません" in capsys.readouterr().err and not out.exists()
    assert [e.after["reason"] for e in audit_rows(url, "cli_sign_in_refused")] == ["トークンを拒否（revoked）",
                                                                                 "トークンを拒否（unknown）"]


def test_a_token_of_someone_else_than_the_staff_option_is_refused(url, tmp_path, capsys, monkeypatch):
    signed_in(monkeypatch, url, "受付スタッフ")
    assert cli.main(["--db", url, "export-stats", "--fiscal-year", "2026", "-o", str(tmp_path / "s.csv"),
                     "--staff", "センター長"]) == 1
    assert "トークンは担当者「受付スタッフ」のもの" in capsys.readouterr().err


def test_desk_staff_are_refused_import_bookings_and_nothing_is_written(url, capsys, monkeypatch):
    signed_in(monkeypatch, url, "受付スタッフ")
    before = counts(url)
    assert cli.main(["--db", url, "import-bookings", str(LEDGER)]) == 1
    err = capsys.readouterr().err
    assert "予約台帳の取込は管理者のみ行えます" in err and "受付スタッフ" in err
    after = counts(url)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before
    (refusal,) = audit_rows(url, "cli_sign_in_refused")
    assert refusal.staff_id == staff_id(url, "受付スタッフ") and "権限不足" in refusal.summary


def test_staff_tokens_are_issued_listed_and_revoked_by_an_admin_only(url, capsys, monkeypatch):
    signed_in(monkeypatch, url, "センター長")  # a manager: not enough
    assert cli.main(["--db", url, "staff", "token", "create", "センター長", "--scope", "backup"]) == 1
    assert "システム管理者のみ" in capsys.readouterr().err

    signed_in(monkeypatch, url)  # the first システム管理 row
    assert cli.main(["--db", url, "staff", "token", "create", "センター長", "--scope", "backup",
                     "--label", "夜間バックアップ"]) == 0
    captured = capsys.readouterr()
    secret = captured.out.strip()
    assert secret.startswith("fdt_") and len(secret) > 40 and "表示はこの一度だけ" in captured.err
    assert cli.main(["--db", url, "staff", "token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "夜間バックアップ" in listing and secret not in listing and secret[:8] in listing
    token_id = max(t.id for t in _engine_do(url, command_tokens.list_tokens))
    assert cli.main(["--db", url, "staff", "token", "revoke", str(token_id)]) == 0
    assert "無効にしました" in capsys.readouterr().out
    created, revoked = audit_rows(url, "create_token", "revoke_token")[-2:]
    assert (created.action, revoked.action) == ("create_token", "revoke_token")
    assert "sha256" not in created.after and secret not in str(created.after)
    monkeypatch.setenv(ENV_VAR, secret)
    assert cli.main(["--db", url, "verify-audit"]) == 1
    assert "無効にされています" in capsys.readouterr().err


# --------------------------------------------------------------------------- seed-demo and db upgrade


def test_seed_demo_refuses_a_database_with_one_real_group_even_with_force(url, capsys):
    # One group put in directly (no audit row: the data itself is found, not only the trail).
    from datetime import datetime

    def add_group(s):
        s.add(MemberGroup(reg_no="R0001", name="関門さくらの会", kana="", status="active",
                          created_at=datetime(2026, 11, 25, 9, 0), created_by=staff_id(url, "センター長")))
    _engine_do(url, add_group, write=True)
    before = counts(url)
    for extra in ([], ["--force"]):
        assert cli.main(["--db", url, "seed-demo", *extra]) == 1
        err = capsys.readouterr().err
        assert "本番のデータがあるため" in err and "登録団体1件" in err and "--force を付けても" in err
    assert counts(url) == before


def test_seed_demo_never_resets_the_passwords_of_a_database_in_use(url, capsys):
    set_password(url, "センター長")
    hashes = _engine_do(url, lambda s: sorted(s.scalars(select(Staff.password_hash)), key=str))
    assert cli.main(["--db", url, "seed-demo", "--force"]) == 1
    err = capsys.readouterr().err
    assert "パスワードのある担当者1件" in err
    assert _engine_do(url, lambda s: sorted(s.scalars(select(Staff.password_hash)), key=str)) == hashes
    assert counts(url)["bookings"] == 0


@pytest.mark.now("2026-11-25 10:00")
@pytest.mark.timeout(300)  # a whole demo year (~6,000 bookings); a loaded 2-core machine takes ~40 s
def test_seed_demo_fills_an_empty_database_and_then_only_with_force(url, capsys, monkeypatch):
    assert cli.main(["--db", url, "seed-demo", "--today", "2026-11-25"]) == 0
    capsys.readouterr()
    bookings = counts(url)["bookings"]
    assert bookings > 6000
    assert cli.main(["--db", url, "seed-demo"]) == 1
    assert "既にデモデータがあります" in capsys.readouterr().err
    # Anyone signing in and using it makes it a database in use: --force no longer helps.
    signed_in(monkeypatch, url, "センター長")
    assert cli.main(["--db", url, "seed-demo", "--force"]) == 1
    err = capsys.readouterr().err
    assert "本番のデータがあるため" in err and "最後の操作" in err
    assert counts(url)["bookings"] == bookings


def test_db_upgrade_of_a_file_in_use_needs_an_admin(url, tmp_path, capsys, monkeypatch):
    # A fresh file (no passwords): db upgrade runs as before; that is how a centre starts.
    assert cli.main(["--db", url, "db", "upgrade"]) == 0
    set_password(url, "システム管理者")
    capsys.readouterr()
    assert cli.main(["--db", url, "db", "upgrade"]) == 1
    assert "ログインが必要です" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VAR, make_token(url, "センター長"))
    assert cli.main(["--db", url, "db", "upgrade"]) == 1
    assert "システム管理者のみ" in capsys.readouterr().err
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PW)
    assert cli.main(["--db", url, "db", "upgrade", "--staff", "システム管理者"]) == 0
    assert "担当者：システム管理者" in capsys.readouterr().out


def test_the_window_refuses_the_staff_option(url, capsys):
    assert cli.main(["--db", url, "--staff", "センター長"]) == 1
    assert "画面では起動後のログイン画面で" in capsys.readouterr().err


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_world(pg_url):
    from factories import seed

    engine = make_engine(pg_url)
    try:
        world = seed(engine)
    finally:
        engine.dispose()
    return world


@pytest.mark.postgres
def test_postgresql_a_login_in_the_url_acts_as_that_staff_member(pg_url, pg_world, tmp_path, capsys):
    desk_url = login_url(pg_url, pg_world.desk.name)
    out = tmp_path / "stats.xlsx"
    assert cli.main(["--db", desk_url, "export-stats", "--fiscal-year", "2026", "-o", str(out)]) == 0, \
        capsys.readouterr().err
    (row,) = audit_rows(pg_url, "export")
    assert (row.entity, row.staff_id) == ("statistics", pg_world.desk.id)
    # The desk's login is the desk, whatever --staff says; and the desk may not export the register.
    assert cli.main(["--db", desk_url, "export-groups", str(tmp_path / "g.csv"), "--staff", "センター長"]) == 1
    assert "管理者のみ" in capsys.readouterr().err and not (tmp_path / "g.csv").exists()
    (refusal,) = audit_rows(pg_url, "cli_sign_in_refused")  # written through the desk's own connection
    assert refusal.staff_id == pg_world.desk.id and "権限不足" in refusal.summary


@pytest.mark.postgres
def test_postgresql_a_command_without_user_or_password_is_refused(pg_url, pg_world, tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    login_url(pg_url, pg_world.manager.name)  # the manager has a login, but nobody gives its password
    from booking_app.config import without_credentials

    no_user = without_credentials(pg_url)
    assert make_url(no_user).username is None
    before = counts(pg_url)
    out = tmp_path / "g.csv"
    assert cli.main(["--db", no_user, "export-groups", str(out)]) == 1
    err = capsys.readouterr().err
    assert "このコマンドにはログインが必要です" in err and "PGPASSWORD" in err
    login = _engine_do(pg_url, lambda s: s.scalar(select(Staff.db_login).where(Staff.id == pg_world.manager.id)))
    assert cli.main(["--db", no_user, "export-groups", str(out), "--staff", login]) == 1
    err = capsys.readouterr().err
    assert "パスワードが違います" in err and "Traceback" not in err
    assert not out.exists() and counts(pg_url) == before
    # The schema owner is no staff member: it cannot act as one either.
    assert cli.main(["--db", pg_url, "export-groups", str(out)]) == 1
    assert "担当者に結び付いていません" in capsys.readouterr().err
    assert _engine_do(pg_url, lambda s: s.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export'"))
                      .scalar()) == 0


def test_the_demo_window_refuses_a_database_whose_staff_have_passwords(url, capsys, monkeypatch):
    # `--demo --db` pours demo data in through app.run, which gives every account the demo password: a file
    # with no booking but a real password is refused as seed-demo refuses it, before any window.
    set_password(url, "システム管理者")
    opened: list[str] = []
    import booking_app

    fake = type(sys)("booking_app.app")
    fake.run = lambda *a, **k: opened.append("run") or 0
    monkeypatch.setitem(sys.modules, "booking_app.app", fake)
    monkeypatch.setattr(booking_app, "app", fake, raising=False)
    assert cli.main(["--db", url, "--demo"]) == 1
    err = capsys.readouterr().err
    assert "デモデータは入れられません" in err and "パスワードのある担当者1件" in err
    assert opened == []


def test_db_upgrade_of_an_old_file_in_use_signs_in_with_plain_sql(tmp_path, capsys, monkeypatch):
    # A file at revision 0008 (before staff.db_login existed) whose administrator has a password: the sign-in
    # reads the old staff table itself, then the upgrade runs.
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.migrate import current_revision, head_revision, upgrade

    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    upgrade(url, "0008")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO staff (name, kana, role, active, created_at, password_hash, failed_logins) "
                              "VALUES ('システム管理者', '', 'admin', 1, '2026-11-25 09:00:00', :h, 0), "
                              "('受付スタッフ', '', 'desk', 1, '2026-11-25 09:00:00', :h, 0)"),
                         {"h": auth.hash_password(PW)})
    finally:
        engine.dispose()
    assert cli.main(["--db", url, "db", "upgrade"]) == 1
    assert "ログインが必要です" in capsys.readouterr().err
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "not-the-password")
    assert cli.main(["--db", url, "db", "upgrade", "--staff", "システム管理者"]) == 1
    assert "パスワードが違う" in capsys.readouterr().err
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PW)
    assert cli.main(["--db", url, "db", "upgrade", "--staff", "受付スタッフ"]) == 1
    assert "システム管理者のみ" in capsys.readouterr().err
    engine = make_engine(url)
    try:
        assert current_revision(engine) == "0008"  # nothing upgraded by the refused attempts
    finally:
        engine.dispose()
    assert cli.main(["--db", url, "db", "upgrade", "--staff", "システム管理者"]) == 0
    assert "担当者：システム管理者" in capsys.readouterr().out
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision(url)
        with write_session(engine) as s:
            ensure_initial_data(s)  # the upgraded file is usable as any other
    finally:
        engine.dispose()


def test_an_empty_password_is_refused_without_counting_a_failure(url, tmp_path, capsys, monkeypatch):
    set_password(url, "センター長")
    monkeypatch.setattr(cli_signin, "_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "")
    assert cli.main(["--db", url, "export-stats", "--fiscal-year", "2026", "-o", str(tmp_path / "s.csv"),
                     "--staff", "センター長"]) == 1
    assert "パスワードが入力されていません" in capsys.readouterr().err and not (tmp_path / "s.csv").exists()
    assert _engine_do(url, lambda s: s.scalars(select(Staff.failed_logins).where(Staff.name == "センター長")).one()) == 0


def test_a_backup_of_a_mistyped_database_creates_no_file(tmp_path, capsys, monkeypatch):
    # The sign-in's own connection must not create the missing SQLite file (backup signs in first).
    monkeypatch.setenv(ENV_VAR, "fdt_whatever")
    missing = tmp_path / "no-such.sqlite3"
    assert cli.main(["--db", f"sqlite:///{missing.as_posix()}", "backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert "データベースが見つかりません" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "copy.sqlite3").exists()
