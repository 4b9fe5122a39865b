"""Fees (料金) and the tax arithmetic of a Japanese receipt, all pure.

Prices are tax-inclusive yen (税込, no decimals), as counters quote them. A qualified invoice
(適格請求書) states per tax rate the total and the tax in it, rounded once per rate per invoice
(not per line): tax = floor(total × 10 / 110) for the 10 % rate. Facility use is taxable at 10 %;
administrative fees are not (非課税・不課税).
"""

from __future__ import annotations

import unicodedata

import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from booking_app.domain.errors import ValidationError
from booking_app.domain.profile import Period

TAX_CLASSES = {"taxable10": "10%対象", "exempt": "非課税"}
TAX_RATE_PERCENT = {"taxable10": 10, "exempt": 0}
FEE_CLASSES = ("member", "general")  # 登録団体料金 / 一般料金


@dataclass(frozen=True)
class Item:
    """A priced item (品目): a machine's output, a locker month, a fee."""

    name: str
    price: int
    unit: str = ""
    tax: str = "taxable10"


@dataclass(frozen=True)
class FeeLine:
    """One line of a charge: what, how many, at what tax-inclusive price."""

    description: str
    quantity: int
    unit_price: int
    tax: str = "taxable10"
    kind: str = "room"  # room | equipment | item

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class FeeSchedule:
    """The fee tables (料金表) and the issuer's receipt details."""

    room_fees: Mapping[str, Mapping[str, Mapping[str, int]]]  # room → fee class → period → yen
    equipment: Mapping[str, Item]
    items: Mapping[str, Item]
    operator: str = ""
    invoice_number: str = ""
    stamp_duty_applies: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "issuer": {"operator": self.operator, "invoice_number": self.invoice_number,
                       "stamp_duty_applies": self.stamp_duty_applies},
            "rooms": {r: {c: dict(p) for c, p in classes.items()} for r, classes in self.room_fees.items()},
            "equipment": {n: {"price": i.price, "tax": i.tax} for n, i in self.equipment.items()},
            "items": {n: {"price": i.price, "unit": i.unit, "tax": i.tax} for n, i in self.items.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeeSchedule:
        issuer = d.get("issuer", {})
        rooms = {r: {c: {p: int(v) for p, v in periods.items()} for c, periods in classes.items()}
                 for r, classes in d.get("rooms", {}).items()}
        equipment = {n: Item(n, int(v.get("price", 0)), v.get("unit", ""), v.get("tax", "taxable10"))
                     for n, v in d.get("equipment", {}).items()}
        items = {n: Item(n, int(v.get("price", 0)), v.get("unit", ""), v.get("tax", "taxable10"))
                 for n, v in d.get("items", {}).items()}
        return cls(rooms, equipment, items, issuer.get("operator", ""), issuer.get("invoice_number", ""),
                   bool(issuer.get("stamp_duty_applies", False)))

    def validate(self) -> None:
        for room, classes in self.room_fees.items():
            for fee_class, periods in classes.items():
                if fee_class not in FEE_CLASSES:
                    raise ValidationError(f"料金区分「{fee_class}」は使えません（member／general）。", field="rooms")
                for period, yen in periods.items():
                    if yen < 0:
                        raise ValidationError(f"{room}の{period}の料金は0円以上にしてください。", field="rooms")
        for item in (*self.equipment.values(), *self.items.values()):
            if item.price < 0:
                raise ValidationError(f"「{item.name}」の単価は0円以上にしてください。", field="items")
            if item.tax not in TAX_CLASSES:
                raise ValidationError(f"「{item.name}」の税区分が正しくありません。", field="items")
        if self.invoice_number and not valid_invoice_number(self.invoice_number):
            raise ValidationError("登録番号はTと13桁の数字で、検査数字が合うものを入力してください"
                                  "（例：T9234567890123）。", field="invoice_number")


def fees_path() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "resources" / "fees.toml"


@lru_cache(maxsize=1)
def load_default_fees() -> FeeSchedule:
    with fees_path().open("rb") as fh:
        return FeeSchedule.from_dict(tomllib.load(fh))


def room_fee_lines(
    schedule: FeeSchedule, room: str, periods: Iterable[Period], start: datetime, end: datetime, fee_class: str
) -> list[FeeLine]:
    """The room's charge: every period (区分) the booking overlaps, at the booker's fee class."""
    table = schedule.room_fees.get(room, {}).get(fee_class, {})
    periods = list(periods)
    touched = [p for p in periods
               if start < datetime.combine(start.date(), p.end) and datetime.combine(start.date(), p.start) < end]
    if not touched and periods:
        # A booking wholly inside a gap between periods (12:00–13:00, 17:00–18:00) is not free:
        # it pays the period that follows (or, at the end of the day, the one before).
        after = [p for p in periods if p.start >= end.time()]
        touched = [after[0] if after else periods[-1]]
    return [FeeLine(f"{room} {p.name}", 1, int(table.get(p.name, 0)), "taxable10", "room") for p in touched]


def equipment_fee_lines(schedule: FeeSchedule, equipment: Mapping[str, int]) -> list[FeeLine]:
    """Equipment lent with a booking, per use; free items give no line."""
    lines = []
    for name, qty in equipment.items():
        item = schedule.equipment.get(name)
        if item is not None and item.price and qty:
            lines.append(FeeLine(name, qty, item.price, item.tax, "equipment"))
    return lines


@dataclass(frozen=True)
class TaxSummary:
    """Totals per rate for a qualified invoice: amount (tax-inclusive) and the tax in it."""

    total: int
    taxable10: int
    tax10: int
    exempt: int = 0
    by_rate: dict[str, int] = field(default_factory=dict)


def tax_summary(lines: Iterable[FeeLine]) -> TaxSummary:
    """One rounding per rate per invoice (floor), as the invoice system requires."""
    totals = {"taxable10": 0, "exempt": 0}
    for line in lines:
        totals[line.tax] = totals.get(line.tax, 0) + line.amount
    taxable = totals["taxable10"]
    tax10 = taxable * 10 // 110
    return TaxSummary(taxable + totals["exempt"], taxable, tax10, totals["exempt"], totals)


def stamp_duty(amount: int, applies: bool, *, tax_stated: int = 0) -> int:
    """収入印紙 on a receipt (第17号文書): none below ¥50,000; ¥200 up to ¥1,000,000 (larger sums are not
    a desk's business).

    When the receipt states the consumption tax separately, the duty is judged on the amount without
    it (印紙税法の取扱い: 消費税額等が区分記載されている場合は税抜金額で判定). Our receipts always do
    (「10%対象 ¥…（うち消費税 ¥…）」), so callers pass that tax as ``tax_stated``: a ¥52,600 receipt
    with ¥4,727 tax is a ¥47,873 receipt for stamp duty and needs no stamp."""
    base = amount - max(tax_stated, 0)
    if not applies or base < 50_000:
        return 0
    if base <= 1_000_000:
        return 200
    return 400 if base <= 2_000_000 else 600


def normalise_invoice_number(text: str) -> str:
    """'ｔ１２３４-５６７８…' → 'T12345678…': staff type full-width or with separators."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    return "".join(ch for ch in folded if ch not in " -‐－ー")


def valid_invoice_number(text: str) -> bool:
    """T + 13 digits with the check digit: 9 − (Σ Pn×Qn mod 9), Qn = 1 for odd n, 2 for even n, n from the right."""
    if len(text) != 14 or text[0] != "T" or not text[1:].isdigit():
        return False
    digits = text[1:]
    check, body = int(digits[0]), digits[1:]
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(body), start=1))
    return check == 9 - total % 9


def yen(amount: int) -> str:
    """¥1,234 — yen without decimals, as every Japanese form shows money."""
    return f"¥{amount:,}"


def signed_yen(amount: int) -> str:
    """yen(), and an amount below zero (a 減免 line, issue 18) the Japanese office way: △¥626 — one
    convention for the receipt, the slip and the booking dialog."""
    return f"△{yen(-amount)}" if amount < 0 else yen(amount)
