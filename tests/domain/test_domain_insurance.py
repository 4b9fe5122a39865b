from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain.errors import ValidationError
from booking_app.domain.insurance import (
    Plan,
    check_event_kind,
    cover_end,
    cover_start,
    default_plans,
    judge_cover,
    premium,
    report_deadline,
)

PLANS = {p.code: p for p in default_plans()}


def test_defaults_follow_domain_md():
    assert PLANS["VOL-BASIC"].premium == 350 and PLANS["VOL-DISASTER"].premium == 500
    assert (PLANS["EVT-A1"].premium, PLANS["EVT-A1"].minimum_premium) == (28, 560)
    assert (PLANS["EVT-A2"].premium, PLANS["EVT-A2"].minimum_premium) == (126, 2520)
    assert (PLANS["EVT-A3"].premium, PLANS["EVT-A3"].minimum_premium) == (248, 4960)
    assert PLANS["EVT-B"].trip_premiums[1] == 239 and PLANS["EVT-B"].trip_premiums[20] == 863
    for p in PLANS.values():
        p.validate()
        assert Plan.from_dict(p.to_dict()) == p


def test_minimums_and_person_days():
    a1 = PLANS["EVT-A1"]
    assert premium(a1, 10, days=1) == 560  # 280 < minimum 560
    assert premium(a1, 30, days=1) == 840
    assert premium(a1, 10, days=3) == 840
    assert premium(PLANS["VOL-BASIC"], 12) == 4200
    assert premium(PLANS["CITY"], 50) == 0
    assert premium(PLANS["EVT-B"], 10, days=2) == 2390  # 1泊2日


@given(st.sampled_from(["EVT-A1", "EVT-A2", "EVT-A3", "EVT-C", "VOL-BASIC"]), st.integers(1, 500),
       st.integers(1, 10))
def test_premium_is_never_below_the_minimum_and_grows_with_people(code, people, days):
    plan = PLANS[code]
    p = premium(plan, people, days=days)
    assert p >= plan.minimum_premium
    assert premium(plan, people + 1, days=days) >= p
    if p > plan.minimum_premium:
        factor = days if plan.premium_kind == "per_person_day" else 1
        assert p == plan.premium * people * factor


def test_cover_starts_the_day_after_and_lapses_on_31_march():
    applied = date(2026, 11, 25)
    assert cover_start(applied) == date(2026, 11, 26)
    assert cover_end(PLANS["VOL-BASIC"], applied) == date(2027, 3, 31)
    assert cover_end(PLANS["EVT-A1"], applied, date(2026, 12, 6)) == date(2026, 12, 6)
    plan = PLANS["VOL-BASIC"]
    s, e = cover_start(applied), cover_end(plan, applied)
    assert not judge_cover(plan, applied, s, e, paid=True).covered  # not yet started
    assert judge_cover(plan, date(2026, 11, 26), s, e, paid=True).covered
    assert judge_cover(plan, date(2027, 3, 31), s, e, paid=True).covered
    lapsed = judge_cover(plan, date(2027, 4, 1), s, e, paid=True)
    assert not lapsed.covered and "終わって" in lapsed.reason
    unpaid = judge_cover(plan, date(2026, 12, 1), s, e, paid=False)
    assert not unpaid.covered and "未払い" in unpaid.reason


def test_excluded_events_are_refused_with_the_reason():
    with pytest.raises(ValidationError) as exc:
        check_event_kind(PLANS["EVT-A1"], {"school"})
    assert "学校の行事" in exc.value.message
    check_event_kind(PLANS["EVT-A1"], set())


def test_report_deadline_is_fourteen_days():
    assert report_deadline(date(2026, 11, 20)) == date(2026, 12, 4)
