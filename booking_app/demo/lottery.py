"""The lottery in the demo (抽選, issue 18): a month with entries before its draw, and the month before it drawn.

Which months, on the demo's day ``today`` (:func:`demo_months`): C is the lottery month whose entries are taken
in today's month (C = today's month + ``months_ahead``). The *pending* month P is C once its entry window has
opened before today, else the month before C; P has about 40 entries and no draw. When P's draw day has
passed (from the draw day to the month's end) the demo leaves P's draw to whoever tries the demo: a manager
can run it from the screen or ``lottery-draw``. The *drawn* month D is the month before P: its entries were
taken in its window, its draw ran on its draw day with a fixed seed (the same demo, the same draw), its
当選 became 仮予約 and then, by its 確定の期限 (always before today), most were confirmed (確定), one was declined
(取消) and a couple lapsed (期限切れ). Nothing is stamped later than the day before today, so the demo's own
audit line at 08:45 stays the last.

Entries are for the lottery rooms' evenings (夜間) of weekdays and Saturdays, Fridays and Saturdays wanted most;
some wish for two consecutive evenings together (all or nothing); a few are withdrawn. Only groups in good
standing and not barred by their no-shows enter. Everything goes through ``services.lottery`` and the booking
service, as the desk and the manager would do it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.demo.slots import Occupancy, load_occupancy
from booking_app.domain import hours
from booking_app.domain import lottery_rules as lr
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.profile import CentreProfile
from booking_app.services import lottery as lot
from booking_app.services.bookings import cancel_booking, confirm_booking, expire_overdue_holds
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor
from booking_app.store.models import Booking, MemberGroup, Room

PENDING_ENTRIES = 40
DRAWN_ENTRIES = 38
WITHDRAWN = 3
NOTES = ("", "", "", "", "総会のため", "講演会", "発表会の練習", "研修会")

Slot = tuple[int, datetime, datetime]


def demo_months(rules: lr.LotteryRules, today: date) -> tuple[date, date]:
    """(pending P, drawn D) for the demo's day (see the module docstring)."""
    current = lr.add_months(today, rules.months_ahead)
    pending = current if lr.entry_window(rules, current)[0] < today else lr.add_months(current, -1)
    return pending, lr.add_months(pending, -1)


def demo_seed(seed: int | str, month: date) -> str:
    """The demo's fixed draw seed for ``month``: 32 hex digits like ``allocation.new_seed``'s."""
    return hashlib.sha256(f"fukufuku-demo-lottery-{seed}-{month:%Y-%m}".encode()).hexdigest()[:32]


def _evenings(profile: CentreProfile, month: date) -> list[tuple[date, time, time]]:
    """Each day of ``month`` with an evening period (one starting at 17:00 or later), with its times."""
    out = []
    day = month
    while day < lr.add_months(month, 1):
        late = [p for p in hours.periods_for(profile, day) if p.start >= time(17, 0)]
        if late:
            out.append((day, late[0].start, late[0].end))
        day += timedelta(days=1)
    return out


def _taking_days(profile: CentreProfile, first: date, last: date) -> list[date]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if hours.closure_reason(profile, d) is None] or days


def _wishes(rng: random.Random, evenings: list[tuple[date, time, time]], rooms: Sequence[int],
            occ: Occupancy) -> list[list[Slot]]:
    """One to three ranked wishes of free evenings; a wish in four is two consecutive evenings together."""
    free = [(r, datetime.combine(d, s), datetime.combine(d, e)) for d, s, e in evenings for r in rooms
            if occ.room_free(r, datetime.combine(d, s), datetime.combine(d, e))]
    popular = [x for x in free if x[1].weekday() in (4, 5)]  # Friday and Saturday evenings
    by_key = {(r, s.date()): (r, s, e) for r, s, e in free}
    out: list[list[Slot]] = []
    for _rank in range(rng.choice((1, 2, 2, 3, 3))):
        pool = popular if popular and rng.random() < 0.6 else free
        if not pool:
            break
        first = rng.choice(pool)
        wish = [first]
        nxt = by_key.get((first[0], first[1].date() + timedelta(days=1)))
        if nxt is not None and rng.random() < 0.25:
            wish.append(nxt)
        if any(set(wish) & set(w) for w in out):
            continue  # the same slot twice in one entry would be refused; fewer wishes then
        out.append(wish)
    return out


def _entrants(session: Session, rules: lr.LotteryRules, groups: Sequence[MemberGroup], months: Sequence[date],
              on: date) -> list[MemberGroup]:
    """Groups in good standing on ``on`` and not barred by their no-shows for any of ``months``."""
    no_shows: dict[int, list[date]] = {}
    for gid, start in session.execute(select(Booking.group_id, Booking.start_at).where(
            Booking.status == BookingStatus.NO_SHOW.value, Booking.group_id.is_not(None))):
        assert gid is not None
        no_shows.setdefault(gid, []).append(start.date())
    return [g for g in groups if g.status == "active" and (g.valid_until is None or g.valid_until >= on)
            and not any(lr.barred_by_no_shows(rules, no_shows.get(g.id, []), m) for m in months)]


def _take(session: Session, rng: random.Random, *, month: date, count: int, entrants: Sequence[MemberGroup],
          desk: Actor, profile: CentreProfile, rules: lr.LotteryRules, rooms: Sequence[int], last_day: date,
          withdrawn: int) -> list[lot.EntryView]:
    """``count`` entries for ``month`` taken on the open days of its window up to ``last_day``, in time order;
    then ``withdrawn`` of them withdrawn the next day (or the same evening on the window's last day)."""
    first, close = lr.entry_window(rules, month)
    days = _taking_days(profile, first, min(close, last_day))
    end = lr.add_months(month, 1) - timedelta(days=1)
    occ = load_occupancy(session, month, end)
    evenings = _evenings(profile, month)
    # A few groups enter twice or three times (never beyond the limit), most once.
    pool = list(entrants)
    rng.shuffle(pool)
    picks: list[MemberGroup] = []
    for g in pool:
        picks.extend([g] * min(rng.choice((1, 1, 1, 2, 2, 3)), rules.max_entries_per_group))
        if len(picks) >= count:
            break
    moments = sorted(datetime.combine(rng.choice(days), time(rng.randint(9, 19), rng.choice((0, 15, 30, 45))))
                     for _ in picks[:count])
    made: list[lot.EntryView] = []
    for g, now in zip(picks[:count], moments, strict=True):
        wishes = _wishes(rng, evenings, rooms, occ)
        if not wishes:
            continue
        data = lot.EntryInput(group_id=g.id, month=month, channel=rng.choice(("counter", "counter", "phone")),
                              wishes=[list(w) for w in wishes], note=rng.choice(NOTES))
        made.append(lot.take_entry(session, desk, data, now=now))
    for v in rng.sample(made, min(withdrawn, len(made))):
        when = v.taken_at + timedelta(days=1)
        if when.date() > min(close, last_day):
            when = v.taken_at + timedelta(hours=1)
        lot.withdraw_entry(session, desk, v.id, rng.choice(("団体の都合", "行事の日程が変わったため", "会場を別に確保したため")),
                           now=when)
    return made


def seed_lottery(session: Session, rng: random.Random, *, today: date, seed: int | str, groups: Sequence[MemberGroup],
                 desk: Actor, manager: Actor) -> dict[str, int]:
    """The demo's two lottery months (see the module docstring); returns counts for seed_demo's report (the
    months as YYYYMM)."""
    profile = get_profile(session)
    rules = lr.lottery_rules(profile)
    pending, drawn = demo_months(rules, today)
    rooms = list(session.scalars(select(Room.id).where(Room.name.in_(rules.rooms), Room.active.is_(True))
                                 .order_by(Room.sort_order)))
    if not rooms:
        return {}
    yesterday = today - timedelta(days=1)
    d_cycle = lr.cycle(rules, drawn)
    entrants = _entrants(session, rules, groups, (pending, drawn), d_cycle.entry_open)
    if not entrants:
        return {}

    # D: entries in its window, the draw on its day, then the confirmations by the deadline.
    _take(session, rng, month=drawn, count=DRAWN_ENTRIES, entrants=entrants, desk=desk, profile=profile,
          rules=rules, rooms=rooms, last_day=d_cycle.entry_close, withdrawn=2)
    view = lot.run_draw(session, manager, drawn, now=datetime.combine(d_cycle.draw, time(10, 0)),
                        seed=demo_seed(seed, drawn))
    holds = [s.booking_id for v in view.winners for s in v.won_slots if s.booking_id is not None]
    last_confirm = min(d_cycle.confirm_by, yesterday)
    span = max((last_confirm - d_cycle.draw).days, 1)
    declined = holds[:1]  # holds[1:3] are left unconfirmed: they lapse
    confirmed = 0
    for bid in holds[3:]:
        when = datetime.combine(d_cycle.draw + timedelta(days=rng.randint(1, span)), time(rng.randint(9, 17), 0))
        confirm_booking(session, desk, bid, now=min(when, datetime.combine(last_confirm, time(17, 0))))
        confirmed += 1
    for bid in declined:
        cancel_booking(session, desk, bid, "当選辞退（団体の都合）",
                       now=datetime.combine(d_cycle.draw + timedelta(days=1), time(11, 0)))
    lapsed = 0
    if d_cycle.confirm_by < today:  # past the deadline: the unconfirmed holds are 期限切れ, as the desk sees them
        lapsed = expire_overdue_holds(session, d_cycle.confirm_by + timedelta(days=1))

    # P: entries so far (up to yesterday), a few withdrawn; no draw.
    p_first, p_close = lr.entry_window(rules, pending)
    made = _take(session, rng, month=pending, count=PENDING_ENTRIES, entrants=entrants, desk=desk, profile=profile,
                 rules=rules, rooms=rooms, last_day=min(p_close, yesterday), withdrawn=WITHDRAWN) \
        if p_first <= yesterday else []
    return {
        "lottery_pending_month": pending.year * 100 + pending.month,
        "lottery_pending_entries": len(made),
        "lottery_drawn_month": drawn.year * 100 + drawn.month,
        "lottery_drawn_entries": view.entries,
        "lottery_won": view.won,
        "lottery_lost": view.lost,
        "lottery_confirmed": confirmed,
        "lottery_lapsed": lapsed,
    }


__all__ = ["seed_lottery", "demo_months", "demo_seed"]
