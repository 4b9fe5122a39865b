"""Waiting lists (キャンセル待ち): services/waitlist.py (issue 18), on both databases (``db_url``).

The slot is 大会議室 on Wednesday 2026-12-02, 18:00〜21:00; the day is pinned and every service gets ``now``.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from booking_app.domain.errors import ConflictError, RuleError, ValidationError
from booking_app.services import bookings as svc
from booking_app.services import waitlist as wl
from booking_app.store.models import Booking, WaitlistEntry

pytestmark = pytest.mark.now("2026-11-25 09:00")

START, END = at(DAY, 18), at(DAY, 21)
REPLY = datetime(2026, 11, 26, 17, 0)


def room(world: World) -> int:
    return world.rooms["大会議室"]


def add(world: World, *, group: int | None = None, name: str = "", phone: str = "090-0000-0000",
        now: datetime = NOW) -> wl.EntryView:
    with world.write() as s:
        return wl.add_waiting(s, world.desk, room(world), START, END, group_id=group, booker_name=name,
                              contact_phone=phone, now=now)


def offer(world: World, now: datetime = NOW, reply_by: datetime = REPLY) -> wl.EntryView:
    with world.write() as s:
        return wl.offer_next(s, world.desk, room(world), START, END, reply_by=reply_by, now=now)


def listed(world: World) -> list[wl.EntryView]:
    with world.read() as s:
        return wl.list_for_slot(s, room(world), START, END)


def booked(world: World) -> int:
    return world.book(START, END, booker_name="先に予約した人").id


def cancel(world: World, booking_id: int, now: datetime = NOW) -> None:
    with world.write() as s:
        svc.cancel_booking(s, world.desk, booking_id, "団体の都合", now=now)


def test_a_free_slot_is_refused_and_a_booked_one_is_listed_in_order(world: World):
    with pytest.raises(RuleError, match="この枠は空いています。そのまま予約してください"):
        add(world, name="山田花子")
    booked(world)
    g1, g2 = world.make_group("甲の会"), world.make_group("乙の会")
    a = add(world, group=g1, phone="")
    b = add(world, name="山田花子")
    c = add(world, group=g2)
    assert [v.id for v in listed(world)] == [a.id, b.id, c.id]
    assert [v.place for v in listed(world)] == [1, 2, 3]
    assert [v.who for v in listed(world)] == ["甲の会", "山田花子", "乙の会"]
    assert all(v.status == "waiting" and v.status_label == "待ち" for v in listed(world))
    rows = world.audit_rows(entity="waitlist_entry")
    assert [r.entity_id for r in rows] == [a.id, b.id, c.id] and "3番目" in rows[2].summary
    assert "小会議室" not in a.room_name and wl.slot_text(a.room_name, START, END) == "大会議室 12月2日(水) 18:00〜21:00"


def test_the_same_group_twice_is_refused_by_the_service_and_by_the_index(world: World):
    booked(world)
    g = world.make_group()
    add(world, group=g)
    with pytest.raises(RuleError, match="既に登録されています") as err:
        add(world, group=g)
    assert err.value.field == "group"
    with pytest.raises(IntegrityError), world.write() as s:
        s.add(WaitlistEntry(room_id=room(world), start_at=START, end_at=END, group_id=g, status="waiting",
                            requested_at=NOW, requested_by=world.desk.id, close_reason="", note=""))
        s.flush()
    with pytest.raises(ValidationError, match="氏名") as err:
        add(world, name="  ")
    assert err.value.field == "booker_name"
    with pytest.raises(ValidationError, match="連絡先"):
        add(world, name="山田花子", phone="")


def test_offers_go_in_order_never_skipping_and_one_at_a_time(world: World):
    bid = booked(world)
    g1, g2 = world.make_group("甲の会"), world.make_group("乙の会")
    a, b, c = add(world, group=g1), add(world, group=g2), add(world, name="山田花子")
    with pytest.raises(RuleError, match="まだ予約が入っています"):
        offer(world)
    cancel(world, bid)
    with world.read() as s:
        freed = wl.freed_slots(s, NOW.date(), NOW)
        counts = wl.slot_counts(s, DAY, DAY)
    assert len(freed) == 1 and freed[0].waiting == 3 and freed[0].next_in_line.id == a.id
    assert counts == {(room(world), START): 3}
    first = offer(world)
    assert first.id == a.id and first.status == "offered" and first.reply_by == REPLY
    with pytest.raises(RuleError, match="甲の会さんに連絡済みで回答待ち"):
        offer(world)
    with world.write() as s:
        wl.decline_offer(s, world.desk, a.id, reason="都合がつかない", now=NOW)
    assert offer(world).id == b.id  # the next in line, never c
    with world.write() as s:
        wl.withdraw(s, world.desk, c.id, "本人から取下げの連絡", now=NOW)
    with pytest.raises(ValidationError, match="取下げの理由"), world.write() as s:
        wl.withdraw(s, world.desk, b.id, " ", now=NOW)
    with world.write() as s:
        done = wl.accept_offer(s, world.desk, b.id, now=NOW, tentative=True, hold_until=DAY, attendees=8)
    assert done.status == "accepted" and done.booking_id is not None and done.booking_number
    bk = world.booking(done.booking_id)
    assert (bk.group_id, bk.status, bk.start_at, bk.end_at) == (g2, "tentative", START, END)
    assert [v.status for v in listed(world)] == ["declined", "accepted", "withdrawn"]
    assert listed(world)[2].close_reason == "本人から取下げの連絡"
    actions = [r.action for r in world.audit_rows(entity="waitlist_entry")]
    assert actions == ["create"] * 3 + ["offer", "decline", "offer", "withdraw", "accept"]
    with world.read() as s:
        assert wl.freed_slots(s, NOW.date(), NOW) == []  # booked again


def test_an_offer_past_its_reply_by_expires_and_the_next_is_offered(world: World):
    bid = booked(world)
    a, b = add(world, name="一番の人"), add(world, name="二番の人")
    cancel(world, bid)
    offer(world, reply_by=NOW + timedelta(hours=2))
    later = NOW + timedelta(hours=3)
    with pytest.raises(RuleError, match="期限切れ"), world.write() as s:
        wl.accept_offer(s, world.desk, a.id, now=later)
    assert offer(world, now=later).id == b.id
    got = listed(world)
    assert got[0].status == "expired" and got[0].close_reason == wl.EXPIRED_REASON
    assert world.audit_rows(a.id, entity="waitlist_entry")[-1].action == "expire"
    with world.write() as s:  # nothing left to expire
        assert wl.expire_offers(s, later) == 0
    with pytest.raises(ValidationError, match="回答期限") as err:
        with world.write() as s:
            wl.offer_next(s, world.desk, room(world), START, END, reply_by=NOW, now=later)
    assert err.value.field == "reply_by"


def test_accept_obeys_the_booking_guard(world: World):
    bid = booked(world)
    a = add(world, name="待っていた人")
    cancel(world, bid)
    offer(world)
    world.book(START, END, booker_name="窓口に来た人")  # someone took the slot at the counter meanwhile
    with pytest.raises(ConflictError, match="既に予約があります"), world.write() as s:
        wl.accept_offer(s, world.desk, a.id, now=NOW)
    assert listed(world)[0].status == "offered" and listed(world)[0].booking_id is None


def test_the_database_allows_one_offer_per_slot(world: World):
    bid = booked(world)
    a, b = add(world, name="一番の人"), add(world, name="二番の人")
    cancel(world, bid)
    offer(world)
    with pytest.raises(IntegrityError), world.write() as s:
        s.execute(update(WaitlistEntry).where(WaitlistEntry.id == b.id)
                  .values(status="offered", offered_at=NOW, reply_by=REPLY))
    with pytest.raises(IntegrityError), world.write() as s:  # accepted needs its booking
        s.execute(update(WaitlistEntry).where(WaitlistEntry.id == a.id).values(status="accepted"))
    assert [v.status for v in listed(world)] == ["offered", "waiting"]


def test_a_lapsed_hold_frees_the_slot(world: World):
    world.book(START, END, booker_name="仮の人", tentative=True, hold_until=datetime(2026, 11, 27).date())
    add(world, name="待っていた人")
    after = datetime(2026, 11, 28, 9, 0)
    with world.read() as s:
        assert wl.freed_slots(s, NOW.date(), NOW) == []
        freed = wl.freed_slots(s, after.date(), after)
    assert len(freed) == 1 and freed[0].slot.text_ja == "大会議室 12月2日(水) 18:00〜21:00"
    assert wl.default_reply_by(START, after) == datetime(2026, 11, 29, 17, 0)
    assert wl.default_reply_by(START, datetime(2026, 12, 2, 9, 0)) == START


def test_waiting_list_order_under_two_terminals(world: World):
    """Two terminals (two sessions, own connections) add entries at once and then race to offer: the order
    is the id order, and exactly one offer is open, to the first in line."""
    bid = booked(world)
    groups = [world.make_group(f"団体{i}") for i in range(4)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    outcome: list[object] = []

    def terminal(mine: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            for g in mine:
                add(world, group=g)
            barrier.wait(timeout=30)
            if mine is halves[0]:
                cancel(world, bid)
            barrier.wait(timeout=30)
            try:
                outcome.append(offer(world).id)
            except RuleError as exc:
                outcome.append(exc)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    halves = [groups[0::2], groups[1::2]]
    threads = [threading.Thread(target=terminal, args=(h,)) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    got = listed(world)
    assert [v.id for v in got] == sorted(v.id for v in got) and len(got) == 4
    offered = [v for v in got if v.status == "offered"]
    assert len(offered) == 1 and offered[0].id == got[0].id
    wins = [o for o in outcome if isinstance(o, int)]
    losses = [o for o in outcome if isinstance(o, RuleError)]
    assert wins == [got[0].id] and len(losses) == 1 and "連絡済み" in losses[0].message


def test_a_second_terminal_waits_for_the_first_offer_and_is_refused(world: World):
    bid = booked(world)
    add(world, name="一番の人"), add(world, name="二番の人")
    cancel(world, bid)
    result: dict[str, object] = {}
    with world.write() as s:
        first = wl.offer_next(s, world.desk, room(world), START, END, reply_by=REPLY, now=NOW)

        def other() -> None:
            try:
                result["b"] = offer(world)
            except BaseException as exc:  # noqa: BLE001
                result["b"] = exc

        t = threading.Thread(target=other)
        t.start()
        t.join(1.0)
        assert t.is_alive()  # held by the row locks (PostgreSQL) or the write lock (SQLite)
    t.join(60)
    assert isinstance(result["b"], RuleError) and "回答待ち" in result["b"].message
    assert [v.status for v in listed(world)] == ["offered", "waiting"] and listed(world)[0].id == first.id
    with world.read() as s:
        assert s.scalar(select(Booking.id).where(Booking.id == bid)) == bid
        assert s.execute(text("SELECT count(*) FROM waitlist_entries WHERE status = 'offered'")).scalar() == 1


@pytest.mark.postgres
def test_postgresql_lets_a_desk_login_run_the_whole_list(pg_url):
    """With the desk's own database login (grants of migration 0012): add, lock (FOR UPDATE needs the column
    UPDATE grant), offer, decline, accept into a booking; by hand a desk login cannot delete an entry."""
    import dataclasses

    import psycopg
    from factories import load_world
    from sqlalchemy.engine import make_url
    from test_db_roles import PW, Staffed  # a staff login per role

    from booking_app.store.engine import make_engine

    st = Staffed(pg_url)
    eng = make_engine(make_url(st.url).set(username=st.logins["desk"], password=PW)
                      .render_as_string(hide_password=False))
    try:
        w = load_world(st.owner)
        desk = dataclasses.replace(w, engine=eng)
        bid = booked(desk)
        a, b = add(desk, name="一番の人"), add(desk, group=w.make_group())
        cancel(desk, bid)
        offer(desk)
        with desk.write() as s:
            wl.decline_offer(s, w.desk, a.id, now=NOW)
        offer(desk)
        with desk.write() as s:
            assert wl.accept_offer(s, w.desk, b.id, now=NOW).booking_id is not None
        with st.connect("desk") as conn:
            for sql in ("DELETE FROM waitlist_entries", f"UPDATE waitlist_entries SET group_id = NULL WHERE id = {b.id}"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    with conn.transaction():
                        conn.execute(sql)
    finally:
        eng.dispose()
        st.dispose()


@pytest.mark.timeout(300)
def test_the_demo_has_waiting_lists_the_today_page_shows(_sqlite_template, tmp_path):
    """The demo (booking_app/demo/waitlist.py): on its day, freed evening slots with people waiting (one
    called, one not yet), a booked one with 待2, and one accepted into a 仮予約."""
    import shutil
    from datetime import date, time

    from booking_app.demo.seeder import seed_demo
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.engine import make_engine, read_session, write_session

    today = date(2026, 11, 25)
    path = tmp_path / "demo.sqlite3"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
            counts = seed_demo(s, today=today, seed=7)
        from booking_app.demo.waitlist import ACCEPT_ONE

        accepted = 1 if ACCEPT_ONE else 0
        assert (counts["waitlist_entries"], counts["waitlist_offered"], counts["waitlist_accepted"]) == (
            9, 3 - accepted, accepted)
        now = datetime.combine(today, time(9, 0))
        with read_session(engine) as s:
            freed = wl.freed_slots(s, today, now)
            marks = wl.slot_counts(s, today, today + timedelta(days=21))
            statuses = sorted(s.scalars(select(WaitlistEntry.status)))
            latest = s.scalar(select(func.max(WaitlistEntry.requested_at)))
        assert len(freed) == 3 - accepted and {f.offered is not None for f in freed} == {True, False}
        assert sorted(marks.values()) == [1, 2, 2, 3]
        assert statuses == (["accepted", "offered"] + ["waiting"] * 7 if accepted
                            else ["declined", "offered", "offered"] + ["waiting"] * 6)
        assert latest < now
    finally:
        engine.dispose()
