from datetime import datetime, time

from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain.fees import (
    FeeLine,
    FeeSchedule,
    load_default_fees,
    room_fee_lines,
    stamp_duty,
    tax_summary,
    valid_invoice_number,
)
from booking_app.domain.profile import Period

PERIODS = (Period("午前", time(9), time(12)), Period("午後", time(13), time(17)), Period("夜間", time(18), time(22)))


def test_default_tables_load_and_round_trip():
    fees = load_default_fees()
    assert fees.room_fees["大会議室"]["general"]["午後"] == 2000
    assert FeeSchedule.from_dict(fees.to_dict()) == fees
    fees.validate()


def test_a_booking_pays_every_period_it_touches():
    fees = load_default_fees()
    day = datetime(2026, 12, 2)
    lines = room_fee_lines(fees, "大会議室", PERIODS, day.replace(hour=11), day.replace(hour=14), "general")
    assert [(l.description, l.amount) for l in lines] == [("大会議室 午前", 1500), ("大会議室 午後", 2000)]
    # the lunch gap alone is not free: it pays the following period; a member pays nothing
    gap = room_fee_lines(fees, "大会議室", PERIODS, day.replace(hour=12), day.replace(hour=13), "general")
    assert [(l.description, l.amount) for l in gap] == [("大会議室 午後", 2000)]
    assert sum(l.amount for l in room_fee_lines(fees, "大会議室", PERIODS, day.replace(hour=9),
                                                 day.replace(hour=22), "member")) == 0


def test_tax_is_rounded_once_per_rate():
    lines = [FeeLine("コピー 白黒", 3, 10), FeeLine("コピー 白黒", 1, 10), FeeLine("手数料", 1, 200, "exempt")]
    s = tax_summary(lines)
    assert (s.total, s.taxable10, s.tax10, s.exempt) == (240, 40, 3, 200)


@given(st.lists(st.tuples(st.integers(1, 50), st.integers(0, 5000), st.sampled_from(["taxable10", "exempt"])),
                max_size=20))
def test_tax_summary_adds_up(items):
    lines = [FeeLine("x", q, p, t) for q, p, t in items]
    s = tax_summary(lines)
    assert s.total == sum(l.amount for l in lines) == s.taxable10 + s.exempt
    assert 0 <= s.tax10 <= s.taxable10 / 11
    assert s.taxable10 * 10 // 110 == s.tax10


def test_stamp_duty_thresholds():
    assert stamp_duty(49_999, True) == 0
    assert stamp_duty(50_000, True) == 200
    assert stamp_duty(1_000_000, True) == 200
    assert stamp_duty(80_000, False) == 0


def test_stamp_duty_is_judged_without_the_tax_the_receipt_states():
    # Issue 13 item 12: ¥52,600 with ¥4,727 tax stated is ¥47,873 for stamp duty: no stamp.
    assert stamp_duty(52_600, True, tax_stated=4_727) == 0
    assert stamp_duty(55_000, True, tax_stated=5_000) == 200  # exactly ¥50,000 without tax
    assert stamp_duty(54_999, True, tax_stated=5_000) == 0
    assert stamp_duty(1_100_000, True, tax_stated=100_000) == 200  # ¥1,000,000 without tax


def test_the_error_messages_example_invoice_number_passes_its_own_check():
    # Issue 13 item 17: the example in the message (T1234567890123) failed its own check digit.
    import dataclasses
    import re

    import pytest

    from booking_app.domain.errors import ValidationError
    from booking_app.domain.fees import load_default_fees, valid_invoice_number

    schedule = load_default_fees()
    with pytest.raises(ValidationError) as refused:
        dataclasses.replace(schedule, invoice_number="T123").validate()
    example = re.search(r"例：(T\d{13})", refused.value.message).group(1)
    assert valid_invoice_number(example), example


def test_invoice_number_check_digit():
    body = "234567890123"
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(body), start=1))
    good = f"T{9 - total % 9}{body}"
    assert valid_invoice_number(good)
    wrong = f"T{(9 - total % 9 + 1) % 10}{body}"
    assert not valid_invoice_number(wrong)
    assert not valid_invoice_number("T123")
    assert not valid_invoice_number("1" * 14)
