"""Lottery entries (抽選の申込) and the draw (抽選の実施) in the database: services/lottery.py (issue 18).

Both databases (``db_url``). The month of use is March 2027: entries 2026-12-01〜12-10, the draw from
2026-12-15, 当選 held through 2026-12-29 (the profile's defaults). The day is pinned; every service gets
``now`` explicitly.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, datetime

import pytest
from factories import World, at, load_world
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from booking_app.domain.errors import PermissionDenied, RuleError, ValidationError
from booking_app.domain.profile import DateNote
from booking_app.services import lottery as lot
from booking_app.services.centre import get_profile, save_profile
from booking_app.store.models import Booking, LotteryDraw, LotteryEntry, LotteryWish

pytestmark = pytest.mark.now("2026-12-05 10:00")

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)  # inside the entry window
DRAW = datetime(2026, 12, 15, 10, 0)  # the draw day
# A lottery room's March is held for the draw until 2026-12-20 (先着順): a booking made before the draw is a
# manager's, with a reason.
HELD = "センターの行事"
TUE, WED, THU = date(2027, 3, 2), date(2027, 3, 3), date(2027, 3, 4)
SUN = date(2027, 3, 7)


def evening(world: World, day: date, room: str = "大会議室") -> tuple[int, datetime, datetime]:
    return (world.rooms[room], at(day, 18), at(day, 22))


def entry(world: World, group: int, *wishes, channel: str = "counter", now: datetime = TAKE, actor=None):
    data = lot.EntryInput(group_id=group, month=MONTH, channel=channel, wishes=[list(w) for w in wishes])
    with world.write() as s:
        return lot.take_entry(s, actor or world.desk, data, now=now)


def draw(world: World, seed: str = "seed-1", now: datetime = DRAW, actor=None) -> lot.DrawView:
    with world.write() as s:
        return lot.run_draw(s, actor or world.manager, MONTH, now=now, seed=seed)


# --------------------------------------------------------------------------- entries


def test_an_entry_is_numbered_listed_and_audited(world: World):
    g1, g2 = world.make_group("ふくふく子ども食堂"), world.make_group("下関朗読の会")
    first = entry(world, g1, [evening(world, TUE)], [evening(world, WED, "多目的交流ホール")])
    second = entry(world, g2, [evening(world, TUE)], channel="phone")
    assert (first.entry_no, second.entry_no) == (1, 2)
    with world.read() as s:
        listed = lot.list_entries(s, MONTH)
    assert [v.entry_no for v in listed] == [1, 2]
    v = listed[0]
    assert v.group_name == "ふくふく子ども食堂" and v.group_reg_no and v.status == "entered"
    assert [w.rank for w in v.wishes] == [1, 2]
    assert v.wishes[1].slots[0].room_name == "多目的交流ホール"
    assert v.wishes[0].slots[0].start == at(TUE, 18) and v.won_rank is None
    assert listed[1].channel == "phone"
    rows = world.audit_rows(entity="lottery_entry")
    assert [r.entity_id for r in rows] == [first.id, second.id]
    assert "受付番号1" in rows[0].summary and rows[0].staff_id == world.desk.id


@pytest.mark.parametrize("now, ok", [
    (datetime(2026, 11, 30, 17, 0), False), (datetime(2026, 12, 1, 9, 0), True),
    (datetime(2026, 12, 10, 21, 0), True), (datetime(2026, 12, 11, 9, 0), False),
])
def test_the_entry_window_edges(world: World, now, ok):
    g = world.make_group()
    if ok:
        assert entry(world, g, [evening(world, TUE)], now=now).entry_no == 1
    else:
        with pytest.raises(RuleError, match="抽選の申込は2026年12月1日から2026年12月10日まで"):
            entry(world, g, [evening(world, TUE)], now=now)


def test_a_room_not_in_the_lottery_is_refused(world: World):
    g = world.make_group()
    with pytest.raises(RuleError, match="小会議室1は抽選の対象ではありません"):
        entry(world, g, [evening(world, TUE)], [evening(world, WED, "小会議室1")])
    assert world.count(LotteryEntry) == 0 and world.count(LotteryWish) == 0


def test_the_entries_per_group_limit_counts_withdrawn_entries_out(world: World):
    g = world.make_group()
    days = [date(2027, 3, d) for d in (2, 3, 4, 5, 8, 9, 10)]
    views = [entry(world, g, [evening(world, d)]) for d in days[:6]]
    with pytest.raises(RuleError, match="月6件まで"):
        entry(world, g, [evening(world, days[6])])
    with world.write() as s:
        lot.withdraw_entry(s, world.desk, views[0].id, "団体の都合", now=TAKE)
    assert entry(world, g, [evening(world, days[6])]).entry_no == 7


def test_a_group_with_no_shows_is_barred(world: World):
    g, ok = world.make_group("無断の会"), world.make_group("きちんと会")
    with world.write() as s:  # two 無断キャンセル in Sep–Nov 2026, the three months before the entry month
        for i, d in enumerate((date(2026, 9, 14), date(2026, 11, 2))):
            s.add(Booking(room_id=world.rooms["小会議室1"], booker_kind="member", group_id=g, booker_name="無断の会",
                          purpose="定例会", start_at=at(d, 9), end_at=at(d, 12), status="no_show",
                          created_at=datetime(2026, 8, 1), created_by=world.desk.id,
                          updated_at=datetime(2026, 8, 1), updated_by=world.desk.id))
    with pytest.raises(RuleError, match="無断キャンセルが2回"):
        entry(world, g, [evening(world, TUE)])
    assert entry(world, ok, [evening(world, TUE)]).entry_no == 1


@pytest.mark.parametrize("status, valid_until, message", [
    ("suspended", None, "利用停止中"),
    ("deregistered", None, "登録抹消済み"),
    ("active", date(2026, 11, 30), "期限切れ"),
])
def test_a_group_not_in_good_standing_is_refused(world: World, status, valid_until, message):
    g = world.make_group(status=status, valid_until=valid_until)
    with pytest.raises(RuleError, match=message):
        entry(world, g, [evening(world, TUE)])


def test_a_closed_day_and_a_slot_outside_the_periods_are_refused(world: World):
    g = world.make_group()
    with world.write() as s:
        profile = get_profile(s)
        save_profile(s, world.manager, dataclasses.replace(
            profile, closed_dates=(DateNote(WED, "設備点検"),)), now=TAKE)
    with pytest.raises(RuleError, match="3月3日は設備点検のため"):
        entry(world, g, [evening(world, TUE), evening(world, WED)])
    room = world.rooms["大会議室"]
    with pytest.raises(RuleError, match="区分ではありません"):
        entry(world, g, [(room, at(TUE, 17), at(TUE, 21))])
    with pytest.raises(RuleError, match="区分ではありません"):  # no 夜間 on a Sunday
        entry(world, g, [(room, at(SUN, 18), at(SUN, 22))])
    with pytest.raises(ValidationError, match="2027年3月分ではありません"):
        entry(world, g, [(room, at(date(2027, 4, 6), 18), at(date(2027, 4, 6), 22))])
    assert world.count(LotteryEntry) == 0


def test_two_terminals_taking_entries_at_once_get_distinct_numbers(world: World):
    groups = [world.make_group(f"団体{i}") for i in range(4)]
    barrier = threading.Barrier(len(groups))
    got: list[int] = []
    errors: list[BaseException] = []

    def worker(g: int) -> None:
        try:
            barrier.wait(timeout=30)
            got.append(entry(world, g, [evening(world, TUE)]).entry_no)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(g,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors, errors
    assert sorted(got) == [1, 2, 3, 4]


def test_a_second_session_waits_for_the_first_and_takes_the_next_number(world: World):
    """Session A has inserted number 1 but not committed; B reads the same max, is held by the unique index
    (PostgreSQL) or the write lock (SQLite), and takes 2 once A commits."""
    g1, g2 = world.make_group("甲の会"), world.make_group("乙の会")
    result: dict[str, object] = {}
    with world.write() as s:
        a = lot.take_entry(s, world.desk, lot.EntryInput(g1, MONTH, "counter", [[evening(world, TUE)]]), now=TAKE)

        def other() -> None:
            try:
                result["b"] = entry(world, g2, [evening(world, WED)]).entry_no
            except BaseException as exc:  # noqa: BLE001
                result["b"] = exc

        t = threading.Thread(target=other)
        t.start()
        t.join(1.0)
        assert t.is_alive()  # held until A commits
    t.join(60)
    assert (a.entry_no, result["b"]) == (1, 2)


def test_withdraw(world: World):
    g = world.make_group()
    v = entry(world, g, [evening(world, TUE)])
    with pytest.raises(ValidationError, match="理由"):
        with world.write() as s:
            lot.withdraw_entry(s, world.desk, v.id, "  ", now=TAKE)
    with world.write() as s:
        w = lot.withdraw_entry(s, world.desk, v.id, "団体の都合", now=TAKE)
    assert (w.status, w.status_label, w.withdraw_reason, w.withdrawn_at) == ("withdrawn", "取下げ", "団体の都合", TAKE)
    with pytest.raises(RuleError, match="取下げのため"):
        with world.write() as s:
            lot.withdraw_entry(s, world.desk, v.id, "もう一度", now=TAKE)
    assert [r.action for r in world.audit_rows(v.id, "lottery_entry")] == ["create", "withdraw"]


# --------------------------------------------------------------------------- the draw


def test_the_draw_is_for_a_manager_on_or_after_the_draw_day(world: World):
    g = world.make_group()
    entry(world, g, [evening(world, TUE)])
    with pytest.raises(PermissionDenied, match="抽選の実施は管理者のみ"):
        draw(world, actor=world.desk)
    with pytest.raises(RuleError, match="2026年12月15日から"):
        draw(world, now=datetime(2026, 12, 14, 23, 0))
    assert world.count(LotteryDraw) == 0 and world.count(Booking) == 0


def test_the_draw_makes_holds_for_exactly_the_awards_and_never_on_a_booked_slot(world: World):
    a, b, c = world.make_group("甲の会"), world.make_group("乙の会"), world.make_group("丙の会")
    hall = "多目的交流ホール"
    # booked before the draw
    world.book(at(THU, 18), at(THU, 22), group_id=c, now=TAKE, actor=world.manager, override_reason=HELD)
    e1 = entry(world, a, [evening(world, TUE)], [evening(world, WED)])
    e2 = entry(world, b, [evening(world, TUE)], [evening(world, WED)])
    e3 = entry(world, c, [evening(world, THU)])  # its only wish is booked already: 落選
    e4 = entry(world, b, [evening(world, TUE, hall)])
    with world.write() as s:
        lot.withdraw_entry(s, world.desk, e4.id, "重複", now=TAKE)
    view = draw(world)
    assert (view.entries, view.won, view.lost) == (3, 2, 1)
    assert {v.entry_no for v in view.winners} == {e1.entry_no, e2.entry_no}
    assert [v.entry_no for v in view.losers] == [e3.entry_no]
    assert view.lost_reasons == {e3.entry_no: "希望の区分はすべて埋まっていました"}
    assert sorted(view.order) == sorted({a, b, c}) and view.place_of(a) in (1, 2, 3)
    assert view.seed == "seed-1" and len(view.digest) == 64 and view.drawn_by
    assert view.log[0] == "抽選シード seed-1" and view.log[-1].startswith("抽選終了")
    with world.read() as s:
        holds = list(s.scalars(select(Booking).where(Booking.status == "tentative").order_by(Booking.start_at)))
        statuses = dict(s.execute(select(LotteryEntry.entry_no, LotteryEntry.status)).all())
        linked = list(s.scalars(select(LotteryWish.booking_id).where(LotteryWish.booking_id.is_not(None))))
        s.expunge_all()
    # 甲 and 乙 both wanted Tuesday first: one has it, the other its second wish, Wednesday.
    assert [(h.start_at, h.end_at, h.hold_until, h.room_id) for h in holds] == [
        (at(TUE, 18), at(TUE, 22), date(2026, 12, 29), world.rooms["大会議室"]),
        (at(WED, 18), at(WED, 22), date(2026, 12, 29), world.rooms["大会議室"])]
    assert {h.group_id for h in holds} == {a, b} and all(h.booker_kind == "member" for h in holds)
    assert sorted(linked) == sorted(h.id for h in holds)
    assert statuses == {e1.entry_no: "won", e2.entry_no: "won", e3.entry_no: "lost", e4.entry_no: "withdrawn"}
    won = {v.entry_no: v for v in view.winners}
    assert all(v.won_slots and v.won_slots[0].booking_number for v in won.values())
    rows = world.audit_rows(entity="lottery_draw")
    assert len(rows) == 1 and "シード seed-1" in rows[0].summary and "当選2件" in rows[0].summary


def test_a_second_draw_is_refused_by_the_service_and_by_the_database(world: World):
    g = world.make_group()
    v = entry(world, g, [evening(world, TUE)])
    with world.read() as s:
        assert lot.draw_view(s, MONTH) is None
    draw(world)
    with pytest.raises(RuleError, match="当選のため取り下げられません"):
        with world.write() as s:
            lot.withdraw_entry(s, world.desk, v.id, "団体の都合", now=DRAW)
    with pytest.raises(RuleError, match="既に実施されています"):
        draw(world, seed="seed-2")
    with pytest.raises(RuleError, match="抽選は済んでいます"):
        entry(world, g, [evening(world, WED)], now=datetime(2026, 12, 10, 9, 0))
    with pytest.raises(IntegrityError):
        with world.write() as s:
            s.add(LotteryDraw(month=MONTH, seed="x", digest="x", algorithm="x", drawn_at=DRAW,
                              drawn_by=world.manager.id, entries=0, won=0, lost=0, inputs={}))
    assert world.count(LotteryDraw) == 1


def test_a_group_wins_at_most_max_wins_per_group_entries(world: World):
    g = world.make_group()
    days = [date(2027, 3, d) for d in (2, 3, 4, 5, 8, 9)]
    entries = [entry(world, g, [evening(world, d)]) for d in days]  # six entries, nobody else: 4 win
    view = draw(world)
    assert [v.entry_no for v in view.winners] == [e.entry_no for e in entries[:4]]
    assert view.lost_reasons == {e.entry_no: "団体の当選上限に達しました" for e in entries[4:]}
    assert world.count(Booking) == 4


def test_the_draw_is_refused_while_an_entry_s_group_cannot_book(world: World):
    g = world.make_group("停止の会")
    entry(world, g, [evening(world, TUE)])
    with world.write() as s:
        s.execute(text("UPDATE member_groups SET status = 'suspended' WHERE id = :g"), {"g": g})
    with pytest.raises(RuleError, match="受付番号1（停止の会：停止）"):
        draw(world)
    assert world.count(LotteryDraw) == 0 and world.count(Booking) == 0


def _many_entries(world: World) -> None:
    groups = [world.make_group(f"団体{i}") for i in range(5)]
    for i, g in enumerate(groups):
        entry(world, g, [evening(world, TUE)], [evening(world, WED)], [evening(world, THU)])
        entry(world, g, [evening(world, date(2027, 3, 5 + (i % 2)), "多目的交流ホール")])


class _Rollback(Exception):
    pass


def test_the_same_seed_gives_the_same_awards_and_digest_and_replays(world: World):
    _many_entries(world)
    with pytest.raises(_Rollback):
        with world.write() as s:
            first = lot.run_draw(s, world.manager, MONTH, now=DRAW, seed="fixed")
            raise _Rollback
    assert world.count(LotteryDraw) == 0 and world.count(Booking) == 0
    second = draw(world, seed="fixed")
    assert second.digest == first.digest
    assert [(v.entry_no, v.won_rank) for v in second.winners] == [(v.entry_no, v.won_rank) for v in first.winners]
    with world.read() as s:
        assert lot.replay_draw(s, MONTH) is True
        again = lot.draw_view(s, MONTH)
        assert (again.log, again.order, again.lost_reasons) == (second.log, second.order, second.lost_reasons)
    with world.write() as s:  # tampering: an entry's wish moved to another evening after the draw
        s.execute(text("UPDATE lottery_wishes SET start_at = :s, end_at = :e WHERE id = "
                       "(SELECT min(id) FROM lottery_wishes)"), {"s": at(date(2027, 3, 9), 18),
                                                                  "e": at(date(2027, 3, 9), 22)})
    with world.read() as s:
        assert lot.replay_draw(s, MONTH) is False


def test_an_all_or_nothing_pair_becomes_two_bookings_or_none(world: World):
    a, b, c = world.make_group("連日の会"), world.make_group("二日目の会"), world.make_group("両日の会")
    pair_blocked = entry(world, a, [evening(world, TUE), evening(world, WED)])
    world.book(at(WED, 18), at(WED, 22), group_id=b, now=TAKE, actor=world.manager, override_reason=HELD)
    pair_free = entry(world, c, [evening(world, THU, "多目的交流ホール"), evening(world, date(2027, 3, 5),
                                                                                  "多目的交流ホール")])
    view = draw(world)
    assert [v.entry_no for v in view.losers] == [pair_blocked.entry_no]
    assert [v.entry_no for v in view.winners] == [pair_free.entry_no]
    assert len(view.winners[0].won_slots) == 2
    with world.read() as s:
        holds = list(s.scalars(select(Booking.group_id).where(Booking.status == "tentative")))
    assert sorted(holds) == [c, c]  # the blocked pair made no booking on its free Tuesday


# --------------------------------------------------------------------------- PostgreSQL roles


@pytest.mark.postgres
def test_postgresql_lets_a_desk_take_entries_and_only_a_manager_draw(pg_url):
    """Through the app with each staff member's own login: the desk takes and withdraws entries (grants,
    sequences), the manager's login runs the whole draw (bookings, statuses, the draw row); typed by hand, a
    desk login cannot insert a draw, set a result, link a booking, change an entry's group or delete."""
    import psycopg
    from sqlalchemy.engine import make_url
    from test_db_roles import PW, Staffed  # a staff login per role

    from booking_app.store.engine import make_engine, write_session

    st = Staffed(pg_url)
    engines = {role: make_engine(make_url(st.url).set(username=st.logins[role], password=PW)
                                 .render_as_string(hide_password=False)) for role in ("desk", "manager")}
    try:
        w = load_world(st.owner)
        g = w.make_group()
        desk = dataclasses.replace(w, engine=engines["desk"])
        v = entry(desk, g, [evening(w, TUE)])
        v2 = entry(desk, g, [evening(w, WED)])
        v3 = entry(desk, g, [evening(w, THU)])
        with write_session(engines["desk"]) as s:
            lot.withdraw_entry(s, w.desk, v3.id, "団体の都合", now=TAKE)
        with st.connect("desk") as conn:
            for sql in ("INSERT INTO lottery_draws (month, seed, digest, algorithm, drawn_at, drawn_by, entries, won,"
                        " lost, inputs) VALUES ('2027-03-01', 'x', 'x', 'x', now(), 1, 0, 0, 0, '{}')",
                        f"UPDATE lottery_entries SET status = 'won' WHERE id = {v.id}",
                        f"UPDATE lottery_entries SET status = 'entered' WHERE id = {v3.id}",
                        "UPDATE lottery_wishes SET booking_id = NULL",
                        f"UPDATE lottery_entries SET group_id = group_id WHERE id = {v.id}",
                        "DELETE FROM lottery_wishes", "DELETE FROM lottery_entries"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    with conn.transaction():
                        conn.execute(sql)
            with conn.transaction():  # withdrawing by hand is what the grant allows (before the draw)
                conn.execute(f"UPDATE lottery_entries SET status = 'withdrawn' WHERE id = {v2.id}")
        with pytest.raises(PermissionDenied), write_session(engines["desk"]) as s:
            lot.run_draw(s, w.desk, MONTH, now=DRAW, seed="pg")
        with write_session(engines["manager"]) as s:
            view = lot.run_draw(s, w.manager, MONTH, now=DRAW, seed="pg")
        assert (view.entries, view.won, view.lost) == (1, 1, 0) and view.winners[0].entry_no == v.entry_no
        with st.connect("desk") as conn:  # after the draw a desk login cannot even withdraw
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with conn.transaction():
                    conn.execute(f"UPDATE lottery_entries SET status = 'withdrawn' WHERE id = {v.id}")
        with write_session(st.owner) as s:
            assert lot.replay_draw(s, MONTH) is True
    finally:
        for e in engines.values():
            e.dispose()
        st.dispose()
