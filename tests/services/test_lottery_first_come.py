"""先着順の受付 after the draw (issue 18): a lottery room's month belongs to its lottery until the first-come day
(domain.lottery_rules.check_first_come, wired into bookings through services/lottery_first_come.py).

March 2027 with the profile's defaults: entries 2026-12-01〜12-10, the draw from 12-15, first-come from 12-20.
February 2027 was the lottery of November: open to everyone since 2026-11-20. Both databases; both save paths
(the plain-SQL fast save and the ORM path) give the same answer.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import World, at

from booking_app.domain.errors import PermissionDenied, RuleError
from booking_app.services import bookings as svc
from booking_app.services import lottery as lot
from booking_app.services.booking_views import BookingInput

pytestmark = pytest.mark.now("2026-12-05 10:00")

TAKE = datetime(2026, 12, 5, 10, 0)
DRAW = datetime(2026, 12, 15, 10, 0)
OPENS = datetime(2026, 12, 20, 9, 0)
TUE, WED = date(2027, 3, 2), date(2027, 3, 3)
MESSAGE = ("大会議室の2027年3月分は抽選で決まります。抽選の申込は2026年12月1日〜2026年12月10日、"
           "先着順の受付は2026年12月20日からです。")


@pytest.fixture(params=[True, False], ids=["fast", "orm"])
def save_path(request, monkeypatch):
    monkeypatch.setattr(svc, "FAST_SAVE", request.param)
    return request.param


def test_the_desk_cannot_book_a_lottery_room_before_its_first_come_day(world: World, save_path):
    g = world.make_group()
    with pytest.raises(RuleError) as err:
        world.book(at(TUE, 18), at(TUE, 22), group_id=g, now=TAKE)
    assert MESSAGE in err.value.message and "管理者が理由を書いて許可" in err.value.message
    assert world.count(svc.Booking) == 0
    with pytest.raises(RuleError, match="抽選で決まります"):  # on the draw day too, till the 19th
        world.book(at(TUE, 18), at(TUE, 22), group_id=g, now=datetime(2026, 12, 19, 20, 0))


def test_other_rooms_earlier_months_and_the_first_come_day_are_open(world: World, save_path):
    g = world.make_group()
    world.book(at(TUE, 18), at(TUE, 22), room="小会議室1", group_id=g, now=TAKE)  # not a lottery room
    world.book(at(date(2027, 2, 2), 18), at(date(2027, 2, 2), 22), group_id=g, now=TAKE)  # February: open
    made = world.book(at(WED, 18), at(WED, 22), group_id=g, now=OPENS)  # the first-come day
    assert made.status == "confirmed"
    assert world.count(svc.Booking) == 3


def test_a_manager_may_override_with_a_reason(world: World, save_path):
    g = world.make_group()
    with pytest.raises(PermissionDenied, match="規則外の予約は管理者のみ"):
        world.book(at(TUE, 18), at(TUE, 22), group_id=g, now=TAKE, override_reason="市の行事")
    made = world.book(at(TUE, 18), at(TUE, 22), group_id=g, now=TAKE, override_reason="市の行事",
                      actor=world.manager)
    assert world.booking(made.id).override_reason == "市の行事"


def test_moving_a_booking_into_the_held_month_is_refused(world: World, save_path):
    g = world.make_group()
    made = world.book(at(date(2027, 2, 2), 18), at(date(2027, 2, 2), 22), group_id=g, now=TAKE)
    with pytest.raises(RuleError, match="抽選で決まります"):
        with world.write() as s:
            svc.update_booking(s, world.desk, made.id, world.input(at(TUE, 18), at(TUE, 22), group_id=g), now=TAKE)


def test_the_draw_s_own_holds_are_exempt_and_can_be_edited_and_confirmed(world: World, save_path):
    g = world.make_group("当選の会")
    with world.write() as s:
        lot.take_entry(s, world.desk, lot.EntryInput(g, date(2027, 3, 1), "counter",
                                                     [[(world.rooms["大会議室"], at(TUE, 18), at(TUE, 22))]]),
                       now=TAKE)
    with world.write() as s:
        view = lot.run_draw(s, world.manager, date(2027, 3, 1), now=DRAW, seed="first-come")
    hold = view.winners[0].won_slots[0].booking_id
    assert hold is not None
    after = datetime(2026, 12, 16, 10, 0)
    with world.write() as s:
        b = svc.get_booking(s, hold, today=after.date())
        same_slot = BookingInput(start=b.start, end=b.end, room_id=b.room_id, booker_kind="member", group_id=g,
                                 purpose=b.purpose, attendees=30, tentative=True, hold_until=b.hold_until,
                                 note=b.note)
        svc.update_booking(s, world.desk, hold, same_slot, now=after)
    with world.write() as s:
        svc.confirm_booking(s, world.desk, hold, now=after)
    assert world.booking(hold).status == "confirmed" and world.booking(hold).attendees == 30
    with pytest.raises(RuleError, match="抽選で決まります"):  # moved to another evening: not the draw's slot
        with world.write() as s:
            svc.update_booking(s, world.desk, hold, world.input(at(WED, 18), at(WED, 22), group_id=g), now=after)


def test_the_rule_follows_the_settings_the_manager_saves(world: World, save_path):
    """The rules are read from the stored settings (parsed once per stored text): a room taken out of the
    lottery is booked first-come at once; put back, it is held again."""
    import dataclasses

    from booking_app.services.centre import get_profile, save_profile

    g = world.make_group()

    def set_rooms(rooms: tuple[str, ...]) -> None:
        with world.write() as s:
            p = get_profile(s)
            save_profile(s, world.manager, dataclasses.replace(p, lottery=dataclasses.replace(p.lottery, rooms=rooms)),
                         now=TAKE)

    set_rooms(("多目的交流ホール",))
    world.book(at(TUE, 18), at(TUE, 22), group_id=g, now=TAKE)
    set_rooms(("大会議室", "多目的交流ホール"))
    with pytest.raises(RuleError, match="抽選で決まります"):
        world.book(at(WED, 18), at(WED, 22), group_id=g, now=TAKE)
