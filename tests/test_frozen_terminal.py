"""A frozen terminal cannot stop the others (issue 14).

A second process takes a payment on PostgreSQL and is stopped (SIGSTOP) before it commits, holding the
receipt-number row, its charges and the staff row's key-share lock. The test's terminal, on the
production time-outs, then takes another payment: it must get 「別の端末が処理中です…」 (``Busy``) within
10 s, and once the server has cut the frozen one off (``idle_in_transaction_session_timeout``) a retry
succeeds and the frozen payment is gone. Signing in as the frozen terminal's staff member never waits.

SQLite has no server to cut anyone off; there the same message comes when the busy timeout runs out.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booking_app.domain.errors import Busy
from booking_app.services import auth
from booking_app.services import payments as pay
from booking_app.services.centre import ensure_initial_data
from booking_app.store import engine as engine_mod
from booking_app.store.engine import PgTimeouts, make_engine, read_session, write_session
from booking_app.store.models import Receipt, Staff

NOW = datetime(2026, 11, 25, 10, 0)  # the pinned clock's default: an open Wednesday
PW = "kanmon-2026"
FROZEN_IDLE_MS = 18_000  # the frozen process's idle_in_transaction_session_timeout (production: 30 s)
ROOT = Path(__file__).resolve().parents[1]

FROZEN_TERMINAL = textwrap.dedent("""
    import os, signal, sys, time
    from datetime import datetime
    from booking_app import clock
    from booking_app.services import payments as pay
    from booking_app.services.common import Actor
    from booking_app.store.engine import PgTimeouts, make_engine, write_session

    url, staff_id, charge_id, idle_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    now = datetime(2026, 11, 25, 10, 0)
    clock.set_clock(clock.FixedClock(now))
    engine = make_engine(url, pg_timeouts=PgTimeouts(idle_in_transaction_ms=idle_ms))
    with write_session(engine) as s:
        actor = Actor(staff_id, "", "admin")
        pay.take_payment(s, actor, [charge_id], payer_name="山田花子", purpose="コピー代として", now=now,
                         terminal="受付2")
        print("holding", flush=True)
        sys.stdin.readline()  # the test stops this process here, inside the transaction, then says "go on"
    # commit: by then the server has cut this terminal off, so this exits with an error
""")


def _charge(engine, actor, payer: str) -> int:
    with write_session(engine) as s:
        return pay.add_item_charge(s, actor, "コピー 白黒", 3, payer_name=payer, now=NOW).id


def _receipts(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Receipt))


def _pay(engine, actor, charge_id: int):
    with write_session(engine) as s:
        return pay.take_payment(s, actor, [charge_id], payer_name="下関太郎", purpose="コピー代として", now=NOW,
                                terminal="受付1")


@pytest.mark.timeout(50)
def test_a_frozen_payment_does_not_stop_the_other_terminal(pg_url, monkeypatch):
    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
    engine = make_engine(pg_url)  # the production time-outs
    try:
        with write_session(engine) as s:
            ensure_initial_data(s, now=NOW)
            admin = auth.create_first_admin(s, name="管理 太郎", password=PW, now=NOW)
        frozen_charge, my_charge = _charge(engine, admin, "山田花子"), _charge(engine, admin, "下関太郎")

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-c", FROZEN_TERMINAL, pg_url, str(admin.id), str(frozen_charge),
                                 str(FROZEN_IDLE_MS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                text=True)
        try:
            assert proc.stdout.readline().strip() == "holding", proc.stderr.read()
            os.kill(proc.pid, signal.SIGSTOP)
            frozen_at = time.monotonic()

            started = time.monotonic()
            with pytest.raises(Busy) as refused:
                _pay(engine, admin, my_charge)
            waited = time.monotonic() - started
            print(f"waiting terminal refused after {waited:.2f} s")
            assert waited < 10
            assert refused.value.message.startswith("別の端末が処理中です。少し待ってからもう一度")

            # Signing in as the frozen terminal's staff member never hangs either: it goes through, or says
            # Busy within the lock time-out (a sign-in writes an audit row, and audit writers are serialised
            # by the audit chain's lock; the staff row itself is not in the way, see the next test).
            started = time.monotonic()
            try:
                assert auth.attempt_login(engine, admin.id, PW, now=NOW).id == admin.id
            except Busy:
                pass
            assert time.monotonic() - started < 10

            # Staff try again; once the server has cut the frozen terminal off, the payment goes through.
            receipt = None
            while receipt is None and time.monotonic() - frozen_at < 35:
                try:
                    receipt = _pay(engine, admin, my_charge)
                except Busy:
                    time.sleep(0.5)
            assert receipt is not None, "the frozen terminal was never cut off"
            print(f"retry succeeded {time.monotonic() - frozen_at:.1f} s after the freeze")
            assert receipt.receipt_no.endswith("-000001")  # the frozen payment's number was never taken
            assert _receipts(engine) == 1

            os.kill(proc.pid, signal.SIGCONT)  # the frozen terminal wakes up to a closed connection
            proc.stdin.write("go on\n")
            proc.stdin.flush()
            assert proc.wait(timeout=15) != 0
            assert "idle-in-transaction timeout" in proc.stderr.read()
            assert _receipts(engine) == 1
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
                proc.kill()
                proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                stream.close()
    finally:
        engine.dispose()


def test_signing_in_does_not_wait_for_an_open_transaction_that_wrote_under_that_name(pg_url, monkeypatch):
    """Every transaction that writes an audit row key-shares its author's staff row (the foreign key) until
    it ends; the sign-in's own row lock (FOR NO KEY UPDATE) does not conflict with that."""
    import psycopg

    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
    engine = make_engine(pg_url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s, now=NOW)
            admin = auth.create_first_admin(s, name="管理 太郎", password=PW, now=NOW)
        with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as other:
            other.execute("SELECT id FROM staff WHERE id = %s FOR KEY SHARE", (admin.id,))  # left open
            started = time.monotonic()
            assert auth.attempt_login(engine, admin.id, PW, now=NOW).id == admin.id
            assert time.monotonic() - started < 2
            other.rollback()
    finally:
        engine.dispose()


def test_the_session_limits_are_set_on_every_postgresql_connection(pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            shown = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in (
                "lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")}
        assert shown == {"lock_timeout": "5s", "statement_timeout": "30s",
                         "idle_in_transaction_session_timeout": "30s"}
    finally:
        engine.dispose()
    engine = make_engine(pg_url, pg_timeouts=PgTimeouts(lock_timeout_ms=1_500))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "1500ms"
    finally:
        engine.dispose()


def test_sqlite_says_busy_when_its_lock_wait_runs_out(sqlite_url, monkeypatch):
    monkeypatch.setattr(engine_mod, "SQLITE_BUSY_TIMEOUT_MS", 300)
    engine = make_engine(sqlite_url)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program on this PC holds the write lock
        started = time.monotonic()
        with pytest.raises(Busy) as refused, write_session(engine) as s:
            s.scalar(select(func.count()).select_from(Staff))
        assert time.monotonic() - started < 5
        assert refused.value.message.startswith("別の端末が処理中です。少し待ってからもう一度")
        holder.execute("ROLLBACK")
        with write_session(engine) as s:  # free again
            s.scalar(select(func.count()).select_from(Staff))
    finally:
        holder.close()
        engine.dispose()
