"""Usage slip data (利用票) from the database, on SQLite and PostgreSQL, and the print-slips command."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import select

from booking_app.domain.errors import NotFound, ValidationError
from booking_app.services import bookings as svc
from booking_app.services.slips import DEFAULT_RULES, slip_docs, slips_for_day
from booking_app.slips_cli import register_cli
from booking_app.store.models import Booking, BookingSeries, Charge


def _day_of_bookings(world: World) -> dict[str, int]:
    gid = world.make_group("ふくふく子ども食堂", valid_until=date(2027, 3, 31), reg_no="0012")
    ids = {
        "group": world.book(at(DAY, 13), at(DAY, 17), room="小会議室1", group_id=gid, purpose="定例会",
                            attendees=8, equipment=world.equip(プロジェクター=1, ホワイトボード=2)).id,
        "morning": world.book(at(DAY, 9), at(DAY, 12), room="大会議室", purpose="講演会", attendees=30).id,
        "cancelled": world.book(at(DAY, 13), at(DAY, 17), room="大会議室").id,
        "tomorrow": world.book(at(DAY + timedelta(days=1), 10), at(DAY + timedelta(days=1), 12)).id,
    }
    with world.write() as s:
        svc.cancel_booking(s, world.desk, ids["cancelled"], "都合により", now=NOW)
    ids["afternoon"] = world.book(at(DAY, 13), at(DAY, 15), room="大会議室", booker_name="佐藤一郎").id
    return ids


def test_slips_for_day_lists_the_live_bookings_by_time_and_room(world):
    ids = _day_of_bookings(world)
    with world.read() as s:
        docs = slips_for_day(s, DAY)
        assert [d.booking_id for d in docs] == [ids["morning"], ids["afternoon"], ids["group"]]
        assert slips_for_day(s, DAY - timedelta(days=1)) == []
        assert [d.booking_id for d in slips_for_day(s, DAY + timedelta(days=1))] == [ids["tomorrow"]]
    group = docs[2]
    assert group.booking_no == f"{ids['group']:07d}"
    assert (group.room_name, group.start, group.end) == ("小会議室1", at(DAY, 13), at(DAY, 17))
    assert (group.booker_name, group.group_reg_no) == ("ふくふく子ども食堂", "0012")
    assert (group.purpose, group.attendees, group.status_label) == ("定例会", 8, "確定")
    assert group.equipment == ("プロジェクター 1台", "ホワイトボード 2台")
    assert group.rules == DEFAULT_RULES and group.series_summary == ""
    assert group.issuer.centre_name == "しものせき市民活動センター"
    assert docs[1].booker_name == "佐藤一郎" and docs[1].group_reg_no is None


def test_fee_total_counts_open_and_paid_charges_only(world):
    ids = _day_of_bookings(world)
    bid = ids["morning"]
    with world.write() as s:
        # Whatever the fee service charged on booking, plus a paid and a cancelled line of our own.
        before = sum(c.amount for c in s.scalars(select(Charge).where(Charge.booking_id == bid,
                                                                      Charge.status.in_(("open", "paid")))))
        for status, amount in (("paid", 700), ("cancelled", 5000)):
            s.add(Charge(booking_id=bid, payer_name="山田花子", kind="item", description="テスト", quantity=1,
                         unit_price=amount, amount=amount, tax="taxable10", status=status, created_at=NOW,
                         created_by=world.desk.id))
    with world.read() as s:
        docs = {d.booking_id: d for d in slips_for_day(s, DAY)}
    assert docs[bid].fee_total == before + 700


def test_slip_docs_keeps_the_order_given_and_names_what_is_missing(world):
    ids = _day_of_bookings(world)
    with world.write() as s:
        series = BookingSeries(rule={}, summary="毎週水曜 13:00〜17:00", created_at=NOW, created_by=world.desk.id)
        s.add(series)
        s.flush()
        for bid in (ids["group"], ids["tomorrow"]):
            s.get(Booking, bid).series_id = series.id
    with world.read() as s:
        docs = slip_docs(s, [ids["tomorrow"], ids["group"], ids["tomorrow"]])
        assert [d.booking_id for d in docs] == [ids["tomorrow"], ids["group"]]
        assert docs[1].series_summary == "毎週水曜 13:00〜17:00（全2回中1回目）"
        assert docs[0].series_summary == "毎週水曜 13:00〜17:00（全2回中2回目）"
        # A cancelled booking can still have its slip printed on demand.
        assert slip_docs(s, [ids["cancelled"]])[0].status_label == "取消"
        with pytest.raises(NotFound) as err:
            slip_docs(s, [ids["group"], 999999])
        assert "0999999" in err.value.message
        with pytest.raises(ValidationError):
            slip_docs(s, [])


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fukufuku-desk")
    register_cli(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_print_slips_command_writes_the_days_slips(world, tmp_path, capsys):
    ids = _day_of_bookings(world)
    out = tmp_path / "slips" / "利用票.pdf"
    args = _parse(["print-slips", "--date", DAY.isoformat(), "-o", str(out), "--layout", "A4"])
    assert args.handler(args, world.engine, world.desk) == 0
    assert out.read_bytes().startswith(b"%PDF")
    said = capsys.readouterr().out
    assert "2026年12月2日(水)の利用票を3件書き出しました（A4・2ページ）" in said
    assert ids  # three live bookings that day

    empty = tmp_path / "none.pdf"
    args = _parse(["print-slips", "--date", "2026-12-04", "-o", str(empty)])
    assert args.handler(args, world.engine, world.desk) == 0
    assert not empty.exists()
    assert "2026年12月4日(金)の予約はありません。利用票は作成しませんでした。" in capsys.readouterr().out


def test_print_slips_refuses_a_bad_date(capsys):
    with pytest.raises(SystemExit):
        _parse(["print-slips", "--date", "12月", "-o", "x.pdf"])
    assert "YYYY-MM-DD" in capsys.readouterr().err
