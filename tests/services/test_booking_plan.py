"""services/booking_plan: the one plan of a new booking's rows (pure: no database).

The three writers (ORM path, plain-SQL save, demo seeder) write what this plans;
tests/services/test_booking_fast_save.py checks on both databases that the first two write identical rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from booking_app.domain import booking_rules
from booking_app.domain.fees import FeeLine, Item
from booking_app.domain.profile import load_default_profile
from booking_app.services.booking_plan import (
    cancel_after,
    cancelled_summary,
    charged_lines,
    fee_lines,
    plan_new_booking,
)
from booking_app.services.bookings import BookingInput
from booking_app.services.fees import load_default_fees

START = datetime(2026, 11, 26, 13, 0)  # a Thursday afternoon: the plan reads no clock
END = datetime(2026, 11, 26, 15, 0)
NOW = datetime(2026, 11, 25, 10, 0)


def _schedule():
    s = load_default_fees()
    return replace(s, equipment=dict(s.equipment) | {"プロジェクター": Item("プロジェクター", 500, "台")})


def test_a_members_confirmed_booking_is_planned_with_the_groups_name_and_no_hold():
    data = BookingInput(start=START, end=END, room_id=3, booker_kind="member", group_id=7,
                        booker_name="入力された名前", purpose=" 定例会 ", attendees=12, equipment={5: 1, 6: 0},
                        hold_until=date(2026, 11, 30), contact_phone=" 083-000-0000 ")
    plan = plan_new_booking(data, actor_id=2, now=NOW, group=(7, "ふくふく合唱団"))
    b = plan.booking
    assert (b["group_id"], b["booker_name"], b["purpose"], b["contact_phone"]) == (7, "ふくふく合唱団", "定例会",
                                                                                  "083-000-0000")
    assert b["status"] == booking_rules.BookingStatus.CONFIRMED.value
    assert b["hold_until"] is None  # only a 仮予約 is held
    assert plan.equipment == ((5, 1),)  # a quantity of 0 is no line
    assert plan.charges == ()  # no quote asked: the ORM path leaves them to sync_booking_charges
    snap = plan.snapshot()
    assert snap["equipment"] == {"5": 1} and snap["start"] == START and snap["override_reason"] == ""
    assert plan.created_summary(42) == "予約0000042を登録（2026/11/26 13:00〜15:00）"


def test_a_tentative_general_booking_keeps_its_hold_and_is_charged_its_quote():
    data = BookingInput(start=START, end=END, room_id=1, booker_kind="group", booker_name=" 読書会 ",
                        purpose="読書会", attendees=8, equipment={9: 2}, tentative=True,
                        hold_until=date(2026, 11, 28))
    schedule, profile = _schedule(), load_default_profile()
    room = next(iter(schedule.room_fees))
    plan = plan_new_booking(data, actor_id=2, now=NOW, group=None,
                            quote=(schedule, profile, room, {9: "プロジェクター"}, "general"))
    assert plan.booking["booker_name"] == "読書会" and plan.booking["group_id"] is None
    assert plan.booking["status"] == "tentative" and plan.booking["hold_until"] == date(2026, 11, 28)
    kinds = [c.kind for c in plan.charges]
    assert kinds[-1] == "equipment" and "room" in kinds
    assert all(c.description.startswith("2026/11/26 ") and c.amount > 0 for c in plan.charges)
    assert plan.charges[-1] == FeeLine("2026/11/26 プロジェクター", 2, 500, "taxable10", "equipment")
    assert plan.charges_total == sum(c.amount for c in plan.charges) > 1000


def test_a_members_free_room_is_quoted_but_not_charged():
    schedule, profile = load_default_fees(), load_default_profile()
    room = next(iter(schedule.room_fees))
    lines = fee_lines(schedule, profile, room, START, END, {}, "member")
    assert lines and all(ln.amount == 0 for ln in lines)  # the dialog shows the 0-yen line
    assert charged_lines(lines, START) == []  # nothing to collect


def test_the_status_sets_and_their_sql_twin_agree():
    from sqlalchemy import column, select, table
    from sqlalchemy.dialects import sqlite

    # BLOCKING and NON_BLOCKING split every state once; the SQL twin names the same non-blocking states.
    assert set(booking_rules.BLOCKING) | set(booking_rules.NON_BLOCKING) == {s.value for s in booking_rules.BookingStatus}
    assert not set(booking_rules.BLOCKING) & set(booking_rules.NON_BLOCKING)
    assert set(booking_rules.NOT_CHECKED_OUT) < set(booking_rules.UNSETTLED) < set(booking_rules.BLOCKING)
    row = table("bookings", column("status"), column("hold_until")).c
    sql = str(select(booking_rules.blocks_slot_sql(date(2026, 11, 25), row)).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    assert all(f"'{s}'" in sql for s in booking_rules.NON_BLOCKING)
    assert booking_rules.override_allowed(" 理由 ", True) and not booking_rules.override_allowed(" ", True)
    assert not booking_rules.override_allowed("理由", False)


def test_a_plans_charge_rows_are_its_lines_made_open_by_its_author_when_it_was_booked():
    data = BookingInput(start=START, end=END, room_id=1, booker_kind="person", booker_name=" 山田 花子 ",
                        purpose="打合せ", attendees=2, equipment={9: 1})
    schedule, profile = _schedule(), load_default_profile()
    plan = plan_new_booking(data, actor_id=4, now=NOW, group=None,
                            quote=(schedule, profile, next(iter(schedule.room_fees)), {9: "プロジェクター"}, "general"))
    rows = plan.charge_rows(77)
    assert len(rows) == len(plan.charges) >= 2
    for row, line in zip(rows, plan.charges):
        assert (row["kind"], row["description"], row["quantity"], row["unit_price"], row["amount"], row["tax"]) == (
            line.kind, line.description, line.quantity, line.unit_price, line.amount, line.tax)
        assert (row["booking_id"], row["group_id"], row["payer_name"], row["status"]) == (77, None, "山田 花子", "open")
        assert (row["created_at"], row["created_by"]) == (NOW, 4)


def test_the_cancel_entry_names_the_booking_the_count_and_why():
    assert cancelled_summary("0000042", 2, booking_rules.BookingStatus.CANCELLED) == "予約0000042の未収金2件を取消（予約取消）"
    assert cancel_after(42, [7, 8]) == {"booking_id": 42, "cancelled": [7, 8]}
