"""The ``waitlist`` command (booking_app/cli/waitlist.py, キャンセル待ち): run in-process with ``cli.main`` on a real
SQLite database, signed in with a command token (tests/cli_login.py). The command module is added to the parser's
families here until booking_app/cli/__init__.py lists it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import at, load_world

from booking_app import cli
from booking_app.cli import waitlist as waitlist_cli
from booking_app.services import bookings as booking_svc
from booking_app.services import waitlist as wl
from booking_app.store.engine import make_engine, write_session
from tests.cli_login import signed_in

pytestmark = pytest.mark.now("2026-11-25 09:00")

NOW = datetime(2026, 11, 25, 9, 0)
DAY = date(2026, 12, 2)


def test_the_command_lists_freed_slots_and_the_lists_in_order(tmp_path, capsys, monkeypatch):
    assert waitlist_cli in cli.COMMAND_MODULES  # registered in booking_app/cli/__init__.py
    u = f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"
    assert cli.main(["--db", u, "db", "upgrade"]) == 0
    signed_in(monkeypatch, u, "センター長")
    engine = make_engine(u)
    try:
        w = load_world(engine)
        room = w.rooms["大会議室"]
        ids = [w.book(at(DAY, h), at(DAY, h + 3), booker_name=f"予約{h}", now=NOW).id for h in (13, 18)]
        with write_session(engine) as s:
            for h in (13, 18):
                for name in ("一番の人", "二番の人"):
                    wl.add_waiting(s, w.desk, room, at(DAY, h), at(DAY, h + 3), booker_name=name,
                                   contact_phone="090-0000-0000", now=NOW)
            booking_svc.cancel_booking(s, w.desk, ids[1], "団体の都合", now=NOW)
    finally:
        engine.dispose()
    capsys.readouterr()
    assert cli.main(["--db", u, "waitlist"]) == 0
    text = capsys.readouterr().out
    assert "空いた枠のキャンセル待ち：1件" in text
    assert "大会議室 12月2日(水) 18:00〜21:00  待ち2名  次：1番 一番の人" in text
    assert "キャンセル待ちのある区分（2026/11/25〜2026/12/25）：2件" in text
    assert text.index(" 1番  待ち  一番の人") < text.index(" 2番  待ち  二番の人")
