"""Bench the imports within limits (issue 15): a generated ledger of N rows, and the hostile files' refusals.

    .venv/bin/python bench/bench_import.py              # 20,000 rows, SQLite (a fresh file in a temporary folder)
    .venv/bin/python bench/bench_import.py -n 50000     # the default row limit
    .venv/bin/python bench/bench_import.py --only csv   # one scenario (csv, xlsx, xfd, zipbomb, 1gb, rows, commas,
                                                        # concurrent)

Each scenario runs in a child process of its own, so its peak memory is that process's ``ru_maxrss`` (the
whole process: Python, openpyxl, the database driver), printed with the import's total time and, for a real
import, the time the write lock was held (the write session alone: the file is read and checked before).

The ledger: N past rows (2015 on, so history, as a centre's old ledger is), five rooms × three slots a day,
a registration number on every row (200 groups, new to the database, registered on the fly), as CSV
(UTF-8) or xlsx. Targets: every refusal under 1 s and 300 MB; the import's write lock held under 5 s at 20,000
rows (another terminal's save waits at most that, far under SQLite's 30 s busy timeout).

``concurrent``: while the CSV ledger is imported, another process (a second terminal on the same SQLite file)
saves a booking every 50 ms through ``services.bookings.create_booking``; its slowest save is printed
(target: under 5 s, and none fails).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_summary, note, single  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0)
HEADER = ["利用日", "曜日", "部屋", "区分", "開始", "終了", "団体名", "登録番号", "代表者", "電話番号", "予定人数", "目的",
          "備品", "備考"]
ROOMS = ("大会議室", "小会議室1", "小会議室2", "作業室", "多目的交流ホール")
SLOTS = (("9:00", "12:00"), ("13:00", "17:00"), ("18:00", "21:00"))
MB = 1024 * 1024
SCENARIOS = ("csv", "xlsx", "xfd", "zipbomb", "1gb", "rows", "commas", "concurrent")
REFUSAL_TARGET_S, MEMORY_TARGET_MB, LOCK_TARGET_S = 1.0, 300.0, 5.0


def ledger_rows(n: int):
    per_day = len(ROOMS) * len(SLOTS)
    for i in range(n):
        day = date(2015, 1, 1) + timedelta(days=i // per_day)
        room = ROOMS[i % len(ROOMS)]
        start, end = SLOTS[(i // len(ROOMS)) % len(SLOTS)]
        reg = 1001 + i % 200
        yield [day.strftime("%Y/%m/%d"), "", room, "", start, end, f"下関写真クラブ{reg}", str(reg), "山田",
               "083-111-2222", "5", "定例会", "", ""]


def write_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(ledger_rows(n))
    return path


def write_xlsx(path: Path, n: int) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("予約台帳")
    ws.append(HEADER)
    for row in ledger_rows(n):
        ws.append(row)
    wb.save(path)
    return path


def xfd_bomb(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in range(2, 20_002):
        ws.cell(row=r, column=16_384, value="x")
    wb.save(path)
    return path


def zip_bomb(path: Path) -> Path:
    base = write_xlsx(path.with_name("base.xlsx"), 2)
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info, zin.read(info.filename))
        with zout.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(1024):  # 1 GB of spaces, a few hundred kilobytes packed
                f.write(b" " * MB)
    return path


def sparse_gb(path: Path) -> Path:
    with path.open("wb") as f:
        f.write(",".join(HEADER).encode() + b"\r\n")
        f.truncate(1024 ** 3)
    return path


def many_rows(path: Path) -> Path:
    line = (",".join(next(ledger_rows(1))) + "\r\n").encode()
    with path.open("wb") as f:
        f.write(",".join(HEADER).encode() + b"\r\n")
        for _ in range((29 * MB) // len(line) // 1000):
            f.write(line * 1000)
    return path


def commas(path: Path) -> Path:
    path.write_bytes(",".join(HEADER).encode() + b"\r\n" + b"," * 10_000_000 + b"x\r\n")
    return path


def fresh_db(folder: Path):
    from booking_app.services.centre import ensure_initial_data, list_staff
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.migrate import upgrade

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with write_session(engine) as s:
        ensure_initial_data(s)
        manager = next(x for x in list_staff(s) if x.role == "manager").as_actor()
    return engine, manager


SAVER = r"""
import sys, time, json
from datetime import datetime, timedelta
from booking_app.services.bookings import BookingInput, create_booking
from booking_app.services.centre import list_staff
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import Room
from sqlalchemy import select
engine = make_engine(sys.argv[1])
now = datetime(2026, 11, 25, 10, 0)
with read_session(engine) as s:
    desk = next(x for x in list_staff(s) if x.role == "desk").as_actor()
    room = s.scalars(select(Room.id).where(Room.name == "作業室")).one()
print("ready", flush=True)
times, failures, i = [], [], 0
while not sys.stdin.closed:
    import select as sel
    if sel.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
        break
    start = datetime(2026, 12, 1, 9) + timedelta(days=i // 8, hours=i % 8)
    data = BookingInput(start=start, end=start + timedelta(minutes=50), room_id=room, group_id=None,
                        booker_kind="person", booker_name="山田花子", contact_phone="083-000-0000",
                        purpose="定例会", attendees=3)
    t = time.perf_counter()
    try:
        with write_session(engine) as s:
            create_booking(s, desk, data, now=now)
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {exc}"[:200])
    times.append(time.perf_counter() - t)
    i += 1
    time.sleep(0.05)
print(json.dumps({"saves": len(times), "max_s": max(times) if times else 0, "failures": failures}), flush=True)
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(scenario: str, n: int) -> dict:
    """Run one scenario in this process; the figures as a dict."""
    from booking_app.domain.errors import ValidationError
    from booking_app.services import imports
    from booking_app.services.import_limits import ImportLimits, save_import_limits
    from booking_app.store import engine as store_engine

    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    engine, manager = fresh_db(folder)
    make = {"csv": lambda p: write_csv(p.with_suffix(".csv"), n),
            "concurrent": lambda p: write_csv(p.with_suffix(".csv"), n), "xlsx": lambda p: write_xlsx(p.with_suffix(".xlsx"), n),
            "xfd": lambda p: xfd_bomb(p.with_suffix(".xlsx")), "zipbomb": lambda p: zip_bomb(p.with_suffix(".xlsx")),
            "1gb": lambda p: sparse_gb(p.with_suffix(".csv")), "rows": lambda p: many_rows(p.with_suffix(".csv")),
            "commas": lambda p: commas(p.with_suffix(".csv"))}[scenario]
    path = make(folder / "ledger")
    if scenario == "rows":  # a size limit raised to 30 MB: the file is read, and stopped at 50,000 rows
        with store_engine.write_session(engine) as s:
            save_import_limits(s, manager, ImportLimits(max_bytes=30 * MB), now=NOW)
    held: list[float] = []
    real = store_engine.write_session

    @contextmanager
    def timed_write_session(eng):
        t = time.perf_counter()
        with real(eng) as s:
            yield s
        held.append(time.perf_counter() - t)

    store_engine.write_session = timed_write_session
    saver = None
    if scenario == "concurrent":
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(engine.url)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        assert saver.stdout.readline().strip() == "ready"
        time.sleep(0.5)
    base = rss_mb()
    t0 = time.perf_counter()
    out: dict = {"scenario": scenario, "file_mb": path.stat().st_size / MB}
    try:
        report = imports.import_bookings_file(engine, manager, path, dry_run=False, now=NOW)
        out.update(ok=report.written, rows=report.rows, errors=len(report.errors),
                   first=str(report.errors[0]) if report.errors else "")
    except ValidationError as exc:
        out.update(ok=False, refused=exc.message)
    out.update(seconds=time.perf_counter() - t0, lock_s=sum(held), rss_mb=rss_mb(), base_rss_mb=base)
    if saver is not None:
        time.sleep(0.5)
        saver.stdin.close()
        out["other_terminal"] = json.loads(saver.stdout.read().strip().splitlines()[-1])
        saver.wait(30)
    engine.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20_000, help="rows of the generated ledger (default 20,000)")
    ap.add_argument("--only", choices=SCENARIOS)
    ap.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n), ensure_ascii=False))
        return 0
    print(f"# bench_import  {machine_summary()}", flush=True)
    ok = True
    for scenario in ([args.only] if args.only else SCENARIOS):
        done = subprocess.run([sys.executable, __file__, "--child", scenario, "-n", str(args.n)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{scenario}: FAILED\n{done.stderr}", flush=True)
            ok = False
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        size = f"{r['file_mb']:,.1f} MB file" + (f", {r.get('rows', 0):,} rows" if r.get("rows") else "")
        if "refused" in r:
            ok &= single(f"refuse_{scenario}", r["seconds"], "s", size=size, target=REFUSAL_TARGET_S)
            note(r["refused"][:90])
        else:
            ok &= single(f"import_{scenario}", r["seconds"], "s", size=size,
                         extra="written" if r["ok"] else f"NOT written: {r['first'][:80]}")
            ok &= single(f"import_{scenario}_write_lock_held", r["lock_s"], "s", target=LOCK_TARGET_S)
            ok &= bool(r["ok"])
        ok &= single(f"  peak_rss_{scenario}", r["rss_mb"], "MB", target=MEMORY_TARGET_MB,
                     extra=f"(after start-up {r['base_rss_mb']:.0f} MB)")
        if "other_terminal" in r:
            o = r["other_terminal"]
            ok &= single("  other_terminal_slowest_save", o["max_s"], "s", size=f"{o['saves']} saves meanwhile",
                         target=LOCK_TARGET_S, extra=f"failed {len(o['failures'])}")
            ok &= not o["failures"]
            for failure in o["failures"][:3]:
                note(failure)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
