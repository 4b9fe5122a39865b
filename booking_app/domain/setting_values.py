"""Parsing helpers shared by the centre profile's sections (抽選 ``lottery``, 還付 ``refunds``): the stored JSON
(or the shipped TOML) back into a section's values, with a Japanese ValidationError naming the field."""

from __future__ import annotations

from typing import Any

from booking_app.domain.errors import ValidationError


def str_tuple(raw: Any, default: tuple[str, ...], message: str, fld: str) -> tuple[str, ...]:
    """A stored list of names (rooms, reasons) as a tuple; absent (None) gives ``default``. Anything but a
    list of strings raises ValidationError(``message``, ``fld``)."""
    if raw is None:
        return default
    if isinstance(raw, (list, tuple)) and all(isinstance(r, str) for r in raw):
        return tuple(raw)
    raise ValidationError(message, fld)


def int_value(value: Any, label: str, fld: str) -> int:
    """A stored whole number (an int, or digits from a form or TOML); anything else raises ValidationError
    「<label>：「…」は整数ではありません」 naming ``fld``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(f"{label}：「{value}」は整数ではありません", fld)
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{label}：「{value}」は整数ではありません", fld) from None
