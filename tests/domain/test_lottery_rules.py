"""The lottery's rules (抽選の規則, issue 18): the monthly cycle's dates with their exact boundaries, the
limits, the no-show bar, and the settings' checks."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain import lottery_rules as lr
from booking_app.domain.booking_rules import hold_lapsed
from booking_app.domain.errors import RuleError, ValidationError
from booking_app.domain.lottery_rules import LotteryRules
from booking_app.domain.profile import load_default_profile

D = dt.date
RULES = LotteryRules()  # the shipped defaults: entries 1st–10th of M for M+3, draw 15th, confirm +14, 先着 20th
MARCH = D(2027, 3, 1)  # a lottery month whose entry month (2026-12) is in the year before


def test_the_profile_ships_the_documented_defaults():
    profile = load_default_profile()
    rules = lr.lottery_rules(profile)
    assert rules == RULES
    assert rules.rooms == ("大会議室", "多目的交流ホール")
    assert set(rules.rooms) <= {r.name for r in profile.rooms}  # the names are the shipped rooms'
    assert (rules.months_ahead, rules.entry_open_day, rules.entry_close_day, rules.draw_day) == (3, 1, 10, 15)
    assert (rules.confirm_days, rules.first_come_day) == (14, 20)
    assert (rules.max_entries_per_group, rules.max_wins_per_group) == (6, 4)
    assert (rules.no_show_limit, rules.no_show_months) == (2, 3)
    rules.validate(room_names=[r.name for r in profile.rooms])


def test_cycle_of_a_month_across_the_year_end():
    assert lr.entry_month(RULES, D(2027, 3, 17)) == D(2026, 12, 1)
    assert lr.entry_window(RULES, D(2027, 3, 31)) == (D(2026, 12, 1), D(2026, 12, 10))
    assert lr.draw_date(RULES, MARCH) == D(2026, 12, 15)
    assert lr.confirm_by(RULES, MARCH) == D(2026, 12, 29)
    assert lr.first_come_from(RULES, MARCH) == D(2026, 12, 20)
    assert lr.cycle(RULES, D(2027, 3, 9)) == lr.LotteryCycle(
        MARCH, D(2026, 12, 1), D(2026, 12, 10), D(2026, 12, 15), D(2026, 12, 29), D(2026, 12, 20))


@pytest.mark.parametrize("today,expected", [
    (D(2026, 11, 30), None),          # the day before the window
    (D(2026, 12, 1), MARCH),          # its first day
    (D(2026, 12, 10), MARCH),         # its last day
    (D(2026, 12, 11), None),          # the day after
    (D(2026, 12, 15), None),          # the draw day takes no entries
    (D(2027, 1, 1), D(2027, 4, 1)),
])
def test_target_month_on_the_window_edges(today, expected):
    assert lr.target_month(RULES, today) == expected


@pytest.mark.parametrize("today,ok", [(D(2026, 11, 30), False), (D(2026, 12, 1), True), (D(2026, 12, 10), True),
                                      (D(2026, 12, 11), False)])
def test_check_entry_window_edges(today, ok):
    use_day = D(2027, 3, 20)
    if ok:
        lr.check_entry_window(RULES, today, use_day)
    else:
        with pytest.raises(RuleError) as info:
            lr.check_entry_window(RULES, today, use_day)
        assert info.value.message == "2027年3月分の抽選の申込は2026年12月1日から2026年12月10日までです"
        assert info.value.field == "date"


def test_a_draw_day_the_month_lacks_is_its_last_day():
    end = dataclasses.replace(RULES, draw_day=31)
    # entry month = lottery month − 3
    assert lr.draw_date(end, D(2027, 5, 1)) == D(2027, 2, 28)   # common February
    assert lr.draw_date(end, D(2028, 5, 1)) == D(2028, 2, 29)   # leap February
    assert lr.draw_date(end, D(2027, 7, 1)) == D(2027, 4, 30)   # a 30-day month
    assert lr.draw_date(end, D(2027, 4, 1)) == D(2027, 1, 31)   # a 31-day month keeps the 31st
    assert lr.day_in_month(D(2100, 2, 1), 29) == D(2100, 2, 28)  # 2100 is not a leap year
    assert lr.day_in_month(D(2000, 2, 1), 29) == D(2000, 2, 29)  # 2000 is


def test_the_window_ends_on_the_months_last_day_when_close_day_is_31():
    rules = dataclasses.replace(RULES, entry_close_day=31, draw_day=31, first_come_day=31)  # functions only
    assert lr.entry_window(rules, D(2028, 5, 1)) == (D(2028, 2, 1), D(2028, 2, 29))
    assert lr.target_month(rules, D(2028, 2, 29)) == D(2028, 5, 1)
    assert lr.target_month(rules, D(2028, 3, 1)) == D(2028, 6, 1)


def test_confirm_by_is_the_hold_until_of_the_won_tentative_booking():
    last = lr.confirm_by(RULES, MARCH)
    assert not hold_lapsed("tentative", last, last)                       # held through confirm_by
    assert hold_lapsed("tentative", last, last + dt.timedelta(days=1))    # free the day after


def test_first_come_opens_on_its_day_for_lottery_rooms_only():
    use_day = D(2027, 3, 5)
    with pytest.raises(RuleError) as info:
        lr.check_first_come(RULES, "大会議室", use_day, D(2026, 12, 19))
    assert info.value.message == (
        "大会議室の2027年3月分は抽選で決まります。抽選の申込は2026年12月1日〜2026年12月10日、"
        "先着順の受付は2026年12月20日からです")
    assert info.value.field == "room"
    lr.check_first_come(RULES, "大会議室", use_day, D(2026, 12, 20))
    lr.check_first_come(RULES, "小会議室1", use_day, D(2026, 12, 1))  # not a lottery room
    assert lr.is_lottery_room(RULES, "多目的交流ホール") and not lr.is_lottery_room(RULES, "大会議")


@pytest.mark.parametrize("so_far,adding,ok", [(0, 6, True), (5, 1, True), (6, 1, False), (5, 2, False), (0, 7, False)])
def test_entry_limit_edges(so_far, adding, ok):
    if ok:
        lr.check_entry_limits(RULES, so_far, adding)
        return
    with pytest.raises(RuleError) as info:
        lr.check_entry_limits(RULES, so_far, adding)
    assert info.value.message.startswith("抽選の申込は1団体につき月6件までです")
    assert f"申込済み{so_far}件、あと{max(6 - so_far, 0)}件" in info.value.message
    assert info.value.field == "entries"


def test_wins_left():
    assert [lr.wins_left(RULES, n) for n in (0, 3, 4, 5)] == [4, 1, 0, 0]


# --- no-shows: for March 2027 (entries in December 2026) the three months before are September–November

def test_no_show_span_is_the_whole_months_before_the_entry_month():
    assert lr.no_show_span(RULES, MARCH) == (D(2026, 9, 1), D(2026, 11, 30))
    # a leap February closes the span of June 2028 (entries in March 2028)
    assert lr.no_show_span(RULES, D(2028, 6, 1)) == (D(2027, 12, 1), D(2028, 2, 29))


@pytest.mark.parametrize("dates,barred", [
    ([D(2026, 9, 1), D(2026, 11, 30)], True),    # both edges count
    ([D(2026, 8, 31), D(2026, 11, 30)], False),  # the day before the span does not
    ([D(2026, 10, 5), D(2026, 12, 1)], False),   # nor the entry month itself
    ([D(2026, 10, 5)], False),                   # one is under the limit
    ([D(2026, 9, 1), D(2026, 9, 1), D(2026, 10, 1)], True),
])
def test_no_show_bar_edges(dates, barred):
    assert lr.barred_by_no_shows(RULES, dates, MARCH) is barred
    assert (lr.no_show_reason(RULES, dates, MARCH) is not None) is barred


def test_no_show_reason_text_and_check():
    dates = [D(2026, 9, 1), D(2026, 11, 30)]
    text = "2026年9月〜2026年11月に無断キャンセルが2回あるため（3か月に2回以上）、2027年3月分の抽選には申し込めません"
    assert lr.no_show_reason(RULES, dates, MARCH) == text
    with pytest.raises(RuleError) as info:
        lr.check_no_shows(RULES, iter(dates), MARCH)  # any iterable, read once
    assert info.value.message == text and info.value.field == "group"
    lr.check_no_shows(RULES, [D(2026, 9, 1)], MARCH)


def test_a_leap_day_no_show_counts_and_limit_zero_turns_the_rule_off():
    dates = [D(2027, 12, 1), D(2028, 2, 29)]
    assert lr.barred_by_no_shows(RULES, dates, D(2028, 6, 1))
    assert not lr.barred_by_no_shows(dataclasses.replace(RULES, no_show_limit=0), dates, D(2028, 6, 1))


# --- the settings' checks

@pytest.mark.parametrize("changes,field,part", [
    ({"months_ahead": 0}, "lottery.months_ahead", "1以上"),
    ({"entry_open_day": 0}, "lottery.entry_open_day", "1〜31日"),
    ({"draw_day": 32}, "lottery.draw_day", "1〜31日"),
    ({"entry_open_day": 11}, "lottery.entry_close_day", "申込開始日"),
    ({"draw_day": 10}, "lottery.draw_day", "申込締切日"),
    ({"entry_close_day": 28, "draw_day": 31, "first_come_day": 31}, "lottery.draw_day", "28日の月"),
    ({"first_come_day": 15}, "lottery.first_come_day", "抽選日"),
    ({"draw_day": 28, "first_come_day": 30}, "lottery.first_come_day", "抽選日"),  # both the 28th in February
    ({"max_entries_per_group": 0}, "lottery.max_entries_per_group", "1以上"),
    ({"max_wins_per_group": 7}, "lottery.max_wins_per_group", "申込上限"),
    ({"no_show_limit": -1}, "lottery.no_show_limit", "0以上"),
    ({"no_show_months": 0}, "lottery.no_show_months", "1以上"),
    ({"confirm_days": -1}, "lottery.confirm_days", "0以上"),
    ({"rooms": ("大会議室", "大会議室")}, "lottery.rooms", "重複"),
])
def test_bad_settings_are_refused_naming_the_field(changes, field, part):
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(RULES, **changes).validate()
    assert info.value.field == field
    assert part in info.value.message


def test_confirm_by_must_fall_before_the_month_of_use():
    # One month ahead, draw on the 15th: a 28-day February leaves 13 days before March begins.
    near = dataclasses.replace(RULES, months_ahead=1, confirm_days=13)
    near.validate()
    assert lr.confirm_by(near, D(2027, 3, 1)) == D(2027, 2, 28)
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(near, confirm_days=14).validate()
    assert info.value.field == "lottery.confirm_days" and "利用月の初日を過ぎます" in info.value.message


def test_lottery_rooms_checked_against_the_rooms_table_names():
    RULES.validate(room_names=["大会議室", "多目的交流ホール", "作業室"])
    with pytest.raises(ValidationError) as info:
        RULES.validate(room_names=["大会議室A", "多目的交流ホール"])
    assert info.value.field == "lottery.rooms" and "「大会議室」という部屋はありません" in info.value.message


def test_from_dict_round_trip_missing_keys_and_bad_values():
    rules = dataclasses.replace(RULES, rooms=("作業室",), draw_day=16, no_show_limit=0)
    assert LotteryRules.from_dict(rules.to_dict()) == rules
    assert LotteryRules.from_dict({"draw_day": 16}, base=rules) == rules  # the rest from the base
    assert LotteryRules.from_dict({"draw_day": None}, base=rules).draw_day == 16
    for bad, field in (({"draw_day": "十五"}, "lottery.draw_day"), ({"draw_day": True}, "lottery.draw_day"),
                       ({"rooms": "大会議室"}, "lottery.rooms"), ({"rooms": [1]}, "lottery.rooms")):
        with pytest.raises(ValidationError) as info:
            LotteryRules.from_dict(bad)
        assert info.value.field == field


# --- properties over all valid settings and days

@st.composite
def valid_rules(draw):
    """Settings that pass validate(): the days in order in a 28-day month (a first-come day of 28–31 is
    the 28th in February), then any lead time and confirm period that keeps confirm_by before the month."""
    open_ = draw(st.integers(1, 26))
    close = draw(st.integers(open_, 26))
    draw_day = draw(st.integers(close + 1, 27))
    first = draw(st.integers(draw_day + 1, 31))
    rules = LotteryRules(months_ahead=draw(st.integers(1, 6)), entry_open_day=open_, entry_close_day=close,
                         draw_day=draw_day, confirm_days=draw(st.integers(0, 40)), first_come_day=first)
    return draw(st.just(rules).filter(_valid))


def _valid(rules: LotteryRules) -> bool:
    try:
        rules.validate()
    except ValidationError:
        return False
    return True


@given(rules=valid_rules(), today=st.dates(D(1999, 1, 1), D(2101, 12, 31)))
def test_target_month_is_exactly_the_month_whose_window_holds_today(rules, today):
    month = lr.target_month(rules, today)
    candidate = lr.add_months(today, rules.months_ahead)
    first, last = lr.entry_window(rules, candidate)
    assert (month is not None) == (first <= today <= last)
    if month is not None:
        assert month == candidate and month.day == 1


@given(rules=valid_rules(), month=st.dates(D(1999, 1, 1), D(2101, 12, 31)))
def test_every_valid_cycle_is_in_order_and_ends_before_its_month(rules, month):
    c = lr.cycle(rules, month)
    assert c.entry_open <= c.entry_close < c.draw < c.first_come_from
    assert c.draw <= c.confirm_by < c.month
    assert lr.entry_month(rules, month) == c.entry_open.replace(day=1) == c.first_come_from.replace(day=1)
