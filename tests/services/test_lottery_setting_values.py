"""The one list parser of the profile's sections (domain/setting_values.str_tuple), as LotteryRules.from_dict
(抽選の対象の部屋) and RefundRules.from_dict (全額還付の理由) use it: absent → the base's, a list of names → a
tuple, anything else → ValidationError naming the field. Pure, no database."""

from __future__ import annotations

import pytest

from booking_app.domain.errors import ValidationError
from booking_app.domain.lottery_rules import LotteryRules
from booking_app.domain.refunds import RefundRules
from booking_app.domain.setting_values import str_tuple


def test_str_tuple():
    assert str_tuple(None, ("a",), "m", "f") == ("a",)
    assert str_tuple(["x", "y"], (), "m", "f") == ("x", "y")
    assert str_tuple(("x",), (), "m", "f") == ("x",)
    for bad in ("大会議室", [1], {"a": 1}, ["a", None]):
        with pytest.raises(ValidationError) as err:
            str_tuple(bad, (), "一覧で指定してください", "x.y")
        assert err.value.field == "x.y" and err.value.message == "一覧で指定してください"


@pytest.mark.parametrize("cls, key, fld, message, values", [
    (LotteryRules, "rooms", "lottery.rooms", "部屋名の一覧", ["大会議室"]),
    (RefundRules, "full_reasons", "refunds.full_reasons", "理由の一覧", ["センターの都合"]),
])
def test_both_sections_parse_their_lists_alike(cls, key, fld, message, values):
    base = cls()
    assert getattr(cls.from_dict({}, base), key) == getattr(base, key)
    assert getattr(cls.from_dict({key: None}, base), key) == getattr(base, key)
    assert getattr(cls.from_dict({key: values}, base), key) == tuple(values)
    with pytest.raises(ValidationError, match=message) as err:
        cls.from_dict({key: "一つの文字列"}, base)
    assert err.value.field == fld
