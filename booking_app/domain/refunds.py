"""The money rules of cancelling (還付) and of reductions (減免), as data, all pure (issue 18).

Rooms are free for registered groups; general users pay (fees.py). Two rules change what they pay:

* **Refunds (還付)** — ``CentreProfile.refunds`` is a :class:`RefundRules`. By days before the day of use
  (``use_day − cancel_day`` in calendar days; 0 = cancelled on the day itself):
  ``days ≥ full_until_days_before`` → 100 %; else, when a partial tier is set,
  ``days ≥ partial_until_days_before`` → ``partial_rate`` %; else 0 %. A reason in ``full_reasons``
  (休館, 警報, センターの都合 by default) is always 100 %, on any day. A reason is always required: audits
  of municipal centres have found refunds granted for reasons that did not qualify (DOMAIN.md).
* **Reductions (減免)** — ``CentreProfile.reductions`` is a tuple of :class:`ReductionCode` (a code
  stored on the booking, the label printed on the receipt, the rate in percent).

Rounding (yen are ints): **the amount of money that changes hands is rounded down to the yen**, as
国等の債権債務等の金額の端数計算に関する法律 §2 does for the state's receipts and payments and city fee
ordinances commonly copy. So a refund is ``floor(paid × rate / 100)`` (the odd yen stays with the centre),
and a reduced fee's payable is ``floor(amount × (100 − rate) / 100)`` (the odd yen goes to the
reduction, i.e. to the payer): 50 % of ¥1,251 → reduction ¥626, payable ¥625. Both are exact integer
arithmetic (no floats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from booking_app.domain.errors import ValidationError
from booking_app.domain.setting_values import int_value as _int
from booking_app.domain.setting_values import str_tuple

if TYPE_CHECKING:  # profile.py imports this module; the type is only needed for annotations
    from booking_app.domain.profile import CentreProfile

FULL = 100


# --- refunds (還付) -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefundRules:
    """The refund rules (還付の規則): tiers by days before the day of use, and reasons that refund in full."""

    full_until_days_before: int = 7
    partial_rate: int | None = 50
    partial_until_days_before: int | None = 3
    full_reasons: tuple[str, ...] = ("休館", "警報", "センターの都合")

    def to_dict(self) -> dict[str, Any]:
        return {
            "full_until_days_before": self.full_until_days_before,
            "partial_rate": self.partial_rate,
            "partial_until_days_before": self.partial_until_days_before,
            "full_reasons": list(self.full_reasons),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base: RefundRules | None = None) -> RefundRules:
        """Inverse of to_dict. An absent key comes from ``base`` (the shipped defaults); an explicit null
        partial_rate / partial_until_days_before means "no partial tier" (TOML has no null: there, leave
        both keys out of a file that is itself the base)."""
        if not isinstance(d, Mapping):
            raise ValidationError("センター設定：還付（refunds）の形式が正しくありません", "refunds")
        fallback = base if base is not None else cls(partial_rate=None, partial_until_days_before=None)

        def optional(key: str, label: str) -> int | None:
            if key not in d:
                value: int | None = getattr(fallback, key)
                return value
            return None if d[key] is None else _int(d[key], label, f"refunds.{key}")

        full_raw = d.get("full_until_days_before")
        reasons = str_tuple(d.get("full_reasons"), fallback.full_reasons, "全額還付の理由：理由の一覧で指定してください",
                            "refunds.full_reasons")
        return cls(
            full_until_days_before=(fallback.full_until_days_before if full_raw is None
                                    else _int(full_raw, "全額還付の期限（日前）", "refunds.full_until_days_before")),
            partial_rate=optional("partial_rate", "一部還付の割合（%）"),
            partial_until_days_before=optional("partial_until_days_before", "一部還付の期限（日前）"),
            full_reasons=reasons,
        )

    def validate(self) -> None:
        """Raise ValidationError (Japanese, field ``refunds.<key>``) on the first inconsistency."""
        if self.full_until_days_before < 0:
            raise ValidationError(
                f"全額還付の期限：0日前（当日）以上にしてください（{self.full_until_days_before}）",
                "refunds.full_until_days_before")
        if (self.partial_rate is None) != (self.partial_until_days_before is None):
            fld = "refunds.partial_rate" if self.partial_rate is None else "refunds.partial_until_days_before"
            raise ValidationError("一部還付：割合と期限（日前）を両方入れるか、両方空にしてください", fld)
        if self.partial_rate is not None and self.partial_until_days_before is not None:
            if not 1 <= self.partial_rate <= 99:
                raise ValidationError(
                    f"一部還付の割合：1〜99%にしてください（{self.partial_rate}%）。"
                    "全額なら全額還付の期限を、なしなら一部還付を空にしてください", "refunds.partial_rate")
            if not 0 <= self.partial_until_days_before < self.full_until_days_before:
                raise ValidationError(
                    f"一部還付の期限（{self.partial_until_days_before}日前）は0日前以上、全額還付の期限"
                    f"（{self.full_until_days_before}日前）より前の日数にしてください",
                    "refunds.partial_until_days_before")
        seen: set[str] = set()
        for reason in self.full_reasons:
            if not reason.strip():
                raise ValidationError("全額還付の理由：空の理由は登録できません", "refunds.full_reasons")
            if reason in seen:
                raise ValidationError(f"全額還付の理由：「{reason}」が重複しています", "refunds.full_reasons")
            seen.add(reason)


@dataclass(frozen=True)
class RefundDecision:
    """What a cancellation refunds (還付の決定): percent, yen, and the sentence printed on the 還付 slip."""

    rate: int
    amount: int
    why_text: str


def refund_rules(profile: CentreProfile) -> RefundRules:
    """The centre's refund rules (the profile holds them as a RefundRules)."""
    return profile.refunds


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("取消の理由を入力してください（還付には理由の記録が必要です）", "reason")
    return text


def refund_rate(rules: RefundRules, use_day: dt.date, cancel_day: dt.date, reason: str) -> int:
    """The refund in percent (0–100) for a booking of ``use_day`` cancelled on ``cancel_day``.

    ``reason`` is required (ValidationError naming 理由 otherwise); one of ``rules.full_reasons``
    (matched exactly, after trimming spaces) refunds in full on any day, even after the day of use
    (a storm warning's closure is often booked the next morning)."""
    return _decide(rules, use_day, cancel_day, reason)[0]


def refund_amount(paid_yen: int, rate: int) -> int:
    """The yen refunded of ``paid_yen`` at ``rate`` %: floor(paid × rate / 100), the odd yen to the centre."""
    _check_yen(paid_yen, "paid", "支払額")
    _check_rate(rate, "rate", "還付の割合")
    return paid_yen * rate // FULL


def decide_refund(rules: RefundRules, paid_yen: int, use_day: dt.date, cancel_day: dt.date,
                  reason: str) -> RefundDecision:
    """The refund of a cancelled paid booking, with the 還付 slip's explanation."""
    rate, why = _decide(rules, use_day, cancel_day, reason)
    return RefundDecision(rate, refund_amount(paid_yen, rate), why)


def _decide(rules: RefundRules, use_day: dt.date, cancel_day: dt.date, reason: str) -> tuple[int, str]:
    text = _require_reason(reason)
    if text in rules.full_reasons:
        return FULL, f"{text}による取消のため全額還付"
    days = (use_day - cancel_day).days
    if days >= rules.full_until_days_before:
        return FULL, f"{_before(rules.full_until_days_before)}までの取消のため全額還付"
    if rules.partial_rate is not None and rules.partial_until_days_before is not None:
        if days >= rules.partial_until_days_before:
            first, last_day = rules.full_until_days_before - 1, rules.partial_until_days_before
            span = (_before(first) if first == last_day
                    else f"{_before(first)}から{'当日' if last_day == 0 else f'{last_day}日前'}まで")
            return rules.partial_rate, f"{span}の取消のため{rules.partial_rate}%還付"
        last = rules.partial_until_days_before
    else:
        last = rules.full_until_days_before
    if days < 0:
        return 0, "利用日を過ぎてからの取消のため還付なし"
    return 0, f"{_before(last - 1)}以降の取消のため還付なし"


def _before(days: int) -> str:
    return "利用日当日" if days == 0 else f"利用日の{days}日前"


# --- reductions (減免) ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReductionCode:
    """A reduction reason (減免区分): ``code`` is stored on the booking, ``label`` printed on the receipt,
    ``rate`` the percent taken off (100 = 免除, 50 = 半額)."""

    code: str
    label: str
    rate: int

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "rate": self.rate}


DEFAULT_REDUCTIONS = (
    ReductionCode("city", "市主催・共催", 100),
    ReductionCode("disability", "障がい者団体", 50),
    ReductionCode("children", "子ども・子育て団体", 50),
)


def reductions_from_list(items: Any) -> tuple[ReductionCode, ...]:
    """The ``reductions`` list of the profile (TOML or to_dict) as ReductionCodes; malformed entries raise
    ValidationError naming ``reductions``."""
    if not isinstance(items, (list, tuple)):
        raise ValidationError("減免区分：{code, label, rate} の一覧で指定してください", "reductions")
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or "code" not in item or "rate" not in item:
            raise ValidationError(f"減免区分（{i}件目）：code・label・rate を指定してください", "reductions")
        out.append(ReductionCode(str(item["code"]), str(item.get("label", "")),
                                 _int(item["rate"], f"減免区分「{item['code']}」の割合", "reductions")))
    return tuple(out)


def validate_reductions(codes: Iterable[ReductionCode]) -> None:
    """Refuse an empty code or label, a duplicate code, or a rate outside 0–100 (field ``reductions``)."""
    seen: set[str] = set()
    for c in codes:
        if not c.code.strip():
            raise ValidationError("減免区分：コードを入力してください", "reductions")
        if c.code in seen:
            raise ValidationError(f"減免区分：コード「{c.code}」が重複しています", "reductions")
        seen.add(c.code)
        if not c.label.strip():
            raise ValidationError(f"減免区分「{c.code}」：名称を入力してください", "reductions")
        if not 0 <= c.rate <= FULL:
            raise ValidationError(f"減免区分「{c.label}」：割合は0〜100%にしてください（{c.rate}%）", "reductions")


def reduction_codes(profile: CentreProfile) -> tuple[ReductionCode, ...]:
    """The centre's reduction codes, in the order the settings list them."""
    return profile.reductions


def find_reduction(codes: Iterable[ReductionCode], code: str) -> ReductionCode:
    """The reduction with ``code``; ValidationError naming 減免区分 when there is none."""
    for c in codes:
        if c.code == code:
            return c
    raise ValidationError(f"減免区分「{code}」は登録されていません。センター設定の減免区分から選んでください",
                          "reduction")


def reduced_fee(amount_yen: int, rate: int) -> tuple[int, int]:
    """(reduction_yen, payable_yen) of a fee ``amount_yen`` reduced by ``rate`` %.

    payable = floor(amount × (100 − rate) / 100) and reduction = amount − payable, so the two always add
    up to the fee and the odd yen of an odd fee goes to the reduction (50 % of ¥1,251: ¥626 off, ¥625
    to pay): the amount that changes hands is rounded down (module docstring)."""
    _check_yen(amount_yen, "amount", "料金")
    _check_rate(rate, "rate", "減免の割合")
    payable = amount_yen * (FULL - rate) // FULL
    return amount_yen - payable, payable


# --- helpers --------------------------------------------------------------------------------------

def _check_yen(value: int, fld: str, label: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label}：円の整数で指定してください（{value!r}）", fld)
    if value < 0:
        raise ValidationError(f"{label}：0円以上にしてください（{value}円）", fld)


def _check_rate(value: int, fld: str, label: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label}：整数の%で指定してください（{value!r}）", fld)
    if not 0 <= value <= FULL:
        raise ValidationError(f"{label}：0〜100%にしてください（{value}%）", fld)
