"""Refunds (還付) and reductions (減免) as data (issue 18): the tiers by days before with their boundaries,
the reasons, the slip's sentence, the rounding of the yen, and the settings' checks."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking_app.domain.errors import ValidationError
from booking_app.domain.profile import load_default_profile
from booking_app.domain.refunds import (
    DEFAULT_REDUCTIONS,
    RefundDecision,
    ReductionCode,
    RefundRules,
    decide_refund,
    find_reduction,
    reduced_fee,
    reduction_codes,
    reductions_from_list,
    refund_amount,
    refund_rate,
    refund_rules,
    validate_reductions,
)

D = dt.date
RULES = RefundRules()  # 7+ days before → 100 %, 6–3 → 50 %, 2–0 → none
USE = D(2027, 3, 20)


def before(days: int) -> dt.date:
    return USE - dt.timedelta(days=days)


def test_the_profile_ships_the_documented_defaults():
    profile = load_default_profile()
    assert refund_rules(profile) == RULES
    assert (RULES.full_until_days_before, RULES.partial_rate, RULES.partial_until_days_before) == (7, 50, 3)
    assert RULES.full_reasons == ("休館", "警報", "センターの都合")
    assert reduction_codes(profile) == DEFAULT_REDUCTIONS == (
        ReductionCode("city", "市主催・共催", 100),
        ReductionCode("disability", "障がい者団体", 50),
        ReductionCode("children", "子ども・子育て団体", 50),
    )


@pytest.mark.parametrize("days,rate,why", [
    (30, 100, "利用日の7日前までの取消のため全額還付"),
    (7, 100, "利用日の7日前までの取消のため全額還付"),
    (6, 50, "利用日の6日前から3日前までの取消のため50%還付"),
    (3, 50, "利用日の6日前から3日前までの取消のため50%還付"),
    (2, 0, "利用日の2日前以降の取消のため還付なし"),
    (0, 0, "利用日の2日前以降の取消のため還付なし"),
    (-1, 0, "利用日を過ぎてからの取消のため還付なし"),
])
def test_tiers_by_days_before(days, rate, why):
    assert refund_rate(RULES, USE, before(days), "利用者の都合") == rate
    assert decide_refund(RULES, 2000, USE, before(days), "利用者の都合") == RefundDecision(rate, 2000 * rate // 100, why)


@pytest.mark.parametrize("reason", ["休館", "警報", "センターの都合", " 警報　"])
def test_full_reasons_refund_in_full_on_any_day(reason):
    for days in (30, 3, 0, -1):
        decision = decide_refund(RULES, 1250, USE, before(days), reason)
        assert decision == RefundDecision(100, 1250, f"{reason.strip()}による取消のため全額還付")


def test_a_reason_that_is_not_listed_exactly_gets_the_day_rule():
    assert refund_rate(RULES, USE, before(2), "台風のため") == 0  # the desk picks 警報 from the list


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_always_required(reason):
    with pytest.raises(ValidationError) as info:
        refund_rate(RULES, USE, before(10), reason)
    assert info.value.field == "reason" and "理由" in info.value.message
    with pytest.raises(ValidationError):
        decide_refund(RULES, 1000, USE, before(10), reason)


def test_days_before_count_the_leap_day():
    use = D(2028, 3, 1)
    assert refund_rate(RULES, use, D(2028, 2, 23), "利用者の都合") == 100  # 29 Feb between: 7 days
    assert refund_rate(RULES, use, D(2028, 2, 24), "利用者の都合") == 50   # 6 days
    assert refund_rate(RULES, D(2027, 3, 1), D(2027, 2, 22), "利用者の都合") == 100  # 7 days, no leap day
    assert refund_rate(RULES, D(2027, 3, 1), D(2027, 2, 23), "利用者の都合") == 50


def test_without_a_partial_tier_and_with_the_day_itself():
    plain = RefundRules(full_until_days_before=7, partial_rate=None, partial_until_days_before=None)
    plain.validate()
    assert decide_refund(plain, 900, USE, before(7), "利用者の都合").rate == 100
    assert decide_refund(plain, 900, USE, before(6), "利用者の都合") == RefundDecision(
        0, 0, "利用日の6日前以降の取消のため還付なし")
    same_day = RefundRules(full_until_days_before=0, partial_rate=None, partial_until_days_before=None)
    assert decide_refund(same_day, 900, USE, USE, "利用者の都合") == RefundDecision(
        100, 900, "利用日当日までの取消のため全額還付")
    one_day = RefundRules(full_until_days_before=4, partial_rate=30, partial_until_days_before=3)
    assert decide_refund(one_day, 1000, USE, before(3), "利用者の都合") == RefundDecision(
        30, 300, "利用日の3日前の取消のため30%還付")
    to_the_day = RefundRules(full_until_days_before=2, partial_rate=50, partial_until_days_before=0)
    assert decide_refund(to_the_day, 1000, USE, USE, "利用者の都合").why_text == (
        "利用日の1日前から当日までの取消のため50%還付")


def test_refund_rounds_down_to_the_yen_in_the_centres_favour():
    assert refund_amount(1251, 50) == 625
    assert refund_amount(999, 33) == 329  # 329.67
    assert refund_amount(0, 50) == 0
    for paid, rate, field in ((-1, 50, "paid"), (100, 101, "rate"), (100, -1, "rate"), (True, 50, "paid"),
                              (100.0, 50, "paid"), (100, 50.0, "rate")):
        with pytest.raises(ValidationError) as info:
            refund_amount(paid, rate)
        assert info.value.field == field


@given(paid=st.integers(0, 10_000_000), rate=st.integers(0, 100))
def test_refund_amount_properties(paid, rate):
    refund = refund_amount(paid, rate)
    assert 0 <= refund <= paid
    assert refund * 100 <= paid * rate < (refund + 1) * 100  # exactly the floor
    assert refund_amount(paid, 0) == 0 and refund_amount(paid, 100) == paid


# --- reductions (減免)

def test_reduced_fee_examples_and_the_odd_yen():
    assert reduced_fee(1250, 50) == (625, 625)
    assert reduced_fee(1251, 50) == (626, 625)  # the payable is rounded down: the odd yen is reduced
    assert reduced_fee(1250, 100) == (1250, 0)
    assert reduced_fee(1250, 0) == (0, 1250)
    assert reduced_fee(1000, 33) == (330, 670)
    assert reduced_fee(1001, 33) == (331, 670)  # 670.67 to pay → 670


@given(amount=st.integers(0, 10_000_000), rate=st.integers(0, 100))
def test_reduced_fee_properties(amount, rate):
    reduction, payable = reduced_fee(amount, rate)
    assert reduction + payable == amount
    assert reduction >= 0 and payable >= 0
    assert payable * 100 <= amount * (100 - rate) < (payable + 1) * 100  # the payable is the floor
    assert reduced_fee(amount, 0) == (0, amount) and reduced_fee(amount, 100) == (amount, 0)


@pytest.mark.parametrize("amount,rate,field", [(-1, 50, "amount"), (100, 101, "rate"), (100, -1, "rate"),
                                               (False, 50, "amount"), (12.5, 50, "amount")])
def test_reduced_fee_refuses_bad_input(amount, rate, field):
    with pytest.raises(ValidationError) as info:
        reduced_fee(amount, rate)
    assert info.value.field == field


@pytest.mark.parametrize("codes,part", [
    ((ReductionCode("a", "A", 50), ReductionCode("a", "B", 100)), "コード「a」が重複しています"),
    ((ReductionCode("a", "A", 101),), "割合は0〜100%にしてください（101%）"),
    ((ReductionCode("a", "A", -1),), "割合は0〜100%"),
    ((ReductionCode(" ", "A", 50),), "コードを入力してください"),
    ((ReductionCode("a", "", 50),), "名称を入力してください"),
])
def test_validate_reductions_refuses(codes, part):
    with pytest.raises(ValidationError) as info:
        validate_reductions(codes)
    assert part in info.value.message and info.value.field == "reductions"


def test_reductions_list_parsing_and_lookup():
    validate_reductions(DEFAULT_REDUCTIONS)
    validate_reductions(())  # a centre may have none
    codes = reductions_from_list([{"code": "x", "label": "X", "rate": "50"}])
    assert codes == (ReductionCode("x", "X", 50),)
    assert find_reduction(DEFAULT_REDUCTIONS, "disability").rate == 50
    with pytest.raises(ValidationError) as info:
        find_reduction(DEFAULT_REDUCTIONS, "nope")
    assert "減免区分「nope」は登録されていません" in info.value.message and info.value.field == "reduction"
    for bad in ({"code": "x"}, [{"label": "X", "rate": 50}], [{"code": "x", "rate": "半額"}], ["x"]):
        with pytest.raises(ValidationError) as info:
            reductions_from_list(bad)
        assert info.value.field == "reductions"


# --- the refund settings' checks and their data form

@pytest.mark.parametrize("changes,field,part", [
    ({"full_until_days_before": -1}, "refunds.full_until_days_before", "0日前"),
    ({"partial_rate": None}, "refunds.partial_rate", "両方"),
    ({"partial_until_days_before": None}, "refunds.partial_until_days_before", "両方"),
    ({"partial_rate": 0}, "refunds.partial_rate", "1〜99%"),
    ({"partial_rate": 100}, "refunds.partial_rate", "1〜99%"),
    ({"partial_until_days_before": 7}, "refunds.partial_until_days_before", "全額還付の期限"),
    ({"partial_until_days_before": -1}, "refunds.partial_until_days_before", "0日前以上"),
    ({"full_reasons": ("休館", "休館")}, "refunds.full_reasons", "重複"),
    ({"full_reasons": ("",)}, "refunds.full_reasons", "空の理由"),
])
def test_bad_refund_settings_are_refused_naming_the_field(changes, field, part):
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(RULES, **changes).validate()
    assert info.value.field == field and part in info.value.message


def test_refund_rules_from_dict():
    plain = RefundRules(full_until_days_before=14, partial_rate=None, partial_until_days_before=None,
                        full_reasons=("休館",))
    assert plain.to_dict()["partial_rate"] is None
    assert RefundRules.from_dict(plain.to_dict(), base=RULES) == plain  # null: no partial tier
    assert RefundRules.from_dict({"full_until_days_before": 14}, base=RULES) == dataclasses.replace(
        RULES, full_until_days_before=14)  # absent: the base's
    assert RefundRules.from_dict({"full_until_days_before": 14}).partial_rate is None  # a file that is the base
    for bad, field in (({"partial_rate": "半分"}, "refunds.partial_rate"),
                       ({"full_until_days_before": "x"}, "refunds.full_until_days_before"),
                       ({"full_reasons": "休館"}, "refunds.full_reasons")):
        with pytest.raises(ValidationError) as info:
            RefundRules.from_dict(bad, base=RULES)
        assert info.value.field == field
