"""Encrypted backups and the pruning of old automatic backups (issue 15, store/backup_crypto.py).

The attack found up to 34 unencrypted automatic backups, and a 抹消 group's old address living on in them.
Here: once an administrator sets a passphrase, every backup the app makes (and ``backup FILE``) is an age file
that holds none of the database's bytes in the clear; it restores with the passphrase only, a changed byte is
refused, the trojan checks still apply to what comes out, automatic backups past the retention go, and the
encryption streams (a 100 MB file never sits in memory).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from booking_app.domain.errors import DomainError, PermissionDenied, RuleError, ValidationError
from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store import backup as bk
from booking_app.services import backup as backup_svc
from booking_app.store import backup_crypto as bc
from booking_app.services import backup_encryption as backup_enc
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Staff
from tests.cli_login import signed_in

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "sakura minato umi 2026"
OTHER = "kaede yama kawa 2027"
ADDRESS = "東区はなみずき町9丁目8-7 旧事務所"  # the group's old address: must not survive in clear in a backup
PHONE = "011-987-6543"


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "backups"
    monkeypatch.setenv(bk.ENV_BACKUP_DIR, str(d))
    return d


def _engine_do(url: str, fn):
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            return fn(s)
    finally:
        engine.dispose()


def _admin(s) -> Actor:
    a = s.scalars(select(Staff).where(Staff.role == "admin").order_by(Staff.id)).first()
    return Actor(a.id, a.name, a.role)


@pytest.fixture
def desk(sqlite_url) -> Path:
    """The desk's database with one group whose address and phone we look for."""
    _engine_do(sqlite_url, ensure_initial_data)
    path = bk.sqlite_path(sqlite_url)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute(
            "INSERT INTO member_groups (reg_no, name, kana, group_type, status, representative, phone, address, "
            "members, note, created_at, created_by) VALUES ('R0001', 'はなみずき会', '', 'purpose', 'active', "
            "'', ?, ?, 1, '', '2026-11-25 09:00:00.000000', 1)", (PHONE, ADDRESS))
    finally:
        con.close()
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def _set_up(path_or_url, passphrase: str = PASSPHRASE) -> bc.EncryptionSetting:
    url = path_or_url if isinstance(path_or_url, str) else _url(path_or_url)
    return _engine_do(url, lambda s: backup_enc.set_up_encryption(s, _admin(s), passphrase, passphrase))


def _groups(path: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT reg_no, name, phone, address FROM member_groups ORDER BY id").fetchall()
    finally:
        con.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(bc.PLAIN_PREFIX) or ".part" in p.name)


# --------------------------------------------------------------------------- set-up


@pytest.mark.parametrize("passphrase, again, words, field", [
    ("short pass", "short pass", "12文字以上", "passphrase"),
    ("password1234", "password1234", "よく使われていて", "passphrase"),
    (PASSPHRASE, PASSPHRASE + "x", "（確認）が一致しません", "passphrase_again"),
    ("", "", "パスフレーズを入力", "passphrase"),
])
def test_the_passphrase_rules_are_named_in_japanese(passphrase, again, words, field):
    with pytest.raises(ValidationError) as info:
        backup_enc.check_passphrase(passphrase, again)
    assert words in info.value.message and info.value.field == field


def test_only_an_administrator_sets_it_up_and_the_identity_is_never_stored(desk):
    def as_desk(s):
        d = s.scalars(select(Staff).where(Staff.role == "desk")).first()
        return backup_enc.set_up_encryption(s, Actor(d.id, d.name, d.role), PASSPHRASE, PASSPHRASE)

    with pytest.raises(PermissionDenied, match="システム管理者のみ"):
        _engine_do(_url(desk), as_desk)
    assert bc.read_encryption(_url(desk)) is None
    setting = _set_up(desk)
    stored = bc.read_encryption(_url(desk))
    assert stored == setting and stored.recipient.startswith("age1") and stored.created_by
    con = sqlite3.connect(desk)
    try:
        everything = "\n".join(str(r) for r in con.execute("SELECT * FROM centre_settings"))
        audit = con.execute("SELECT summary, after FROM audit_log WHERE entity = 'backup'").fetchall()
    finally:
        con.close()
    assert "AGE-SECRET-KEY" not in everything  # only sealed with the passphrase
    assert audit and "バックアップの暗号化を設定" in audit[-1][0] and "sealed" not in str(audit[-1][1])


# --------------------------------------------------------------------------- automatic backups


def test_an_encrypted_automatic_backup_holds_no_byte_of_the_address_and_restores_with_the_passphrase(
        desk, folder, tmp_path):
    plain = backup_svc.automatic_backup(_url(desk), "daily", folder=folder, record=False)
    assert not plain.encrypted and ADDRESS.encode() in plain.path.read_bytes()  # the control: before set-up
    _set_up(desk)
    result = backup_svc.automatic_backup(_url(desk), "exit", folder=folder, record=False)
    assert result.encrypted and result.path.name.endswith("-exit.sqlite3.enc")
    data = result.path.read_bytes()
    assert data.startswith(bc.MAGIC)
    for secret in (ADDRESS.encode(), PHONE.encode(), "はなみずき会".encode(), bk.SQLITE_HEADER):
        assert secret not in data
    if os.name == "posix":
        assert result.path.stat().st_mode & 0o777 == 0o600
    assert _leftovers(folder) == []  # the plain copy is gone
    header = bc.read_header(result.path)
    assert header.info["kind"] == "sqlite" and header.info["revision"] == bk.database_revision(_url(desk))

    before = _groups(desk)
    con = sqlite3.connect(desk, isolation_level=None)
    con.execute("UPDATE member_groups SET address = '', phone = ''")  # 匿名化 after the backup
    con.close()
    asked = []
    restored = bk.restore_sqlite(result.path, desk, folder=folder, ask=lambda p: asked.append(p) or PASSPHRASE)
    assert asked == [result.path]
    assert _groups(desk) == before
    assert result.path.name in restored.message and bc.PLAIN_PREFIX not in restored.message
    assert restored.prerestore_backup.name.endswith("-prerestore.sqlite3.enc")  # the replaced one, encrypted
    assert _leftovers(folder) == []


def test_a_wrong_passphrase_is_refused_and_nothing_changes(desk, folder):
    _set_up(desk)
    result = backup_svc.automatic_backup(_url(desk), "daily", folder=folder, record=False)
    con = sqlite3.connect(desk, isolation_level=None)
    con.execute("UPDATE member_groups SET name = 'いまの会'")
    con.close()
    before, files = _groups(desk), sorted(folder.iterdir())
    with pytest.raises(RuleError) as info:
        bk.restore_sqlite(result.path, desk, folder=folder, ask=lambda p: OTHER)
    assert "パスフレーズが違います" in info.value.message and "何も変更していません" in info.value.message
    assert _groups(desk) == before and sorted(folder.iterdir()) == files  # no prerestore, no temporary file


def test_a_changed_byte_in_the_payload_is_refused_by_age(desk, folder, tmp_path):
    _set_up(desk)
    result = backup_svc.automatic_backup(_url(desk), "daily", folder=folder, record=False)
    data = bytearray(result.path.read_bytes())
    header = bc.read_header(result.path)
    data[header.payload_offset + (len(data) - header.payload_offset) // 2] ^= 0x01
    tampered = tmp_path / "tampered.sqlite3.enc"
    tampered.write_bytes(bytes(data))
    before = _groups(desk)
    with pytest.raises(RuleError, match="復号できませんでした"):
        bk.restore_sqlite(tampered, desk, folder=folder, ask=lambda p: PASSPHRASE)
    assert _groups(desk) == before and [r for _w, r, _p in bk.list_backups(folder)] == ["daily"]
    assert _leftovers(folder) == []
    with pytest.raises(RuleError, match="復号できませんでした"):
        bc.decrypt_file(tampered, tmp_path / "out.sqlite3", PASSPHRASE)
    assert not (tmp_path / "out.sqlite3").exists()


def test_a_trojan_inside_an_encrypted_file_is_still_refused_after_decryption(desk, folder, tmp_path):
    setting = _set_up(desk)
    bad = bk.backup_sqlite(desk, tmp_path / "bad.sqlite3").path
    con = sqlite3.connect(bad, isolation_level=None)
    con.execute("CREATE TRIGGER quiet AFTER INSERT ON bookings BEGIN DELETE FROM audit_log; END")
    con.close()
    sealed = tmp_path / "booking-trojan.sqlite3.enc"
    bc.encrypt_file(bad, sealed, setting, {"kind": "sqlite"})
    before = _groups(desk)
    with pytest.raises(RuleError) as info:
        bk.restore_sqlite(sealed, desk, folder=folder, ask=lambda p: PASSPHRASE)
    assert "このアプリが作らないトリガー「quiet」があります" in info.value.message
    assert "booking-trojan.sqlite3.enc" in info.value.message  # the file the administrator chose, by its name
    assert _groups(desk) == before and bk.list_backups(folder) == [] and _leftovers(folder) == []


def test_a_changed_passphrase_makes_a_new_key_and_old_backups_keep_the_old_one(desk, folder):
    _set_up(desk)
    old = backup_svc.automatic_backup(_url(desk), "daily", folder=folder, record=False)
    second = _set_up(desk, OTHER)
    new = backup_svc.automatic_backup(_url(desk), "exit", folder=folder, record=False)
    assert bc.read_header(old.path).info["recipient"] != second.recipient == bc.read_header(new.path).info["recipient"]
    out = folder.parent / "x.sqlite3"
    bc.decrypt_file(old.path, out, PASSPHRASE)
    assert _groups(out) == _groups(desk)
    with pytest.raises(RuleError, match="パスフレーズが違います"):
        bc.decrypt_file(new.path, out.with_name("y.sqlite3"), PASSPHRASE)


# --------------------------------------------------------------------------- pruning


def _touch(folder: Path, stamp: str, reason: str, suffix: str = ".sqlite3") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"booking-{stamp}-{reason}{suffix}"
    p.write_bytes(b"x")
    return p


@pytest.mark.now("2026-11-25 10:00")
def test_pruning_removes_only_automatic_backups_older_than_the_retention(tmp_path):
    folder = tmp_path / "b"
    old = [_touch(folder, "20260801-090000", "daily", ".sqlite3.enc"), _touch(folder, "20260820-170000", "exit"),
           _touch(folder, "20260825-090000", "premigrate", ".dump"), _touch(folder, "20260826-090000", "prerestore")]
    kept = [_touch(folder, "20260828-090000", "daily"), _touch(folder, "20261124-170000", "exit", ".sqlite3.enc")]
    mine = [_touch(folder, "20250101-090000", "manual"), folder / "my-own-copy.sqlite3"]
    mine[1].write_bytes(b"x")
    removed, oldest = bk.prune_backups(folder, 90)  # cut-off 2026-08-27 10:00
    assert sorted(removed) == sorted(old)
    assert all(p.exists() for p in kept + mine) and not any(p.exists() for p in old)
    assert oldest == datetime(2026, 8, 28, 9, 0)


@pytest.mark.now("2026-11-25 10:00")
def test_a_plain_copy_left_by_a_crash_goes_after_a_day(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    stale, fresh = folder / f"{bc.PLAIN_PREFIX}old.sqlite3", folder / f"{bc.PLAIN_PREFIX}now.sqlite3"
    for p in (stale, fresh):
        p.write_bytes(b"SQLite format 3\x00")
    moment = datetime(2026, 11, 25, 10, 0).timestamp()
    os.utime(stale, (moment - 25 * 3600, moment - 25 * 3600))
    os.utime(fresh, (moment - 3600, moment - 3600))  # another terminal's backup being encrypted
    bk.prune_backups(folder, 90)
    assert not stale.exists() and fresh.exists()


@pytest.mark.now("2026-11-25 10:00")
def test_the_newest_backup_is_kept_whatever_its_age(tmp_path):
    folder = tmp_path / "b"
    newest = _touch(folder, "20260101-170000", "exit")
    older = _touch(folder, "20251231-170000", "daily")
    removed, oldest = bk.prune_backups(folder, 30)
    assert removed == [older] and newest.exists() and oldest == datetime(2026, 1, 1, 17, 0)


@pytest.mark.now("2026-11-25 10:00")
def test_the_daily_backup_prunes_by_the_privacy_setting_and_says_so_in_the_audit(desk, folder):
    from booking_app.services.privacy import PrivacySettings, save_privacy_settings

    _engine_do(_url(desk), lambda s: save_privacy_settings(s, _admin(s), PrivacySettings(backup_retention_days=30)))
    assert backup_svc.retention_days(_url(desk)) == 30
    gone = _touch(folder, "20261020-090000", "daily")  # 36 days old
    stays = _touch(folder, "20261030-090000", "daily")  # 26 days old
    result = backup_svc.automatic_backup(_url(desk), "exit", folder=folder)
    assert not gone.exists() and stays.exists() and result.pruned == 1
    engine = make_engine(_url(desk))
    try:
        with read_session(engine) as s:
            row = s.scalars(select(AuditEntry).where(AuditEntry.action == "backup").order_by(AuditEntry.id.desc())).first()
            summary, after = row.summary, row.after
    finally:
        engine.dispose()
    assert "保存期間を過ぎた自動バックアップ1件を削除（残る最も古いもの：2026-10-30）" in summary
    assert after["pruned"] == 1


# --------------------------------------------------------------------------- commands


def test_the_commands_encrypt_restore_with_the_passphrase_and_decrypt(desk, folder, tmp_path, capsys, monkeypatch):
    from booking_app import cli

    _set_up(desk)
    signed_in(monkeypatch, _url(desk))
    out = tmp_path / "usb" / "booking-2026-11-25.sqlite3"
    assert cli.main(["backup", str(out), "--db", str(desk)]) == 0
    assert "暗号化済み" in capsys.readouterr().out
    assert bc.is_encrypted(out) and ADDRESS.encode() not in out.read_bytes()
    assert [p.name for p in folder.iterdir() if p.name.startswith(bc.PLAIN_PREFIX)] == []

    asked: list[Path] = []
    monkeypatch.setattr(bc, "ask_passphrase", lambda p: asked.append(p) or OTHER)
    before = _groups(desk)
    con = sqlite3.connect(desk, isolation_level=None)
    con.execute("UPDATE member_groups SET name = 'いまの会'")
    con.close()
    changed = _groups(desk)
    assert cli.main(["restore", str(out), "--db", str(desk), "--yes"]) == 1
    assert "パスフレーズが違います" in capsys.readouterr().err and _groups(desk) == changed

    monkeypatch.setattr(bc, "ask_passphrase", lambda p: asked.append(p) or PASSPHRASE)
    assert cli.main(["restore", str(out), "--db", str(desk), "--yes"]) == 0
    printed = capsys.readouterr().out
    assert "職員アカウント" in printed and f"「{out.name}」からデータベースを復元しました" in printed
    assert _groups(desk) == before and asked == [out, out]

    plain = tmp_path / "recovered.sqlite3"
    assert cli.main(["decrypt-backup", str(out), "-o", str(plain)]) == 0
    assert "SQLiteのデータベースファイル" in capsys.readouterr().out
    assert bk.check_backup_file(plain) and _groups(plain) == before
    assert cli.main(["decrypt-backup", str(plain), "-o", str(tmp_path / "again.sqlite3")]) == 1
    assert "暗号化されたバックアップではありません" in capsys.readouterr().err


def test_without_a_terminal_the_passphrase_is_refused_in_japanese(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed below; not a terminal
    try:
        with pytest.raises(DomainError, match="端末（コマンドプロンプト）から実行してください"):
            bc.ask_passphrase(tmp_path / "x.sqlite3.enc")
    finally:
        sys.stdin.close()


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed (Debian package age)")
def test_the_age_tool_opens_the_payload_as_the_admin_guide_says(desk, folder, tmp_path):
    """The guide's recovery without the app: line 3 is the sealed identity (age -d asks its passphrase on a
    terminal, so the test unseals it with the same library), the payload from line 4 is a plain age file."""
    _set_up(desk)
    result = backup_svc.automatic_backup(_url(desk), "daily", folder=folder, record=False)
    identity = bc.unseal(bc.read_header(result.path), PASSPHRASE)
    key = tmp_path / "identity.txt"
    key.write_text(str(identity) + "\n", encoding="ascii")
    sealed = subprocess.run(["sh", "-c", f"sed -n 3p '{result.path}' | base64 -d"], capture_output=True, check=True)
    assert sealed.stdout.startswith(b"age-encryption.org/v1\n-> scrypt ")  # a passphrase-sealed age file
    out = tmp_path / "booking.sqlite3"
    subprocess.run(["sh", "-c", f"tail -n +4 '{result.path}' | age -d -i '{key}' -o '{out}'"], check=True,
                   capture_output=True)
    assert _groups(out) == _groups(desk)


# --------------------------------------------------------------------------- streaming


STREAM = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from booking_app.store import backup_crypto as bc
    from booking_app.services import backup_encryption as backup_enc
    mode, tmp = sys.argv[1], Path(sys.argv[2])
    def rss():  # VmHWM: this process's peak resident memory (ru_maxrss would carry the parent's over a fork)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    if mode == "encrypt":
        setting = bc.EncryptionSetting.from_dict(json.loads(sys.argv[3]))
        base = rss()
        bc.encrypt_file(tmp / "big.bin", tmp / "big.enc", setting, {"kind": "sqlite"})
    else:
        header = bc.read_header(tmp / "big.enc")
        identity = bc.unseal(header, sys.argv[3])  # scrypt: its memory does not depend on the file
        base = rss()
        bc.decrypt_payload(tmp / "big.enc", header, identity, tmp / "big.out")
    print(json.dumps({"base": base, "peak": rss()}))
""")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is in Linux's /proc")
def test_a_100_mb_backup_is_encrypted_and_decrypted_as_a_stream(tmp_path):
    """Each step in a fresh process: encrypting a 100 MB file peaks far below 100 MB for the whole process,
    and decrypting adds almost nothing to what unsealing the identity (scrypt) took."""
    block = os.urandom(1 << 20)
    with open(tmp_path / "big.bin", "wb") as f:
        for _ in range(100):
            f.write(block)
    setting = bc.make_setting(PASSPHRASE, "2026-11-25T10:00:00", "test")
    mb = 1 << 20
    figures = {}
    for mode, arg in (("encrypt", json.dumps(setting.to_dict())), ("decrypt", PASSPHRASE)):
        proc = subprocess.run([sys.executable, "-c", STREAM, mode, str(tmp_path), arg], capture_output=True,
                              text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        figures[mode] = json.loads(proc.stdout)
    print({m: {k: round(v / mb, 1) for k, v in f.items()} for m, f in figures.items()})
    assert (tmp_path / "big.enc").stat().st_size > 100 * mb
    with open(tmp_path / "big.out", "rb") as f:
        for _ in range(100):
            assert f.read(1 << 20) == block
        assert f.read(1) == b""
    assert figures["encrypt"]["peak"] < 100 * mb  # the whole process, for a 100 MB file
    assert figures["encrypt"]["peak"] - figures["encrypt"]["base"] < 20 * mb
    assert figures["decrypt"]["peak"] - figures["decrypt"]["base"] < 20 * mb


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.skipif(bk.find_pg_dump() is None, reason="pg_dump not installed")
def test_a_pg_dump_backup_is_encrypted_too(pg_url, tmp_path):
    _engine_do(pg_url, ensure_initial_data)
    _set_up(pg_url)
    result = bk.take_backup(pg_url, tmp_path / "b", "premigrate")
    assert result.encrypted and result.path.name.endswith("-premigrate.dump.enc")
    assert b"PGDMP" not in result.path.read_bytes()
    assert bc.read_header(result.path).info["kind"] == "pg_dump"
    assert _leftovers(tmp_path / "b") == []
    dump = tmp_path / "pg.dump"
    bc.decrypt_file(result.path, dump, PASSPHRASE)
    listing = subprocess.run([bk.find_pg_dump("pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert listing.returncode == 0 and "member_groups" in listing.stdout


# --------------------------------------------------------------------------- the settings widget


def _widget(qtbot, url: str, role: str):
    from booking_app.ui.settings.backup_encryption_settings import BackupEncryptionSettings
    from booking_app.ui.context import AppContext

    engine = make_engine(url)
    with read_session(engine) as s:
        person = s.scalars(select(Staff).where(Staff.role == role).order_by(Staff.id)).first()
        actor = Actor(person.id, person.name, person.role)
    w = BackupEncryptionSettings(AppContext(engine, actor))
    qtbot.addWidget(w)
    w.show()
    return w, engine


def test_the_widget_is_for_administrators_only(qtbot, desk):
    w, engine = _widget(qtbot, _url(desk), "desk")
    try:
        assert "未設定" in w.state.text()
        assert not w.passphrase.isEnabled() and not w.save_button.isEnabled()
        assert "システム管理者のみ" in w.role_note.text()
    finally:
        engine.dispose()


def test_an_administrator_sets_and_changes_the_passphrase_in_the_widget(qtbot, desk):
    from PySide6.QtCore import Qt

    w, engine = _widget(qtbot, _url(desk), "admin")
    try:
        assert w.save_button.text() == "暗号化を設定" and not w.changing.isVisible()
        qtbot.keyClicks(w.passphrase, PASSPHRASE)
        qtbot.keyClicks(w.again, PASSPHRASE + "!")
        qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
        assert "（確認）が一致しません" in w.message.text() and bc.read_encryption(_url(desk)) is None

        w.again.clear()
        qtbot.keyClicks(w.again, PASSPHRASE)
        qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
        first = bc.read_encryption(_url(desk))
        assert first is not None and "設定しました" in w.message.text()
        assert "設定済み" in w.state.text() and first.created_by in w.state.text()
        assert f"{first.created_at[:4]}年{first.created_at[5:7]}月{first.created_at[8:10]}日" in w.state.text()
        assert w.passphrase.text() == "" and w.again.text() == ""  # never left in the fields
        assert w.save_button.text() == "パスフレーズを変更" and w.changing.isVisible()
        assert "変更前のパスフレーズでしか開けません" in w.changing.text()

        qtbot.keyClicks(w.passphrase, OTHER)
        qtbot.keyClicks(w.again, OTHER)
        qtbot.keyClick(w.again, Qt.Key.Key_Return)
        second = bc.read_encryption(_url(desk))
        assert second.recipient != first.recipient and "変更しました" in w.message.text()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- before a database update


def test_the_premigrate_backup_is_encrypted_and_a_failed_update_still_rolls_back(desk, folder, tmp_path):
    from booking_app.store.migrate import MigrationFailed, head_revision, migrations_dir, safe_upgrade
    from tests.test_migration_safety import BROKEN

    scripts = tmp_path / "db"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_broken.py").write_text(BROKEN.format(down=head_revision()), encoding="utf-8")
    _set_up(desk)
    before = _groups(desk)
    with pytest.raises(MigrationFailed) as info:
        safe_upgrade(_url(desk), folder, script_location=scripts)
    saved = info.value.backup
    assert "元に戻すこともできませんでした" not in info.value.message
    assert saved.name.endswith("-premigrate.sqlite3.enc") and ADDRESS.encode() not in saved.read_bytes()
    # put back from the private plain copy (no passphrase at start-up), which is then removed
    assert _groups(desk) == before and bk.database_revision(_url(desk)) == head_revision()
    con = sqlite3.connect(desk)
    try:
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'broken_0099'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM rooms WHERE name LIKE '%（壊）'").fetchone()[0] == 0
    finally:
        con.close()
    assert _leftovers(folder) == []
    out = tmp_path / "premigrate.sqlite3"
    bc.decrypt_file(saved, out, PASSPHRASE)
    assert _groups(out) == before
