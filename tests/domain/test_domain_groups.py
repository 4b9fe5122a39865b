"""Group register rules that need no database (booking_app/domain/groups.py)."""

from __future__ import annotations

import pytest

from booking_app.domain.errors import ValidationError
from booking_app.domain.groups import DECLARATIONS, TEXT_LIMITS, GroupInput, validate_registration


def _valid_input(**changes) -> GroupInput:
    values = dict(name="ふくふく子ども食堂", kana="ふくふくこどもしょくどう", activity_fields=["子どもの健全育成"],
                  representative="山田 花子", phone="083-000-0000", declarations={k: True for k in DECLARATIONS})
    values.update(changes)
    return GroupInput(**values)


def test_a_complete_registration_passes():
    validate_registration(_valid_input())


@pytest.mark.parametrize("field,label", [("name", "団体名"), ("representative", "代表者名"), ("address", "住所")])
def test_text_longer_than_the_register_holds_is_refused_by_name(field, label):
    limit = TEXT_LIMITS[field][1]
    with pytest.raises(ValidationError) as exc:
        validate_registration(_valid_input(**{field: "あ" * (limit + 1)}))
    assert exc.value.field == field and label in exc.value.message
    validate_registration(_valid_input(**{field: "あ" * limit}))  # exactly the limit is fine


def test_a_nul_character_is_refused_with_the_field():
    with pytest.raises(ValidationError) as exc:
        validate_registration(_valid_input(note="備考\x00"))
    assert exc.value.field == "note" and "備考" in exc.value.message
