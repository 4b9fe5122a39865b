"""Recurring series: expansion, short months, descriptions, limits, property tests."""

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking_app.domain.errors import ValidationError
from booking_app.domain.hours import closure_reason
from booking_app.domain.profile import load_default_profile
from booking_app.domain.recurrence import (
    MAX_OCCURRENCES,
    Occurrence,
    RecurrenceRule,
    describe_ja,
    expand,
)

D = dt.date


def dates(rule):
    return [o.date for o in expand(rule)]


def test_every_two_weeks_over_42_days():
    rule = RecurrenceRule("weekly", D(2026, 11, 25), until=D(2027, 1, 6), weekdays=(2,), interval=2)
    assert dates(rule) == [D(2026, 11, 25), D(2026, 12, 9), D(2026, 12, 23), D(2027, 1, 6)]


def test_second_tuesday_over_a_year():
    rule = RecurrenceRule("monthly_nth", D(2026, 4, 1), until=D(2027, 3, 31), nth=2, weekday=1)
    result = dates(rule)
    assert len(result) == 12
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in result)
    assert describe_ja(rule) == "毎月第2火曜 2026/04/01〜2027/03/31"


def test_last_friday():
    rule = RecurrenceRule("monthly_nth", D(2026, 11, 1), count=4, nth=-1, weekday=4)
    assert dates(rule) == [D(2026, 11, 27), D(2026, 12, 25), D(2027, 1, 29), D(2027, 2, 26)]
    assert describe_ja(rule) == "毎月最終金曜（4回）"


def test_fifth_weekday_skips_short_months():
    rule = RecurrenceRule("monthly_nth", D(2026, 4, 1), until=D(2026, 9, 30), nth=5, weekday=3)
    result = dates(rule)
    assert result == [D(2026, 4, 30), D(2026, 7, 30)]
    assert all(d.day >= 29 for d in result)


def test_monthly_31st_is_clamped_with_note():
    rule = RecurrenceRule("monthly_date", D(2026, 4, 1), until=D(2027, 3, 31), day=31)
    result = expand(rule)
    assert len(result) == 12
    assert result[0] == Occurrence(D(2026, 4, 30), "月末に調整（31日がないため）")
    assert Occurrence(D(2027, 2, 28), "月末に調整（31日がないため）") in result
    assert Occurrence(D(2026, 5, 31), "") in result
    clamped = [o.date.month for o in result if o.note]
    assert clamped == [4, 6, 9, 11, 2]


def test_monthly_date_starts_after_start():
    rule = RecurrenceRule("monthly_date", D(2026, 11, 25), count=3, day=15)
    assert dates(rule) == [D(2026, 12, 15), D(2027, 1, 15), D(2027, 2, 15)]


def test_weekly_mon_thu_count_10():
    rule = RecurrenceRule("weekly", D(2026, 11, 23), count=10, weekdays=(0, 3))
    result = dates(rule)
    assert len(result) == 10
    assert result[0] == D(2026, 11, 23)
    assert {d.weekday() for d in result} == {0, 3}
    assert describe_ja(rule) == "毎週 月・木曜（10回）"


def test_weekly_series_across_year_end_is_judged_by_closures():
    profile = load_default_profile()
    rule = RecurrenceRule("weekly", D(2026, 12, 2), until=D(2027, 1, 13), weekdays=(2,))
    result = dates(rule)
    # the expansion itself does not know about closures
    assert D(2026, 12, 30) in result
    closed = {d: closure_reason(profile, d) for d in result if closure_reason(profile, d)}
    assert closed == {D(2026, 12, 30): "年末年始休館"}
    assert len(result) - len(closed) == 6


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (RecurrenceRule("weekly", D(2026, 12, 1), count=5, weekdays=(2,)), "毎週水曜（5回）"),
        (RecurrenceRule("weekly", D(2026, 12, 1), until=D(2027, 3, 31), weekdays=(3, 1)),
         "毎週 火・木曜 2026/12/01〜2027/03/31"),
        (RecurrenceRule("weekly", D(2026, 12, 1), count=5, weekdays=(2,), interval=2), "隔週 水曜（5回）"),
        (RecurrenceRule("weekly", D(2026, 12, 1), count=5, weekdays=(2,), interval=3), "3週ごと 水曜（5回）"),
        (RecurrenceRule("monthly_date", D(2026, 12, 1), count=5, day=15), "毎月15日（5回）"),
        (RecurrenceRule("monthly_nth", D(2026, 12, 1), count=5, nth=1, weekday=0, interval=2),
         "2か月ごと 第1月曜（5回）"),
        (RecurrenceRule("dates", D(2026, 12, 1), dates=tuple(D(2026, 12, d) for d in (1, 3, 5, 8, 9))),
         "日付指定（5日）"),
    ],
)
def test_describe_ja(rule, text):
    assert describe_ja(rule) == text


def test_dates_kind_sorted_unique_and_bounded():
    rule = RecurrenceRule(
        "dates", D(2026, 12, 1), until=D(2026, 12, 31),
        dates=(D(2026, 12, 9), D(2026, 11, 30), D(2026, 12, 3), D(2026, 12, 9), D(2027, 1, 5)),
    )
    assert dates(rule) == [D(2026, 12, 3), D(2026, 12, 9)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(kind="weekly", weekdays=(2,)), "recurrence.until"),  # neither until nor count
        (dict(kind="weekly", weekdays=(2,), until=D(2026, 11, 1)), "recurrence.until"),
        (dict(kind="weekly", weekdays=(), count=3), "recurrence.weekdays"),
        (dict(kind="monthly_nth", nth=6, weekday=1, count=3), "recurrence.nth"),
        (dict(kind="monthly_nth", nth=0, weekday=1, count=3), "recurrence.nth"),
        (dict(kind="monthly_date", day=32, count=3), "recurrence.day"),
        (dict(kind="weekly", weekdays=(2,), until=D(2030, 1, 1)), "recurrence.until"),  # > 3 years
        (dict(kind="weekly", weekdays=(2,), count=MAX_OCCURRENCES + 1), "recurrence.count"),
        (dict(kind="monthly_date", day=1, count=40), "recurrence.count"),  # 40 months > 3 years
        (dict(kind="dates"), "recurrence.dates"),
    ],
)
def test_validation_errors(kwargs, field):
    rule = RecurrenceRule(start=D(2026, 12, 1), **kwargs)
    with pytest.raises(ValidationError) as info:
        rule.validate()
    assert info.value.field == field
    with pytest.raises(ValidationError):
        expand(rule)


def test_too_many_occurrences():
    rule = RecurrenceRule("weekly", D(2026, 12, 1), until=D(2028, 11, 30), weekdays=(0, 1, 2, 3, 4))
    with pytest.raises(ValidationError, match="366"):
        expand(rule)


def test_round_trip():
    for rule in (
        RecurrenceRule("weekly", D(2026, 12, 1), until=D(2027, 3, 31), weekdays=(1, 3), interval=2),
        RecurrenceRule("monthly_nth", D(2026, 12, 1), count=10, nth=-1, weekday=4),
        RecurrenceRule("dates", D(2026, 12, 1), dates=(D(2026, 12, 5), D(2027, 1, 9))),
    ):
        assert RecurrenceRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    with pytest.raises(ValidationError):
        RecurrenceRule.from_dict({"kind": "yearly", "start": "2026-12-01"})


# --- properties -----------------------------------------------------------------------------------

starts = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    weekdays=st.sets(st.integers(0, 6), min_size=1).map(lambda s: tuple(sorted(s))),
    interval=st.integers(1, 3),
    span=st.integers(0, 400),
    count=st.one_of(st.none(), st.integers(1, 50)),
)
def test_weekly_properties(start, weekdays, interval, span, count):
    until = start + dt.timedelta(days=span)
    rule = RecurrenceRule("weekly", start, until=until, count=count, weekdays=weekdays, interval=interval)
    try:
        result = dates(rule)
    except ValidationError:
        assert not count and len(weekdays) * span / 7 / interval > MAX_OCCURRENCES - 7
        return
    assert all(d.weekday() in weekdays for d in result)
    assert all(a < b for a, b in zip(result, result[1:]))
    assert all(start <= d <= until for d in result)
    if count is not None:
        assert len(result) <= count
    # every chosen weekday in the first week at or after start is included (when before until)
    first_week = [start + dt.timedelta(days=i) for i in range(7 - start.weekday())]
    expected_first = [d for d in first_week if d.weekday() in weekdays and d <= until]
    assert result[: len(expected_first)] == expected_first[: count or None]


@settings(max_examples=100, deadline=None)
@given(start=starts, weekdays=st.sets(st.integers(0, 6), min_size=1), count=st.integers(1, 50),
       interval=st.integers(1, 3))
def test_weekly_count_respected(start, weekdays, count, interval):
    rule = RecurrenceRule("weekly", start, count=count, weekdays=tuple(weekdays), interval=interval)
    assert len(dates(rule)) == count


@settings(max_examples=200, deadline=None)
@given(start=starts, nth=st.sampled_from([1, 2, 3, 4, 5, -1]), weekday=st.integers(0, 6),
       count=st.integers(1, 17), interval=st.integers(1, 2))
def test_monthly_nth_in_the_right_week(start, nth, weekday, count, interval):
    rule = RecurrenceRule("monthly_nth", start, count=count, nth=nth, weekday=weekday, interval=interval)
    try:
        result = dates(rule)
    except ValidationError:
        # only a rare 5th weekday can need more than 3 years to reach the count
        assert nth == 5
        return
    assert len(result) == count
    for d in result:
        assert d.weekday() == weekday and d >= start
        if nth == -1:
            assert (d + dt.timedelta(days=7)).month != d.month
        else:
            assert (d.day - 1) // 7 + 1 == nth
    assert all(a < b for a, b in zip(result, result[1:]))
