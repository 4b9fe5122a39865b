"""The break-glass commands ``staff unlock`` and ``staff reset-password`` (booking_app/cli/staff.py), run
in-process with ``cli.main`` on a real database; getpass is answered by the test, nothing waits for a keyboard.

The clock is pinned to Tuesday 2026-12-01 08:45 (before opening, when the administrator finds the lock)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from booking_app import cli
from booking_app.cli import staff as staff_cli
from booking_app.services import auth
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Staff

pytestmark = pytest.mark.now("2026-12-01 08:45")
MORNING = datetime(2026, 12, 1, 8, 45)
PW = "kanmon-2026"
ADMIN = "管理 太郎"


def _with_admin(url: str):
    engine = make_engine(url)
    with write_session(engine) as s:
        auth.create_first_admin(s, name=ADMIN, password=PW)
    return engine


@pytest.fixture
def any_db(db_url):
    """A fresh migrated database (SQLite, then PostgreSQL as the schema owner) with one administrator."""
    engine = _with_admin(db_url)
    yield engine, db_url
    engine.dispose()


@pytest.fixture
def sqlite_db(sqlite_url):
    engine = _with_admin(sqlite_url)
    yield engine, sqlite_url
    engine.dispose()


@pytest.fixture
def typed(monkeypatch):
    """What the person types at each getpass prompt, in order; the prompts asked are kept."""
    answers: list[str] = []
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        if not answers:
            raise AssertionError(f"asked more than the test answers: {prompt}")
        return answers.pop(0)

    monkeypatch.setattr(staff_cli.getpass, "getpass", fake_getpass)
    monkeypatch.setattr(staff_cli.getpass, "getuser", lambda: "it-kakari")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return answers, prompts


def _admin(engine) -> Staff:
    with read_session(engine) as s:
        row = s.scalar(select(Staff).where(Staff.name == ADMIN))
        s.expunge(row)
        return row


def _lock_out(engine) -> None:
    """Someone types five wrong passwords for the administrator: locked for a minute."""
    sid = _admin(engine).id
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(auth.AuthError):
            auth.attempt_login(engine, sid, "not-my-password")
    assert _admin(engine).locked_until == MORNING.replace(minute=46)


def _entries(engine, action: str) -> list[AuditEntry]:
    with read_session(engine) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_unlock_lifts_the_lock_and_is_audited_with_the_os_user(any_db, typed, frozen_clock, capsys):
    engine, url = any_db
    _answers, _prompts = typed
    _lock_out(engine)
    assert cli.main(["--db", url, "staff", "unlock", "管理", "太郎"]) == 0  # the name without quotes
    out = capsys.readouterr().out
    assert "担当者「管理 太郎」のロックを解除しました" in out and "OSユーザー：it-kakari" in out
    row = _admin(engine)
    assert (row.failed_logins, row.locked_until) == (0, None)
    # The administrator signs in at once, well before the lock would have run out.
    assert auth.attempt_login(engine, row.id, PW).id == row.id
    (entry,) = _entries(engine, "unlock")
    assert entry.staff_id == row.id and entry.at == MORNING
    assert entry.summary == "「管理 太郎」のロックをコマンド（非常時の手順）で解除（OSユーザー：it-kakari）"
    assert entry.after["os_user"] == "it-kakari" and entry.before["failed_logins"] == 5


def test_reset_password_asks_twice_checks_the_rules_and_is_audited(any_db, typed, frozen_clock, capsys):
    engine, url = any_db
    answers, prompts = typed
    _lock_out(engine)
    frozen_clock.advance(minutes=5)  # 08:50
    answers += ["hanamizuki-no-michi", "hanamizuki-no-michi"]
    assert cli.main(["--db", url, "staff", "reset-password", ADMIN]) == 0
    assert prompts[-2:] == ["新しいパスワード：", "新しいパスワード（確認のためもう一度）："]
    captured = capsys.readouterr()
    assert "担当者「管理 太郎」のパスワードを再設定しました。ロックも解除しました。" in captured.out
    assert "hanamizuki" not in captured.out + captured.err
    row = _admin(engine)
    assert (row.failed_logins, row.locked_until, row.password_changed_at) == (0, None, MORNING.replace(minute=50))
    with pytest.raises(auth.AuthError):
        auth.attempt_login(engine, row.id, PW)
    assert auth.attempt_login(engine, row.id, "hanamizuki-no-michi").id == row.id
    (entry,) = _entries(engine, "reset_password")
    assert entry.summary == "「管理 太郎」のパスワードをコマンド（非常時の手順）で再設定（OSユーザー：it-kakari）"
    assert "hanamizuki" not in str([entry.before, entry.after]) and "scrypt" not in str(entry.after)


@pytest.mark.parametrize("first, second, says", [
    ("hanamizuki-no-michi", "hanamizuki-no-mich", "2回入力したパスワードが一致しません"),
    ("password1", "password1", "よく使われていて推測されやすい"),
    ("short", "short", "パスワードは8文字以上にしてください"),
    ("管理太郎2026", "管理太郎2026", "氏名やログイン名をもとにした"),
    ("aaaaaaaaaa", "aaaaaaaaaa", "同じ文字の繰り返し"),
])
def test_reset_password_refuses_and_changes_nothing(sqlite_db, typed, capsys, first, second, says):
    engine, url = sqlite_db
    answers, _prompts = typed
    before = _admin(engine).password_hash
    answers += [first, second]
    assert cli.main(["--db", url, "staff", "reset-password", ADMIN]) == cli.EXIT_ERROR
    assert says in capsys.readouterr().err
    assert _admin(engine).password_hash == before
    assert _entries(engine, "reset_password") == []
    assert auth.attempt_login(engine, _admin(engine).id, PW).name == ADMIN


def test_unknown_or_inactive_name_is_refused_before_any_prompt(sqlite_db, typed, capsys):
    engine, url = sqlite_db
    _answers, prompts = typed
    assert cli.main(["--db", url, "staff", "reset-password", "管理 次郎"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "担当者「管理 次郎」は登録されていません" in err and "管理 太郎" in err  # lists who is there
    assert prompts == []
    with write_session(engine) as s:
        s.add(Staff(name="退職 花子", role="desk", active=False, created_at=MORNING))
    assert cli.main(["--db", url, "staff", "unlock", "退職 花子"]) == cli.EXIT_ERROR
    assert "「退職 花子」のアカウントは無効です" in capsys.readouterr().err
    assert _entries(engine, "unlock") == []


def test_no_keyboard_is_a_message_not_a_traceback(sqlite_db, monkeypatch, capsys):
    engine, url = sqlite_db

    def no_input(prompt=""):
        raise EOFError

    monkeypatch.setattr(staff_cli.getpass, "getpass", no_input)
    assert cli.main(["--db", url, "staff", "reset-password", ADMIN]) == cli.EXIT_ERROR
    assert "キーボードから入力できる端末で実行してください" in capsys.readouterr().err


def test_a_missing_database_is_not_created(tmp_path, capsys):
    url = f"sqlite:///{(tmp_path / 'typo.sqlite3').as_posix()}"
    assert cli.main(["--db", url, "staff", "unlock", ADMIN]) == cli.EXIT_ERROR
    assert "データベースが見つかりません" in capsys.readouterr().err
    assert not (tmp_path / "typo.sqlite3").exists()


@pytest.mark.postgres
def test_postgres_without_a_user_asks_for_the_owner_and_stores_nothing(pg_url, typed, capsys):
    """A terminal's setting names no user (issue 14): the command asks the owner's password, uses it once."""
    from sqlalchemy.engine import make_url

    engine = _with_admin(pg_url)
    try:
        _lock_out(engine)
        owner = make_url(pg_url).username
        no_user = make_url(pg_url).set(username=None, password=None).render_as_string(hide_password=False)
        answers, prompts = typed
        answers.append("")  # Enter without a password
        assert cli.main(["--db", no_user, "staff", "unlock", ADMIN, "--owner", owner]) == cli.EXIT_ERROR
        assert "所有者のパスワードが入力されていません" in capsys.readouterr().err  # no answer → refused
        assert _admin(engine).locked_until is not None
        answers.append("owner-secret")  # the test server trusts its superuser: any password does
        assert cli.main(["--db", no_user, "staff", "unlock", ADMIN, "--owner", owner]) == 0
        assert prompts[-1] == f"「{owner}」のパスワード（表示されません）："
        assert "owner-secret" not in capsys.readouterr().out
        assert _admin(engine).locked_until is None
    finally:
        engine.dispose()
