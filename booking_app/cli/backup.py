"""``backup FILE`` and ``restore FILE``: an administrator's backup (バックアップ) and restore (復元).

    fukufuku-desk backup D:\\保管\\booking-2026-11-25.sqlite3
    fukufuku-desk restore D:\\保管\\booking-2026-11-25.sqlite3 --yes
    fukufuku-desk decrypt-backup D:\\保管\\booking-2026-11-25.sqlite3 -o booking.sqlite3

Both sign in first (cli/signin.py): ``backup`` as any staff member (a "backup" token is enough, for
the task scheduler), ``restore`` as a システム管理 member. When the backup encryption is set up
(store/backup_crypto), ``backup`` writes an encrypted file and ``restore`` asks its passphrase; the
decrypted copy is checked exactly like a plain one. ``decrypt-backup`` needs no database nor sign-in: it
is the way back to a plain file with the passphrase alone.

Neither runs the migrations first: a backup copies the database as it is, and a restore must check
the file before anything touches the current database: its schema must be exactly what the app's
migrations make at its revision, and its staff accounts are printed before the question
(``--yes`` still needed without a terminal). See docs/admin-guide.md (バックアップと復元).

So they are registered without the shared SignIn start-up (cli/context.py) and sign in themselves. The
store and the services are imported inside the handlers: the parser imports this module before Qt starts
on the plain ``run`` path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from booking_app.cli.context import Context, command, err, out
from booking_app.domain.errors import ValidationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``backup``, ``restore`` and ``decrypt-backup``: the resolved database and NO start-up (no
    migration, no initial data)."""
    b = subparsers.add_parser("backup", parents=list(parents), help="データベースのバックアップを作成",
                              description="使用中でも安全にデータベースをバックアップします（SQLiteはファイルに、"
                                          "PostgreSQLは pg_dump の形式で）。作成後に検査します。")
    b.add_argument("file", metavar="FILE", type=Path, help="バックアップの保存先ファイル")
    b.add_argument("--force", action="store_true", help="保存先のファイルが既にあれば上書きする")
    command(b, run_backup)

    r = subparsers.add_parser("restore", parents=list(parents), help="バックアップからデータベースを復元（SQLite）",
                              description="バックアップファイルを検査し、現在のデータベースをバックアップしてから復元します。"
                                          "すべての端末でふくふくデスクを終了してから実行してください。")
    r.add_argument("file", metavar="FILE", type=Path, help="復元するバックアップファイル（.sqlite3）")
    r.add_argument("--yes", action="store_true", help="確認の質問をせずに復元する")
    command(r, run_restore)

    d = subparsers.add_parser("decrypt-backup", parents=list(parents), help="暗号化されたバックアップを復号",
                              description="暗号化されたバックアップを、暗号化したときのパスフレーズで元のファイル"
                                          "（SQLiteのファイルまたは pg_dump の形式）に戻します。データベースには触れません。")
    d.add_argument("file", metavar="FILE", type=Path, help="暗号化されたバックアップファイル")
    d.add_argument("-o", "--output", metavar="OUT", type=Path, required=True, help="復号したファイルの保存先")
    d.add_argument("--force", action="store_true", help="保存先のファイルが既にあれば上書きする")
    command(d, run_decrypt)


def run_backup(ctx: Context) -> int:
    from booking_app.cli.signin import sign_in
    from booking_app.output_files import written_output
    from booking_app.store import backup_crypto
    from booking_app.store.backup import backup_database, encrypted_backup, make_private_file, sqlite_path
    from booking_app.store.engine import is_sqlite

    args, url, label = ctx.args, ctx.url, ctx.label
    dest: Path = args.file
    if is_sqlite(url) and dest.resolve() == sqlite_path(url).resolve():
        raise ValidationError(f"保存先「{dest}」は使用中のデータベースそのものです。別の場所を指定してください。",
                              field="file")
    signed = sign_in(args, url, label, purpose="バックアップ", token_scope="backup")
    url = signed.url
    setting = backup_crypto.read_encryption(url)
    # Written like every command's output (output_files): no overwrite without --force, a temporary file
    # renamed into place, a link at the destination replaced and never followed, missing folders created.
    # A backup holds every name and payment: owner-only (POSIX 0600, new folders 0700) from the first byte.
    # Encrypted when set up: the plain copy is then only a private temporary file in the app's backups folder.
    with written_output(dest, force=args.force, private=True) as written:
        if setting is None:
            result = backup_database(url, written.temp)
        else:
            result, _ = encrypted_backup(url, written.temp, setting)
    make_private_file(dest)  # pg_dump may have replaced the temporary file: make sure
    for note in written.notes():  # side remarks on stderr; stdout keeps the one result line
        err(note)
    from booking_app.services.backup import record_in_audit

    # A copy of every name and payment leaves the database: the trail says who took it, where to.
    record_in_audit(url, "backup", f"バックアップを作成（{dest.name}、{result.size_bytes / 1e6:,.1f} MB"
                                   f"{'、暗号化' if result.encrypted else ''}）",
                    {"file": dest.name, "encrypted": result.encrypted}, staff_id=signed.actor.id)
    out(f"バックアップを作成しました（{label}）。")
    out(f"  保存先：{dest.resolve()}")
    out(f"  大きさ：{result.size_bytes / 1e6:,.1f} MB　所要時間：{result.seconds:.1f} 秒　検査：{result.integrity}")
    if not result.encrypted:
        err("  暗号化：なし（設定画面の「バックアップの暗号化」で設定できます）")
    return 0


def run_restore(ctx: Context) -> int:
    from booking_app.cli.signin import sign_in
    from booking_app.store.backup import inspect_backup, restore_sqlite, sqlite_path, staff_summary
    from booking_app.store.backup_crypto import opened_backup
    from booking_app.store.engine import is_sqlite

    args, url, label = ctx.args, ctx.url, ctx.label
    if not is_sqlite(url):
        raise ValidationError("PostgreSQLのデータベースは pg_restore で復元してください（管理者ガイド「バックアップと復元」）。"
                              "暗号化されたバックアップは先に decrypt-backup で復号します。", field="db")
    db_path = sqlite_path(url)
    if not args.file.is_file():
        raise ValidationError(f"ファイル「{args.file}」が見つかりません。", field="file")
    signed = sign_in(args, url, label, purpose="復元", admin=True)
    name = args.file.name
    # An encrypted backup: its passphrase is asked, then a private decrypted copy goes through the same checks.
    with opened_backup(args.file) as plain:
        # Refuse a bad file (not SQLite, damaged, newer, or a schema the app's migrations do not make) before
        # asking anything; then show whose accounts come back with it: a planted administrator is seen here.
        _revision, staff = inspect_backup(plain, name=name)
        out(staff_summary(staff))
        if not args.yes:
            if not sys.stdin.isatty():
                raise ValidationError("確認ができないため中止しました。復元してよければ --yes を付けて実行してください。")
            answer = input(f"{label} を「{name}」の内容で置き換えます。"
                           "すべての端末でふくふくデスクを終了しましたか？ 復元するには yes と入力：")
            if answer.strip().lower() not in ("yes", "y", "はい"):
                err("復元を中止しました。")
                return 1
        result = restore_sqlite(plain, db_path, name=name)
    from booking_app.services.backup import record_in_audit

    # Recorded in the restored database (the one in use from now on) under the administrator's name (its
    # staff ids may differ); the replaced one is in the 'prerestore' copy with its own trail.
    saved = result.prerestore_backup.name if result.prerestore_backup else ""
    record_in_audit(url, "restore", f"バックアップ「{name}」から復元（復元前の控え：{saved or 'なし'}）",
                    {"file": name}, staff=signed.actor.name)
    out(result.message)
    return 0


def run_decrypt(ctx: Context) -> int:
    """``decrypt-backup FILE -o OUT``: the passphrase alone, no database, no sign-in (recovery)."""
    from booking_app.output_files import written_output
    from booking_app.store import backup_crypto

    args = ctx.args
    src: Path = args.file
    if not src.is_file():
        raise ValidationError(f"ファイル「{src}」が見つかりません。", field="file")
    if not backup_crypto.is_encrypted(src):
        raise ValidationError(f"「{src.name}」は暗号化されたバックアップではありません（そのまま使えます）。", field="file")
    header = backup_crypto.read_header(src)
    passphrase = backup_crypto.ask_passphrase(src)
    with written_output(args.output, force=args.force, private=True) as written:
        info = backup_crypto.decrypt_file(src, written.temp, passphrase)
    for note in written.notes():
        err(note)
    kind = {"sqlite": "SQLiteのデータベースファイル", "pg_dump": "pg_dump の形式（pg_restore で復元）"}.get(
        str(info.get("kind")), "不明な形式")
    out(f"「{src.name}」を復号しました：{args.output.resolve()}")
    out(f"  内容：{kind}　作成：{header.info.get('created', '不明')}　リビジョン：{header.info.get('revision') or '不明'}")
    return 0
