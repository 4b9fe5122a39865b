"""Japanese calendar conventions: 和暦, holidays, fiscal year, parsing of typed dates/times."""

import datetime as dt

import pytest

from booking_app.domain.japanese_calendar import (
    day_kind,
    fiscal_year,
    fiscal_year_label,
    fiscal_year_range,
    format_both,
    format_long,
    format_slash,
    holiday_name,
    parse_date_ja,
    parse_time_ja,
    wareki,
    wareki_year,
    weekday_ja,
)
from booking_app.domain.errors import DomainError, ValidationError

D = dt.date


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2019, 4, 30), "平成31年4月30日"),
        (D(2019, 5, 1), "令和元年5月1日"),
        (D(2020, 1, 1), "令和2年1月1日"),
        (D(2026, 11, 22), "令和8年11月22日"),
        (D(1989, 1, 7), "昭和64年1月7日"),
        (D(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_wareki_era_boundaries(d, expected):
    assert wareki(d) == expected


def test_formats():
    d = D(2026, 11, 22)
    assert wareki_year(d) == "令和8年"
    assert format_long(d) == "令和8年11月22日(日)"
    assert format_both(d) == "2026年11月22日(日) 令和8年"
    assert format_slash(d) == "2026/11/22"
    assert format_slash(D(2026, 4, 1)) == "2026/04/01"
    assert weekday_ja(d) == "日"
    assert weekday_ja(D(2026, 11, 23)) == "月"


def test_holidays_include_substitute_and_citizens_holiday():
    assert holiday_name(D(2026, 9, 22)) == "国民の休日"
    assert holiday_name(D(2026, 5, 6)) == "振替休日"  # 憲法記念日 on Sunday 5/3
    assert holiday_name(D(2026, 11, 3)) == "文化の日"
    assert holiday_name(D(2026, 11, 24)) is None


def test_day_kind():
    assert day_kind(D(2026, 11, 24)) == "weekday"  # Tuesday
    assert day_kind(D(2026, 11, 21)) == "saturday"
    assert day_kind(D(2026, 11, 22)) == "sunday_holiday"
    assert day_kind(D(2026, 11, 23)) == "sunday_holiday"  # 勤労感謝の日, a Monday
    assert day_kind(D(2027, 1, 2)) == "saturday"
    assert day_kind(D(2026, 11, 25), extra_holidays=[D(2026, 11, 25)]) == "sunday_holiday"


def test_holiday_on_saturday_is_sunday_holiday():
    # 2028-04-29 (昭和の日) falls on a Saturday
    d = D(2028, 4, 29)
    assert d.weekday() == 5 and holiday_name(d) is not None
    assert day_kind(d) == "sunday_holiday"


@pytest.mark.parametrize(
    ("d", "fy"),
    [(D(2026, 4, 1), 2026), (D(2027, 3, 31), 2026), (D(2026, 3, 31), 2025), (D(2026, 12, 31), 2026)],
)
def test_fiscal_year(d, fy):
    assert fiscal_year(d) == fy


def test_fiscal_year_range_and_label():
    assert fiscal_year_range(2026) == (D(2026, 4, 1), D(2027, 3, 31))
    assert fiscal_year_label(2026) == "令和8年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2018) == "平成30年度"


@pytest.mark.parametrize(
    "text",
    [
        "2026/04/01", "2026-04-01", "2026年4月1日", "R8.4.1", "R8/4/1", "r8.4.1", "令和8年4月1日",
        "２０２６/０４/０１", "２０２６年４月１日", "Ｒ８．４．１", " 2026/4/1 ", "2026年4月1日(水)", "20260401",
    ],
)
def test_parse_date_forms(text):
    assert parse_date_ja(text) == D(2026, 4, 1)


def test_parse_date_older_eras():
    assert parse_date_ja("平成27年4月1日") == D(2015, 4, 1)
    assert parse_date_ja("H27.4.1") == D(2015, 4, 1)
    assert parse_date_ja("令和元年5月1日") == D(2019, 5, 1)
    assert parse_date_ja("S64.1.7") == D(1989, 1, 7)


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "2026/02/30", "2026/13/01", "R8.4", "令和1年4月30日", "R0.1.1", "X8.4.1"]
)
def test_parse_date_nonsense(text):
    with pytest.raises(ValidationError) as info:
        parse_date_ja(text)
    assert info.value.field == "date"
    assert any("\u3040" <= ch <= "\u9fff" for ch in info.value.message)  # Japanese text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9:00", dt.time(9)), ("09:00", dt.time(9)), ("９：００", dt.time(9)), ("21時30分", dt.time(21, 30)),
     ("21時", dt.time(21)), ("9時半", dt.time(9, 30)), ("0930", dt.time(9, 30))],
)
def test_parse_time(text, expected):
    assert parse_time_ja(text) == expected


@pytest.mark.parametrize("text", ["", "25:00", "9:60", "noon", "9"])
def test_parse_time_nonsense(text):
    with pytest.raises(ValidationError):
        parse_time_ja(text)


def test_error_hierarchy():
    err = ValidationError("日付を入力してください", "date")
    assert isinstance(err, DomainError)
    assert err.message == "日付を入力してください" and err.field == "date"
    assert str(err) == "日付を入力してください"
