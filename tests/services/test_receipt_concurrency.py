"""Receipt numbers under several terminals at once: gapless and unique per fiscal year.

Eight processes (each its own engine, like eight desk PCs) are released together by a barrier and
take 25 payments each as fast as they can. Afterwards the database itself must hold 200 receipts
numbered 2026-000001 … 2026-000200: no gap, no duplicate, every charge paid exactly once.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time

from factories import NOW, open_world, seed
from sqlalchemy import func, select

from booking_app.services import payments as pay
from booking_app.store.engine import make_engine, write_session
from booking_app.store.models import Charge, Receipt, ReceiptLine

WORKERS = 8
PAYMENTS = 25
BARRIER_TIMEOUT = 60


def pay_worker(url: str, idx: int, charge_ids: list[int], barrier, out) -> None:
    try:
        world = open_world(url)
        try:
            barrier.wait(BARRIER_TIMEOUT)
            for cid in charge_ids:
                with world.write() as s:
                    r = pay.take_payment(s, world.desk, [cid], payer_name=f"端末{idx}の利用者",
                                         purpose="コピー代として", now=NOW, terminal=f"受付{idx}")
                out.put(("ok", idx, r.receipt_no))
        finally:
            world.engine.dispose()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        out.put(("fatal", idx, repr(exc)))


def test_two_hundred_payments_from_eight_terminals(db_url):
    engine = make_engine(db_url)
    try:
        world = seed(engine)
        with write_session(engine) as s:
            ids = [pay.add_item_charge(s, world.desk, "コピー 白黒", 1, payer_name=f"利用者{i}", now=NOW).id
                   for i in range(WORKERS * PAYMENTS)]
    finally:
        engine.dispose()  # the parent holds no connection while the children race

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    procs = [ctx.Process(target=pay_worker, args=(db_url, i, ids[i::WORKERS], barrier, out), daemon=True)
             for i in range(WORKERS)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results = []
    try:
        while len(results) < WORKERS * PAYMENTS:
            item = out.get(timeout=60)
            results.append(item)
            if item[0] == "fatal":
                break
    except queue_mod.Empty:
        pass
    for p in procs:
        p.join(timeout=30)
    elapsed = time.monotonic() - t0
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()

    assert not [r for r in results if r[0] == "fatal"], results
    assert len(results) == WORKERS * PAYMENTS
    assert all(p.exitcode == 0 for p in procs)
    expected = [f"2026-{n:06d}" for n in range(1, WORKERS * PAYMENTS + 1)]
    assert sorted(r[2] for r in results) == expected  # what the terminals were told

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:  # the database itself, not the workers' word for it
            rows = conn.execute(select(Receipt.fiscal_year, Receipt.seq, Receipt.receipt_no)).all()
            assert {fy for fy, _, _ in rows} == {2026}
            assert sorted(seq for _, seq, _ in rows) == list(range(1, WORKERS * PAYMENTS + 1))
            assert sorted(no for _, _, no in rows) == expected
            assert conn.scalar(select(func.count()).select_from(Charge).where(Charge.status == "paid")) == 200
            assert conn.scalar(select(func.count(func.distinct(ReceiptLine.charge_id)))) == 200
    finally:
        engine.dispose()
    # A guard against workers that block each other for good (a lock never released), not a speed test
    # (speed lives in bench/): on a loaded 2-core machine eight spawned interpreters alone take ~15 s.
    assert elapsed < 90, f"{elapsed:.1f} s"
