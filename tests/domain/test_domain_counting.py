from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain.counting import fiscal_months, pace


def test_pace_midyear():
    p = pace(14_500, 29_000, date(2026, 9, 30))  # 183 days elapsed of 365
    assert round(p.percent) == 50
    assert p.days_elapsed == 183 and p.days_left == 182
    assert round(p.needed_per_day, 1) == round(14_500 / 182, 1)
    assert p.projected == round(14_500 / 183 * 365)


def test_fiscal_months_run_april_to_march():
    months = fiscal_months(2026)
    assert months[0] == (2026, 4) and months[-1] == (2027, 3) and len(months) == 12


@given(st.integers(0, 60_000), st.dates(date(2026, 4, 1), date(2027, 3, 31)))
def test_projection_is_consistent(total, today):
    p = pace(total, 29_000, today)
    assert p.days_elapsed + p.days_left == 365
    assert p.projected >= total
