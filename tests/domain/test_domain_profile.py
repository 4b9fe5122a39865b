"""Centre profile: shipped defaults, JSON round trip, validation messages."""

import dataclasses
import datetime as dt
import json

import pytest

from booking_app.domain.errors import ValidationError
from booking_app.domain.profile import (
    CentreProfile,
    DateNote,
    EquipmentSpec,
    Period,
    RoomSpec,
    YearlyClosure,
    load_default_profile,
)

T = dt.time


@pytest.fixture
def profile() -> CentreProfile:
    return load_default_profile()


def test_default_profile_matches_domain(profile):
    assert profile.name == "しものせき市民活動センター"
    assert profile.nickname == "ふくふくサポート"
    assert [(r.name, r.capacity) for r in profile.rooms] == [
        ("大会議室", 40), ("小会議室1", 12), ("小会議室2", 12), ("作業室", 8), ("多目的交流ホール", 60),
    ]
    stock = {e.name: e.stock for e in profile.equipment}
    assert stock["プロジェクター"] == 2 and stock["ホワイトボード"] == 3 and stock["印刷機"] == 1
    assert len(profile.equipment) == 10
    assert profile.hours["mon"] == (T(9), T(22))
    assert profile.hours["sat"] == (T(9), T(22))
    assert profile.hours["sun"] == profile.hours["holiday"] == (T(9), T(18))
    assert [p.name for p in profile.periods["weekday"]] == ["午前", "午後", "夜間"]
    assert profile.periods["sunday_holiday"][-1] == Period("午後", T(13), T(18))
    assert profile.yearly_closures == (YearlyClosure(12, 29, 1, 3, "年末年始休館"),)
    assert (profile.member_months_ahead, profile.general_months_ahead) == (3, 1)
    assert (profile.cancel_days_before, profile.tentative_hold_days) == (1, 7)
    assert (profile.target_users, profile.target_groups) == (29000, 260)
    profile.validate()


def test_round_trip_through_json(profile):
    edited = dataclasses.replace(
        profile,
        operator="NPO法人テスト",
        equipment=profile.equipment + (EquipmentSpec("延長コード", "えんちょうこーど", None, "本", 11),),
        hours={**profile.hours, "wed": None},
        closed_dates=(DateNote(dt.date(2026, 8, 15), "設備点検"),),
        open_dates=(DateNote(dt.date(2026, 12, 29), "臨時開館"),),
    )
    stored = json.loads(json.dumps(edited.to_dict(), ensure_ascii=False))
    assert CentreProfile.from_dict(stored) == edited
    assert stored["hours"]["mon"] == ["09:00", "22:00"]
    assert stored["hours"]["wed"] is None
    assert stored["closed_dates"] == [{"date": "2026-08-15", "reason": "設備点検"}]


def test_old_stored_profile_gets_defaults_for_missing_keys(profile):
    stored = profile.to_dict()
    del stored["equipment"], stored["tentative_hold_days"], stored["hours"]["holiday"]
    stored["some_future_setting"] = 1
    loaded = CentreProfile.from_dict(stored)
    assert loaded.equipment == profile.equipment
    assert loaded.tentative_hold_days == 7
    assert loaded.hours["holiday"] == (T(9), T(18))


def test_from_dict_rejects_bad_time(profile):
    stored = profile.to_dict()
    stored["hours"]["mon"] = ["nine", "22:00"]
    with pytest.raises(ValidationError):
        CentreProfile.from_dict(stored)


def _expect(profile, message_part, field=None, **changes):
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(profile, **changes).validate()
    assert message_part in info.value.message
    if field:
        assert info.value.field == field


def test_validate_hours_order(profile):
    _expect(profile, "開館時間（月曜）：終了は開始より後にしてください", "hours.mon",
            hours={**profile.hours, "mon": (T(22), T(9))})


def test_validate_period_outside_hours(profile):
    _expect(profile, "の外です", "periods.weekday", hours={**profile.hours, "sat": (T(9), T(18))})


def test_validate_periods_overlap(profile):
    periods = {**profile.periods, "weekday": (Period("午前", T(9), T(13)), Period("午後", T(12), T(17)))}
    _expect(profile, "重なっています", "periods.weekday", periods=periods)


def test_validate_capacity_stock_and_windows(profile):
    _expect(profile, "定員は1以上", "rooms", rooms=(RoomSpec("大会議室", "", 0, 1),))
    _expect(profile, "在庫数は0以上", "equipment", equipment=(EquipmentSpec("印刷機", "", -1, "台", 1),))
    _expect(profile, "0以上", "member_months_ahead", member_months_ahead=-1)
    _expect(profile, "0以上", "general_months_ahead", general_months_ahead=-1)
    _expect(profile, "重複", "rooms", rooms=(RoomSpec("A", "", 1, 1), RoomSpec("A", "", 2, 2)))


def test_closed_weekday_is_allowed(profile):
    dataclasses.replace(profile, hours={**profile.hours, "mon": None}).validate()


# --- issue 18: the lottery, refunds and reductions in the profile

def test_issue18_rules_round_trip_through_json(profile):
    from booking_app.domain.lottery_rules import LotteryRules
    from booking_app.domain.refunds import ReductionCode, RefundRules

    edited = dataclasses.replace(
        profile,
        lottery=LotteryRules(rooms=("大会議室",), draw_day=16, max_entries_per_group=8, no_show_limit=0),
        refunds=RefundRules(full_until_days_before=14, partial_rate=None, partial_until_days_before=None,
                            full_reasons=("休館", "警報")),
        reductions=(ReductionCode("city", "市主催・共催", 100), ReductionCode("npo", "NPO法人", 30)),
    )
    edited.validate()
    stored = json.loads(json.dumps(edited.to_dict(), ensure_ascii=False))
    assert CentreProfile.from_dict(stored) == edited
    assert stored["lottery"]["rooms"] == ["大会議室"] and stored["lottery"]["draw_day"] == 16
    assert stored["refunds"]["partial_rate"] is None
    assert stored["reductions"][1] == {"code": "npo", "label": "NPO法人", "rate": 30}
    none = dataclasses.replace(profile, reductions=())
    assert CentreProfile.from_dict(none.to_dict()).reductions == ()  # none is not "missing"


def test_a_copy_stored_before_issue18_gets_the_shipped_rules(profile):
    stored = profile.to_dict()
    del stored["lottery"], stored["refunds"], stored["reductions"]
    loaded = CentreProfile.from_dict(stored)
    assert loaded == profile
    assert loaded.lottery.draw_day == 15 and loaded.refunds.partial_rate == 50
    assert [c.code for c in loaded.reductions] == ["city", "disability", "children"]
    stored = profile.to_dict()
    del stored["lottery"]["no_show_months"]  # a setting added after the copy was stored
    stored["lottery"]["first_come_day"] = 21
    loaded = CentreProfile.from_dict(stored)
    assert (loaded.lottery.no_show_months, loaded.lottery.first_come_day) == (3, 21)


@pytest.mark.parametrize("path,value,field", [
    (("lottery", "draw_day"), "十五日", "lottery.draw_day"),
    (("lottery", "rooms"), "大会議室", "lottery.rooms"),
    (("refunds", "partial_rate"), "半額", "refunds.partial_rate"),
    (("reductions",), [{"code": "city", "label": "市", "rate": "全額"}], "reductions"),
    (("lottery",), "毎月", "lottery"),
])
def test_from_dict_names_the_bad_issue18_value(profile, path, value, field):
    stored = profile.to_dict()
    target = stored
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as info:
        CentreProfile.from_dict(stored)
    assert info.value.field == field


def test_validate_checks_the_issue18_rules(profile):
    from booking_app.domain.refunds import ReductionCode

    _expect(profile, "抽選日", "lottery.draw_day", lottery=dataclasses.replace(profile.lottery, draw_day=40))
    _expect(profile, "一部還付の割合", "refunds.partial_rate",
            refunds=dataclasses.replace(profile.refunds, partial_rate=120))
    _expect(profile, "重複", "reductions",
            reductions=(ReductionCode("city", "市主催", 100), ReductionCode("city", "共催", 100)))
    _expect(profile, "0〜100%", "reductions", reductions=(ReductionCode("x", "X", 150),))
