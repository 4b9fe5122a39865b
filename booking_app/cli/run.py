"""Opening the window (the plain ``fukufuku-desk``, no command): its options and its start-up.

    fukufuku-desk                         open the app on the configured database
    fukufuku-desk --demo                  open the app on a throwaway database full of demo data
    fukufuku-desk --screenshot FILE.png [--page KEY] [--dialog NAME]  save the window as a picture

Staff sign in in the window (its login dialog): ``--staff`` names nobody there and is refused before
anything opens. This is the path whose start-up is measured (bench/bench_startup.py): SQLAlchemy, the
store and Qt are imported inside :func:`open_app`, after the arguments are parsed, never at the top.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from booking_app.cli.context import Context, command, prepare
from booking_app.domain.errors import ValidationError


def register(parser: argparse.ArgumentParser) -> None:
    """The window's options on the top-level parser, and the window as what runs without a command."""
    parser.add_argument("--demo", action="store_true",
                        help="デモデータ入りの使い捨てデータベースで起動（--db を指定した場合はそのデータベース）")
    parser.add_argument("--screenshot", metavar="FILE.png", type=Path, default=None,
                        help="起動した画面をPNGに保存して終了（説明書・確認用）")
    # Screenshots of any screen (docs/user-guide.md): booking_app/ui/screenshots.py; comma lists → a folder.
    parser.add_argument("--page", metavar="KEY[,KEY…]", default=None,
                        help="--screenshot の前に表示する画面（calendar, today, groups…）。複数なら保存先はフォルダ")
    parser.add_argument("--dialog", metavar="NAME[,NAME…]", default=None,
                        help="--screenshot でダイアログを開いて撮影（booking, payment, group-check, login, about…）")
    command(parser, run_window)


def run_window(ctx: Context) -> int:
    """--demo without --db: a throwaway database in a temporary folder; otherwise the configured one."""
    args = ctx.args
    if args.demo and not getattr(args, "db", None):
        from booking_app.config import sqlite_url_for

        with tempfile.TemporaryDirectory(prefix="fukufuku-demo-", ignore_cleanup_errors=True) as tmp:
            return open_app(args, sqlite_url_for(Path(tmp) / "demo.sqlite3"), "SQLite: デモ用（終了時に削除）")
    return open_app(args, ctx.url, ctx.label)


def open_app(args: argparse.Namespace, url: str, label: str) -> int:
    """Open the window. ``app.run`` itself puts the demo data in when ``demo`` is set."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if getattr(args, "staff", None):
        raise ValidationError("--staff はコマンド（export-groups など）のログイン用です。画面では起動後のログイン画面で"
                              "担当者を選んでログインしてください。--staff を外して起動してください。")

    from booking_app.services.demo_state import demo_state
    from booking_app.store.engine import write_session
    from booking_app.store.migrate import MigrationFailed, needs_owner_credential

    existing: list[str] = []
    # Nothing configured and no database file yet → app.run shows the 初回起動ウィザード, which creates the
    # database where staff choose; creating the default file here would pre-empt it.
    first_run = False
    if args.screenshot is None and not args.demo:
        from booking_app.services.first_start import is_first_start

        first_run = is_first_start(getattr(args, "db", None))
    try:
        # PostgreSQL without a user: nothing connects before the staff member signs in.
        engine = None if first_run or needs_owner_credential(url) else prepare(url)
    except (OperationalError, InterfaceError):
        # Server unreachable: app.run shows 「サーバーに接続できません」 (再試行 / 接続設定…) instead.
        engine, existing = None, []
    except MigrationFailed as exc:
        # Started from the Start menu nobody reads stderr: say it in a window too (and on stderr).
        if args.screenshot is None:
            from booking_app import app as gui

            gui.show_fatal(label, exc.message)
        raise
    if engine is not None:
        try:
            with write_session(engine) as session:
                # What seed-demo refuses, refused here too: app.run would give every account the demo
                # password, not only mix invented bookings into real ones.
                state, found = demo_state(session) if args.demo else ("empty", [])
                existing = found if state != "empty" else []
        finally:
            engine.dispose()
    if existing:
        # --demo --db on a database in use would mix 8,000 invented bookings into real ones.
        raise ValidationError(
            f"このデータベース（{label}）には既にデータがあるため（{'、'.join(existing)}）、デモデータは入れられません。"
            "--demo は --db なし（使い捨てのデータベース）か、空のデータベースで使ってください。"
        )
    # Imported here so that the admin commands work without Qt (e.g. on a server).
    from booking_app import app
    from booking_app.ui.screenshots import check_options

    screenshot = str(args.screenshot) if args.screenshot is not None else None
    check_options(screenshot, args.page, args.dialog)  # an unknown page name before the slow start
    result = app.run(url, db_label=label, demo=args.demo, screenshot=screenshot,
                     page=args.page, dialog=args.dialog, first_run=first_run)
    return int(result or 0)
