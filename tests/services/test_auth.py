"""Staff accounts and sign-in (担当者アカウント・ログイン), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from factories import NOW, World
from sqlalchemy import select

from booking_app.domain.errors import NotFound, PermissionDenied, RuleError, ValidationError
from booking_app.services import auth
from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import AuditEntry, Staff

PW = "kanmon-2026"


@pytest.fixture
def fast_scrypt(monkeypatch):
    """Cheaper hashes for tests that hash many times; verify reads the cost back from each hash.
    (tests/conftest.py's autouse ``_cheap_scrypt`` does the same for every test; this names it.)"""
    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)


@pytest.fixture
def production_scrypt():
    """Asked for by name: tests/conftest.py then leaves the production cost (N=2**17) in place."""
    return auth.SCRYPT_N


@pytest.fixture
def admin(world: World, fast_scrypt) -> Actor:
    """The first admin, created the way the first start does (the default row renamed)."""
    with world.write() as s:
        return auth.create_first_admin(s, name="管理 太郎", password=PW, now=NOW)


def _account(world: World, staff_id: int) -> auth.AccountInfo:
    with world.read() as s:
        return next(a for a in auth.list_accounts(s) if a.id == staff_id)


def _new_account(world: World, admin: Actor, name: str, role: str = "desk", password: str = PW) -> int:
    with world.write() as s:
        return auth.create_account(s, admin, name=name, role=role, password=password, now=NOW)


# --------------------------------------------------------------------------- hashing


def test_hash_round_trip_and_salt_differs():
    h1, h2 = auth.hash_password("ふくふく-pass"), auth.hash_password("ふくふく-pass")
    scheme, n, r, p, salt, digest = h1.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", auth.SCRYPT_N, 8, 1) and auth.SCRYPT_N == 2**10
    assert h1 != h2 and h1.split("$")[4] != h2.split("$")[4]  # a fresh salt every time
    assert "ふくふく" not in h1
    assert auth.verify_password("ふくふく-pass", h1) and auth.verify_password("ふくふく-pass", h2)
    assert not auth.verify_password("ふくふく-pasS", h1)
    assert not auth.verify_password("", h1)
    assert not auth.verify_password("anything", None)
    assert not auth.verify_password("anything", "")
    assert not auth.verify_password("ふくふく-pass", "scrypt$16384$8$1$!!$??")  # malformed, not a crash
    assert not auth.verify_password("ふくふく-pass", h1.replace("scrypt$1024", "scrypt$1073741824"))
    assert not auth.verify_password("ふくふく-pass", h1.replace("scrypt$1024$8", "scrypt$1048576$32"))  # 4 GiB


def test_production_cost_is_owasp_and_fits_in_memory(production_scrypt):
    assert (auth.SCRYPT_N, auth.SCRYPT_R, auth.SCRYPT_P) == (2**17, 8, 1) == (production_scrypt, 8, 1)
    h = auth.hash_password("kanmon-2026")  # 128 MiB: needs maxmem above OpenSSL's 32 MiB default
    assert h.startswith("scrypt$131072$8$1$")
    assert auth.verify_password("kanmon-2026", h) and not auth.needs_rehash(h)


def _old_hash(password: str) -> str:
    """A hash as the app made it before issue 14 (N=2**14)."""
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_old_hash_is_rehashed_at_the_next_sign_in(world: World, production_scrypt):
    old = _old_hash(PW)
    assert auth.verify_password(PW, old) and auth.needs_rehash(old)
    with world.write() as s:
        row = s.get(Staff, world.manager.id)
        row.password_hash, changed_at = old, row.password_changed_at
    # A wrong password changes nothing about the hash.
    with pytest.raises(auth.AuthError):
        auth.attempt_login(world.engine, world.manager.id, "not-the-password", now=NOW)
    with world.read() as s:
        assert s.get(Staff, world.manager.id).password_hash == old
    assert auth.attempt_login(world.engine, world.manager.id, PW, now=NOW).id == world.manager.id
    with world.read() as s:
        row = s.get(Staff, world.manager.id)
        new, entry = row.password_hash, s.scalars(select(AuditEntry).where(AuditEntry.action == "login")).one()
        assert row.password_changed_at == changed_at  # the password itself did not change
    assert new.startswith("scrypt$131072$8$1$") and not auth.needs_rehash(new)
    assert auth.verify_password(PW, new)
    assert entry.summary == "「センター長」がログイン（パスワードの保存形式を更新）"
    # The next sign-in finds nothing to upgrade.
    auth.attempt_login(world.engine, world.manager.id, PW, now=NOW)
    with world.read() as s:
        assert s.get(Staff, world.manager.id).password_hash == new


@pytest.mark.parametrize("bad, says", [
    ("", "8文字以上"), ("short7!", "8文字以上"), ("x" * 129, "128文字以内"), ("        ", "空白だけ"),
    (" leading-space", "先頭と末尾"), ("trailing-space ", "先頭と末尾"),
    # trivial repeats and runs
    ("aaaaaaaa", "繰り返し"), ("abababab", "繰り返し"), ("xyzxyzxy", "繰り返し"), ("12345678", "並び"),
    ("abcdefghij", "並び"), ("87654321", "並び"), ("ＡＡＡＡＡＡＡＡ", "繰り返し"),
    # the common-password list (compared case-insensitively, full-width folded)
    ("password", "よく使われていて"), ("Password1", "よく使われていて"), ("iloveyou", "よく使われていて"),
    ("ｐａｓｓｗｏｒｄ１", "よく使われていて"), ("qwertyuiop", "よく使われていて"), ("sunshine", "よく使われていて"),
])
def test_password_rules_refuse(bad, says):
    with pytest.raises(ValidationError) as e:
        auth.check_password_rules(bad)
    assert e.value.field == "パスワード"
    assert says in e.value.message and "パスワード" in e.value.message


@pytest.mark.parametrize("password, names", [
    ("yamada-taro", ("山田 太郎", "yamada_taro")), ("Yamada_Taro", ("山田 太郎", "yamada_taro")),
    ("yamada_taro2026", ("山田 太郎", "yamada_taro")), ("山田太郎1234", ("山田 太郎", None)),
    ("山田 太郎です!!", ("山田 太郎", None)),
])
def test_password_rules_refuse_the_own_name(password, names):
    with pytest.raises(ValidationError) as e:
        auth.check_password_rules(password, names=names)
    assert e.value.field == "パスワード" and "氏名やログイン名" in e.value.message


def test_password_rules_accept():
    for good in (PW, auth.DEMO_PASSWORD, "kaikyo-yume-77", "関門海峡の朝ごはん", "yamada-no-hanamizuki-2026"):
        auth.check_password_rules(good, names=("山田 太郎", "yamada"))
    assert len(auth.common_passwords()) > 19_000 and "password" in auth.common_passwords()
    assert auth.DEMO_PASSWORD not in auth.common_passwords()


# --------------------------------------------------------------------------- first admin


def test_first_admin_renames_the_default_passwordless_admin(world: World, fast_scrypt):
    with world.read() as s:
        assert auth.needs_first_admin(s)
        assert auth.login_names(s) == []  # nobody has a password yet
        default_id = s.scalar(select(Staff.id).where(Staff.name == "システム管理者"))
    with world.write() as s:
        actor = auth.create_first_admin(s, name="  管理 太郎 ", kana="かんり たろう", password=PW, now=NOW)
    assert actor == Actor(default_id, "管理 太郎", "admin")
    with world.read() as s:
        assert not auth.needs_first_admin(s)
        assert auth.login_names(s) == [(default_id, "管理 太郎", "admin")]
        assert s.scalar(select(Staff).where(Staff.name == "システム管理者")) is None
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "create_admin"))
        assert (entry.entity, entry.entity_id, entry.staff_id) == ("staff", default_id, default_id)
    assert auth.attempt_login(world.engine, default_id, PW, now=NOW) == actor
    with pytest.raises(RuleError) as e, world.write() as s:
        auth.create_first_admin(s, name="別の人", password=PW, now=NOW)
    assert "すでに登録" in e.value.message


def test_first_admin_without_default_row_creates_one(db_engine, fast_scrypt):
    with write_session(db_engine) as s:
        assert auth.needs_first_admin(s)
        actor = auth.create_first_admin(s, name="山田 管理", password=PW, now=NOW)
    with read_session(db_engine) as s:
        assert [(a.name, a.role, a.has_password) for a in auth.list_accounts(s)] == [("山田 管理", "admin", True)]
    assert auth.attempt_login(db_engine, actor.id, PW, now=NOW).role == "admin"


def test_first_admin_checks_password_and_name(world: World, fast_scrypt):
    with pytest.raises(ValidationError) as e, world.write() as s:
        auth.create_first_admin(s, name="管理", password="short", now=NOW)
    assert e.value.field == "パスワード"
    with pytest.raises(ValidationError) as e, world.write() as s:
        auth.create_first_admin(s, name="センター長", password=PW, now=NOW)  # another staff's name
    assert e.value.field == "氏名"
    with world.read() as s:
        assert auth.needs_first_admin(s)  # nothing was half-done


# --------------------------------------------------------------------------- sign-in and lock-out


def test_wrong_password_counts_down_and_is_committed(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    for left in (4, 3, 2, 1):
        with pytest.raises(auth.AuthError) as e:
            auth.attempt_login(world.engine, sid, "wrong-password", now=NOW)
        assert e.value.message == f"パスワードが違います。（あと{left}回間違えるとロックされます）"
        assert isinstance(e.value, PermissionDenied)
        # The count survives the refused sign-in (its own committed transaction).
        assert _account(world, sid).failed_logins == auth.MAX_FAILED_LOGINS - left
    # A right password before the 5th failure signs in and clears the count.
    actor = auth.attempt_login(world.engine, sid, PW, now=NOW + timedelta(minutes=1))
    assert actor == Actor(sid, "受付 花子", "desk")
    info = _account(world, sid)
    assert (info.failed_logins, info.locked_until, info.last_login_at) == (0, None, NOW + timedelta(minutes=1))


def _fail(world: World, sid: int, at, times: int = 1) -> str:
    for _ in range(times):
        with pytest.raises(auth.AuthError) as e:
            auth.attempt_login(world.engine, sid, "wrong-password", now=at)
    return e.value.message


def test_lock_minutes_grow_and_are_capped():
    assert [auth.lock_minutes(n) for n in range(1, 13)] == [0, 0, 0, 0, 1, 2, 4, 8, 15, 15, 15, 15]
    assert auth.lock_minutes(10_000) == auth.LOCKOUT_MINUTES == 15  # no overflow, no endless lock


def test_fifth_failure_locks_for_a_minute(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    _fail(world, sid, NOW, 4)
    message = _fail(world, sid, NOW)
    assert message.startswith("このアカウントはロックされています。09:01以降に")
    assert _account(world, sid).locked_until == NOW + timedelta(minutes=1)
    # Even the right password is refused while locked, and attempts do not extend the lock.
    for seconds in (0, 30, 59):
        with pytest.raises(auth.AuthError) as e:
            auth.attempt_login(world.engine, sid, PW, now=NOW + timedelta(seconds=seconds))
        assert "ロックされています" in e.value.message and "09:01" in e.value.message
        assert "09:01" in _fail(world, sid, NOW + timedelta(seconds=seconds))  # not counted either
    info = _account(world, sid)
    assert (info.failed_logins, info.locked_until) == (5, NOW + timedelta(minutes=1))
    # When it runs out the right password works and the count starts afresh.
    assert auth.attempt_login(world.engine, sid, PW, now=NOW + timedelta(minutes=1)).id == sid
    info = _account(world, sid)
    assert (info.failed_logins, info.locked_until) == (0, None)
    with world.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.entity_id == sid, AuditEntry.entity == "staff")
                                 .order_by(AuditEntry.id)))
    assert [e.action for e in entries].count("lock") == 1 and entries[-1].action == "login"
    assert "1分間ロック（パスワード5回続けて誤り）" in next(e.summary for e in entries if e.action == "lock")


def test_someone_guessing_on_is_slowed_down_but_never_locks_the_only_admin_out(world: World, admin: Actor):
    """An attacker at a terminal types a wrong password for the only administrator as soon as each lock
    runs out: the locks grow to 15 minutes and no further, and the moment one runs out the real
    administrator can sign in."""
    at = NOW
    _fail(world, admin.id, at, 4)
    locks = []
    for _ in range(8):
        message = _fail(world, admin.id, at)
        until = _account(world, admin.id).locked_until
        locks.append(int((until - at).total_seconds() // 60))
        assert f"{until:%H:%M}以降" in message
        at = until  # the attacker waits exactly for the lock to run out
    assert locks == [1, 2, 4, 8, 15, 15, 15, 15]
    assert _account(world, admin.id).failed_logins == 12
    # The real administrator arrives when the last lock has run out: signed in, count cleared.
    assert auth.attempt_login(world.engine, admin.id, PW, now=at) == admin
    assert (_account(world, admin.id).failed_logins, _account(world, admin.id).locked_until) == (0, None)
    # After a sign-in a new mistake is a first mistake again.
    assert "あと4回" in _fail(world, admin.id, at)


def test_after_a_lock_runs_out_the_next_wrong_password_locks_again_for_longer(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    _fail(world, sid, NOW, 5)
    message = _fail(world, sid, NOW + timedelta(minutes=20))  # long after the 1-minute lock
    assert "09:22以降" in message  # 09:20 + 2 minutes
    assert _account(world, sid).failed_logins == 6


def test_verify_current_counts_like_a_sign_in(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    actor = Actor(sid, "受付 花子", "desk")
    assert auth.verify_current(world.engine, actor, PW, now=NOW) == actor
    with world.write() as s:  # promoted while the screen was locked: the unlock hands back the new role
        auth.update_account(s, admin, sid, role="manager", now=NOW)
    assert auth.verify_current(world.engine, actor, PW, now=NOW).role == "manager"
    for _ in range(4):
        with pytest.raises(auth.AuthError):
            auth.verify_current(world.engine, actor, "nope-nope", now=NOW)
    with pytest.raises(auth.AuthError) as e:
        auth.verify_current(world.engine, actor, "nope-nope", now=NOW)
    assert "ロックされています" in e.value.message
    with pytest.raises(auth.AuthError):
        auth.verify_current(world.engine, actor, PW, now=NOW)


def test_refusals_for_unknown_inactive_and_passwordless(world: World, admin: Actor):
    with pytest.raises(auth.AuthError) as e:
        auth.attempt_login(world.engine, 999_999, PW, now=NOW)
    assert e.value.message == "担当者が見つかりません。"
    with pytest.raises(auth.AuthError) as e:  # the default desk row has no password yet
        auth.attempt_login(world.engine, world.desk.id, "", now=NOW)
    assert e.value.message == "パスワードが設定されていません。システム管理者に設定を依頼してください。"
    sid = _new_account(world, admin, "退職 太郎")
    with world.write() as s:
        auth.update_account(s, admin, sid, active=False, now=NOW)
    with pytest.raises(auth.AuthError) as e:
        auth.attempt_login(world.engine, sid, PW, now=NOW)
    assert e.value.message == "担当者が見つかりません。"
    with world.read() as s:
        assert sid not in [i for i, _n, _r in auth.login_names(s)]


def test_login_inside_a_session_returns_actor(world: World, admin: Actor):
    with world.write() as s:
        assert auth.login(s, admin.id, PW, now=NOW) == admin
    with pytest.raises(auth.AuthError), world.write() as s:
        auth.login(s, admin.id, "wrong-password", now=NOW)


# --------------------------------------------------------------------------- account management


def test_admin_creates_and_edits_accounts(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子", role="desk")
    with world.write() as s:
        auth.update_account(s, admin, sid, name="受付 花子（旧姓）", kana="うけつけ はなこ", role="manager", now=NOW)
    info = _account(world, sid)
    assert (info.name, info.kana, info.role, info.active, info.has_password) == (
        "受付 花子（旧姓）", "うけつけ はなこ", "manager", True, True)
    assert auth.attempt_login(world.engine, sid, PW, now=NOW).role == "manager"
    with pytest.raises(ValidationError) as e, world.write() as s:
        auth.create_account(s, admin, name="受付 花子（旧姓）", password=PW, now=NOW)
    assert e.value.field == "氏名"
    with pytest.raises(ValidationError) as e, world.write() as s:
        auth.update_account(s, admin, sid, role="superuser", now=NOW)
    assert e.value.field == "権限"
    with pytest.raises(NotFound), world.write() as s:
        auth.update_account(s, admin, 999_999, name="x", now=NOW)


def test_reset_password_and_unlock_by_admin(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.attempt_login(world.engine, sid, "wrong-password", now=NOW)
    with world.write() as s:
        auth.unlock(s, admin, sid, now=NOW + timedelta(minutes=1))
    assert _account(world, sid).locked_until is None
    assert auth.attempt_login(world.engine, sid, PW, now=NOW + timedelta(minutes=1)).id == sid

    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.attempt_login(world.engine, sid, "wrong-password", now=NOW + timedelta(minutes=2))
    with world.write() as s:
        auth.reset_password(s, admin, sid, "new-password-1", now=NOW + timedelta(minutes=3))
    info = _account(world, sid)
    assert (info.failed_logins, info.locked_until) == (0, None)
    with pytest.raises(auth.AuthError):
        auth.attempt_login(world.engine, sid, PW, now=NOW + timedelta(minutes=3))
    assert auth.attempt_login(world.engine, sid, "new-password-1", now=NOW + timedelta(minutes=3)).id == sid
    # Giving the default desk row its first password makes it able to sign in.
    with world.write() as s:
        auth.reset_password(s, admin, world.desk.id, "desk-pass-1", now=NOW)
    assert auth.attempt_login(world.engine, world.desk.id, "desk-pass-1", now=NOW) == world.desk
    with pytest.raises(ValidationError), world.write() as s:
        auth.reset_password(s, admin, sid, "short", now=NOW)


def test_change_own_password(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    me = Actor(sid, "受付 花子", "desk")
    with pytest.raises(auth.AuthError) as e, world.write() as s:
        auth.change_own_password(s, me, "wrong-password", "brand-new-pw", now=NOW)
    assert e.value.message == "現在のパスワードが違います。"
    with pytest.raises(ValidationError), world.write() as s:
        auth.change_own_password(s, me, PW, "short", now=NOW)
    with pytest.raises(ValidationError), world.write() as s:
        auth.change_own_password(s, me, PW, PW, now=NOW)
    with world.write() as s:
        auth.change_own_password(s, me, PW, "brand-new-pw", now=NOW)
    assert auth.attempt_login(world.engine, sid, "brand-new-pw", now=NOW) == me
    with pytest.raises(auth.AuthError):
        auth.attempt_login(world.engine, sid, PW, now=NOW)
    # Someone without a password cannot give themself one: that is the administrator's job.
    with pytest.raises(auth.AuthError) as e, world.write() as s:
        auth.change_own_password(s, world.desk, "", "self-made-pw", now=NOW)
    assert "システム管理者に設定を依頼" in e.value.message
    assert not _account(world, world.desk.id).has_password


@pytest.mark.parametrize("role", ["desk", "manager"])
def test_account_management_is_admin_only(world: World, admin: Actor, role: str):
    sid = _new_account(world, admin, "受付 花子")
    actor = world.desk if role == "desk" else world.manager
    calls = [
        lambda s: auth.create_account(s, actor, name="新人", password=PW, now=NOW),
        lambda s: auth.update_account(s, actor, sid, role="admin", now=NOW),
        lambda s: auth.update_account(s, actor, actor.id, role="admin", now=NOW),  # not even oneself
        lambda s: auth.reset_password(s, actor, sid, "hijacked-pw", now=NOW),
        lambda s: auth.unlock(s, actor, sid, now=NOW),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as e, world.write() as s:
            call(s)
        assert "システム管理者のみ" in e.value.message
    info = _account(world, sid)
    assert (info.role, info.name) == ("desk", "受付 花子")
    assert auth.attempt_login(world.engine, sid, PW, now=NOW).id == sid  # password untouched


def test_last_admin_cannot_be_demoted_or_deactivated(world: World, admin: Actor):
    for change in ({"role": "manager"}, {"active": False}, {"role": "desk", "active": False}):
        with pytest.raises(RuleError) as e, world.write() as s:
            auth.update_account(s, admin, admin.id, now=NOW, **change)
        assert "システム管理者が1人もいなくなる" in e.value.message
    assert _account(world, admin.id).role == "admin" and _account(world, admin.id).active
    # A passwordless admin does not count: it could never sign in.
    with world.write() as s:
        other = Staff(name="名ばかり管理", role="admin", created_at=NOW)
        s.add(other)
    with pytest.raises(RuleError), world.write() as s:
        auth.update_account(s, admin, admin.id, role="manager", now=NOW)
    # With a second usable admin the first may step down.
    second = _new_account(world, admin, "副 管理", role="admin")
    with world.write() as s:
        auth.update_account(s, admin, admin.id, role="manager", now=NOW)
    assert _account(world, admin.id).role == "manager"
    second_actor = Actor(second, "副 管理", "admin")
    with pytest.raises(RuleError), world.write() as s:
        auth.update_account(s, second_actor, second, active=False, now=NOW)
    # Renaming the last admin is fine.
    with world.write() as s:
        auth.update_account(s, second_actor, second, name="副 管理（改）", now=NOW)


def test_audit_never_contains_the_hash(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子")
    with world.write() as s:
        auth.update_account(s, admin, sid, role="manager", now=NOW)
        auth.reset_password(s, admin, sid, "second-pass", now=NOW)
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.attempt_login(world.engine, sid, "wrong-password", now=NOW)
    with world.write() as s:
        auth.unlock(s, admin, sid, now=NOW)
    auth.attempt_login(world.engine, sid, "second-pass", now=NOW)
    with world.write() as s:
        auth.change_own_password(s, Actor(sid, "受付 花子", "manager"), "second-pass", "third-pass", now=NOW)
    with world.read() as s:
        hashes = [h for (h,) in s.execute(select(Staff.password_hash).where(Staff.password_hash.is_not(None)))]
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "staff")))
    assert {e.action for e in entries} >= {"create_admin", "create", "update", "reset_password", "lock", "unlock",
                                           "login", "change_password"}
    assert hashes
    for e in entries:
        text = json.dumps([e.summary, e.before, e.after], ensure_ascii=False)
        assert "scrypt" not in text and "password_hash" not in text
        assert not any(h.split("$")[-1] in text or h.split("$")[-2] in text for h in hashes)
        for secret in (PW, "second-pass", "third-pass", "wrong-password"):
            assert secret not in text


def test_list_accounts_shows_everyone(world: World, admin: Actor):
    sid = _new_account(world, admin, "受付 花子", role="manager")
    with world.write() as s:
        auth.update_account(s, admin, sid, active=False, now=NOW)
    with world.read() as s:
        accounts = auth.list_accounts(s)
    by_name = {a.name: a for a in accounts}
    assert set(by_name) == {"受付スタッフ", "センター長", "管理 太郎", "受付 花子"}
    assert accounts[-1].name == "受付 花子"  # inactive ones last
    assert not by_name["受付 花子"].active and by_name["受付 花子"].role_label == "管理者"
    assert by_name["受付スタッフ"].has_password is False and by_name["管理 太郎"].has_password is True


def test_demo_staff_get_the_demo_password(world: World, fast_scrypt):
    from booking_app.demo.centre import give_demo_passwords as _give_demo_passwords

    with world.write() as s:
        _give_demo_passwords(s, NOW)
    with world.read() as s:
        names = auth.login_names(s)
        assert not auth.needs_first_admin(s)
    assert {r for _i, _n, r in names} == {"desk", "manager", "admin"}
    for sid, _name, _role in names:
        assert auth.attempt_login(world.engine, sid, auth.DEMO_PASSWORD, now=NOW).id == sid


def test_ensure_initial_data_leaves_passwords_alone(world: World, admin: Actor):
    with world.write() as s:
        ensure_initial_data(s, now=NOW)
    assert auth.attempt_login(world.engine, admin.id, PW, now=NOW) == admin
