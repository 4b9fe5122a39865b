"""Usage slip data (利用票) from the database, on SQLite and PostgreSQL, and the print-slips command."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import select

from booking_app.domain.errors import NotFound, ValidationError
from booking_app.services import bookings as svc
from booking_app.services.slips import CONTACT_RULE, DEFAULT_RULES, rules_for, slip_docs, slips_for_day
from booking_app.cli.slips import register as register_cli
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
    assert group.rules == rules_for(group.issuer) and group.series_summary == ""
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


def test_the_slip_says_whether_the_fee_is_paid_and_by_which_receipt(world):
    """Issue 13, item 9: the slip showed the fee but not whether it was paid."""
    from booking_app.reports.slip_pdf import payment_text
    from booking_app.services import payments as pay

    ids = _day_of_bookings(world)
    with world.read() as s:
        docs = {d.booking_id: d for d in slips_for_day(s, DAY)}
    morning, group = docs[ids["morning"]], docs[ids["group"]]
    assert (morning.fee_total, morning.fee_paid, morning.receipt_nos) == (1500, 0, ())
    assert payment_text(morning) == "未払"
    assert group.fee_total == 0 and payment_text(group) == ""  # a member's free room: nothing to pay
    with world.write() as s:
        charge_ids = [c.id for c in pay.open_charges(s, booking_id=ids["morning"])]
        r = pay.take_payment(s, world.desk, charge_ids, payer_name="山田花子", purpose="施設使用料として", now=NOW,
                             terminal="受付1")
    with world.read() as s:
        (doc,) = slip_docs(s, [ids["morning"]])
    assert (doc.fee_total, doc.fee_paid, doc.receipt_nos) == (1500, 1500, (r.receipt_no,))
    assert payment_text(doc) == f"支払済（領収書 {r.receipt_no}）"
    # The booking grows after payment: the difference is owed, the receipt still named.
    with world.write() as s:
        s.add(Charge(booking_id=ids["morning"], payer_name="山田花子", kind="room", description="差額", quantity=1,
                     unit_price=500, amount=500, tax="taxable10", status="open", created_at=NOW,
                     created_by=world.desk.id))
    with world.read() as s:
        (doc,) = slip_docs(s, [ids["morning"]])
    assert payment_text(doc) == f"一部未払 ¥500（支払済 ¥1,500：領収書 {r.receipt_no}）"


def test_the_contact_rule_names_the_centres_phone(world):
    """Issue 13, item 9: 「窓口か電話で」 with no number anywhere near it."""
    from dataclasses import replace

    from booking_app.services import centre

    assert CONTACT_RULE in DEFAULT_RULES
    ids = _day_of_bookings(world)
    with world.read() as s:
        (doc,) = slip_docs(s, [ids["morning"]])
    assert CONTACT_RULE not in doc.rules and "取消・変更は前日までに窓口でご連絡ください。" in doc.rules  # no phone set
    with world.write() as s:
        centre.save_profile(s, world.manager, replace(centre.get_profile(s), phone="083-000-0000"), now=NOW)
    with world.read() as s:
        (doc,) = slip_docs(s, [ids["morning"]])
    assert "取消・変更は前日までに窓口か電話（083-000-0000）でご連絡ください。" in doc.rules
    assert len(doc.rules) == len(DEFAULT_RULES)
