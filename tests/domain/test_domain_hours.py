"""Opening rules: closures, holiday hours, half-open slots, booking windows."""

import dataclasses
import datetime as dt

import pytest

from booking_app.domain.hours import (
    check_slot,
    check_window,
    closure_reason,
    opening_hours,
    periods_for,
    window_end,
)
from booking_app.domain.profile import DateNote, load_default_profile

D, T, DT = dt.date, dt.time, dt.datetime


@pytest.fixture
def profile():
    return load_default_profile()


def test_year_end_closure_wraps_the_year(profile):
    assert closure_reason(profile, D(2026, 12, 28)) is None
    for d in (D(2026, 12, 29), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 3)):
        assert closure_reason(profile, d) == "年末年始休館"
        assert opening_hours(profile, d) is None
        assert periods_for(profile, d) == ()
    assert closure_reason(profile, D(2027, 1, 4)) is None


def test_open_date_overrides_closure(profile):
    p = dataclasses.replace(profile, open_dates=(DateNote(D(2026, 12, 29), "臨時開館"),))
    assert closure_reason(p, D(2026, 12, 29)) is None
    assert opening_hours(p, D(2026, 12, 29)) == (T(9), T(22))  # a Tuesday
    assert closure_reason(p, D(2026, 12, 30)) == "年末年始休館"


def test_temporary_closure_and_closed_weekday(profile):
    p = dataclasses.replace(
        profile,
        closed_dates=(DateNote(D(2026, 8, 17), "設備点検のため臨時休館"),),
        hours={**profile.hours, "wed": None},
    )
    assert closure_reason(p, D(2026, 8, 17)) == "設備点検のため臨時休館"
    assert closure_reason(p, D(2026, 11, 25)) == "定休日"  # Wednesday
    assert check_slot(p, DT(2026, 11, 25, 9), DT(2026, 11, 25, 12))[0].code == "closed"
    reopened = dataclasses.replace(p, open_dates=(DateNote(D(2026, 11, 25), "臨時開館"),))
    assert closure_reason(reopened, D(2026, 11, 25)) is None
    assert opening_hours(reopened, D(2026, 11, 25)) == (T(9), T(22))


def test_holiday_hours(profile):
    assert opening_hours(profile, D(2026, 11, 23)) == (T(9), T(18))  # 勤労感謝の日 (Mon)
    assert opening_hours(profile, D(2026, 11, 22)) == (T(9), T(18))  # Sunday
    assert opening_hours(profile, D(2026, 11, 24)) == (T(9), T(22))
    assert [p.name for p in periods_for(profile, D(2026, 11, 23))] == ["午前", "午後"]
    assert [p.name for p in periods_for(profile, D(2026, 11, 21))] == ["午前", "午後", "夜間"]  # Sat


def test_half_open_boundaries(profile):
    assert check_slot(profile, DT(2026, 11, 24, 9), DT(2026, 11, 24, 22)) == []
    assert check_slot(profile, DT(2026, 11, 22, 9), DT(2026, 11, 22, 18)) == []
    late = check_slot(profile, DT(2026, 11, 22, 17), DT(2026, 11, 22, 18, 30))
    assert [(b.code, b.message) for b in late] == [("hours", "開館時間（9:00〜18:00）外です")]
    early = check_slot(profile, DT(2026, 11, 24, 8, 30), DT(2026, 11, 24, 10))
    assert [b.code for b in early] == ["hours"]


def test_slot_order_multi_day_and_closed_messages(profile):
    assert [b.code for b in check_slot(profile, DT(2026, 11, 24, 12), DT(2026, 11, 24, 12))] == ["order"]
    assert check_slot(profile, DT(2026, 11, 24, 12), DT(2026, 11, 24, 9))[0].message == (
        "終了時刻は開始時刻より後にしてください"
    )
    assert "multi_day" in [b.code for b in check_slot(profile, DT(2026, 11, 24, 9), DT(2026, 11, 25, 10))]
    closed = check_slot(profile, DT(2026, 12, 30, 9), DT(2026, 12, 30, 12))
    assert [(b.code, b.message) for b in closed] == [
        ("closed", "2026年12月30日は年末年始休館のため予約できません")
    ]


def test_window_end(profile):
    assert window_end(profile, D(2026, 11, 25), True) == D(2027, 2, 28)
    assert window_end(profile, D(2026, 11, 25), False) == D(2026, 12, 31)
    assert window_end(profile, D(2026, 12, 1), False) == D(2027, 1, 31)
    assert window_end(profile, D(2027, 11, 30), True) == D(2028, 2, 29)


def test_check_window(profile):
    today = D(2026, 11, 25)
    assert check_window(profile, today, today, False) is None
    assert check_window(profile, today, D(2027, 2, 28), True) is None
    past = check_window(profile, today, D(2026, 11, 24), True)
    assert (past.code, past.message) == ("past", "過去の日付は予約できません")
    member = check_window(profile, today, D(2027, 3, 1), True)
    assert (member.code, member.message) == ("window", "登録団体の予約受付は2027年2月28日までです")
    general = check_window(profile, today, D(2027, 1, 1), False)
    assert general.message == "一般の予約受付は2026年12月31日までです"
