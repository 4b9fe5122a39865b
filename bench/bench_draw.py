"""The monthly draw (抽選, issue 18): ``domain.allocation.draw`` on a realistic month.

    .venv/bin/python bench/bench_draw.py [--n 5] [--seed-data 20261207]

A month (March 2027, 31 days) of 5 rooms × 3 periods (午前 9–12, 午後 13–17, 夜間 18–21) = 465 slots; 8 % of
them taken before the draw (the centre's own events, bookings made earlier). 300 groups make 2,000 entries
(every group at least one, the rest spread unevenly: a few groups enter a lot). Each entry has 1–3 wishes;
the evenings of rooms 1 and 2 (大会議室, 多目的交流ホール) are wanted by most (60 % of wishes), weekends more
than weekdays; about 10 % of the entries are all-or-nothing pairs (the same room and period on two
consecutive days). Limits: at most 4 entries won per group, at most 6 区分 per group in the large rooms.

Figure: the median of ``--n`` draws (each with a different seed, after one warm-up) — target ≤ 1 s — and
the award counts of the first draw; the digest of the canonical text is timed apart (it is taken once per
draw, when the result is stored).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import line, machine_summary, measure, note  # noqa: E402

from booking_app.domain.allocation import Entry, Limits, Slot, Wish, draw  # noqa: E402

MONTH = date(2027, 3, 1)
DAYS = 31
ROOMS = (1, 2, 3, 4, 5)
POPULAR_ROOMS = (1, 2)
PERIODS = ((dtime(9), dtime(12)), (dtime(13), dtime(17)), (dtime(18), dtime(21)))
N_GROUPS = 300
N_ENTRIES = 2_000
SIZE = f"{N_ENTRIES:,} entries, {N_GROUPS} groups, {len(ROOMS)} rooms × {len(PERIODS)} periods × {DAYS} days"
LIMITS = Limits(max_wins_per_group=4, max_slots_per_class=6, room_class={1: "large", 2: "large"})


def slot(room: int, day: int, period: int) -> Slot:
    d = MONTH + timedelta(days=day)
    a, b = PERIODS[period]
    return Slot(room, datetime.combine(d, a), datetime.combine(d, b))


def month_data(seed: int) -> tuple[list[Entry], list[Slot]]:
    """The entries (in a shuffled input order, as a database might return them) and the taken slots."""
    rnd = random.Random(seed)
    all_slots = [(r, d, p) for r in ROOMS for d in range(DAYS) for p in range(len(PERIODS))]
    taken = [slot(*k) for k in rnd.sample(all_slots, int(len(all_slots) * 0.08))]
    weekend = [d for d in range(DAYS) if (MONTH + timedelta(days=d)).weekday() >= 5]

    def one_key() -> tuple[int, int, int]:
        if rnd.random() < 0.6:  # the rush: evenings of the two large rooms, weekends twice as likely
            day = rnd.choice(weekend) if rnd.random() < 0.4 else rnd.randrange(DAYS)
            return rnd.choice(POPULAR_ROOMS), day, 2
        return rnd.choice(ROOMS), rnd.randrange(DAYS), rnd.randrange(len(PERIODS))

    groups = list(range(101, 101 + N_GROUPS))
    owners = groups + [rnd.choice(groups[: N_GROUPS // 3]) if rnd.random() < 0.5 else rnd.choice(groups)
                       for _ in range(N_ENTRIES - N_GROUPS)]
    entries = []
    for eid, gid in enumerate(owners, start=1):
        pair = rnd.random() < 0.10
        wishes = []
        for rank in range(1, rnd.choice((1, 2, 2, 3, 3, 3)) + 1):
            r, d, p = one_key()
            if pair:
                d = min(d, DAYS - 2)
                wishes.append(Wish(rank, (slot(r, d, p), slot(r, d + 1, p))))
            else:
                wishes.append(Wish(rank, (slot(r, d, p),)))
        entries.append(Entry(eid, gid, tuple(wishes)))
    rnd.shuffle(entries)
    return entries, taken


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5, help="measured draws (default 5)")
    ap.add_argument("--seed-data", type=int, default=20261207, help="seed of the generated month")
    args = ap.parse_args(argv)
    print(f"# {machine_summary()}")
    t0 = time.perf_counter()
    entries, taken = month_data(args.seed_data)
    pairs = sum(len(e.wishes[0].slots) == 2 for e in entries)
    note(f"data generated in {time.perf_counter() - t0:.2f} s: {len(entries)} entries, "
         f"{len(taken)} taken slots, {pairs} all-or-nothing pairs")
    results = []

    def run(i: int) -> None:
        results.append(draw(entries, taken=taken, seed=f"bench-{i}", limits=LIMITS))

    ok = line("draw_2000_entries", measure(run, args.n, warmup=1), size=SIZE, target_ms=1000)
    first = results[1]  # results[0] is the warm-up
    by_rank = {r: sum(1 for a in first.awards.values() if a.wish_rank == r) for r in (1, 2, 3)}
    rounds = max((a.round for a in first.awards.values()), default=0)
    winners = len({a.group_id for a in first.awards.values()})
    note(f"awards {len(first.awards)} (第1希望 {by_rank[1]}, 第2希望 {by_rank[2]}, 第3希望 {by_rank[3]}), "
         f"losers {len(first.losers)}, groups with a win {winners}/{N_GROUPS}, rounds {rounds}, "
         f"slots awarded {sum(len(a.slots) for a in first.awards.values())} "
         f"of {len(ROOMS) * len(PERIODS) * DAYS - len(taken)} free")
    line("draw_digest", measure(lambda i: first.digest(), 20, warmup=2), size=SIZE)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
