"""Activity insurance (活動保険): plans as data, premiums, when cover starts and ends, all pure.

Three schemes reach the desk: the city's 市民活動保険 (the city pays; registered groups), the
社会福祉協議会's ボランティア活動保険 (annual, per person) and ボランティア行事用保険 (per event, per
person per day or per trip). Cover starts at 0:00 on the day after enrolment and ends on 31 March
or on the event's last day. An enrolment with a premium is in force only once it is paid.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError

SCHEMES = {"city": "市民活動保険", "volunteer": "ボランティア活動保険", "event": "行事用保険"}
PREMIUM_KINDS = ("none", "per_person_year", "per_person_day", "per_person_trip")
EVENT_EXCLUSIONS = {
    "members_only": "会員のみの行事・親睦会",
    "social": "懇親会など親睦目的の行事",
    "school": "学校の行事",
    "unidentifiable_crowd": "不特定多数が出入りし参加者を特定できない行事",
}


@dataclass(frozen=True)
class Plan:
    """An insurance plan (保険プラン) as the centre offers it in one fiscal year."""

    code: str
    name: str
    scheme: str
    premium_kind: str
    premium: int
    minimum_premium: int = 0
    cover_end: str = "fiscal_year_end"  # fiscal_year_end | event_end
    registered_only: bool = False
    roster: str = "required"  # required | head_count | none
    venue: str = ""  # '' | indoor_or_bounded
    excluded: tuple[str, ...] = ()
    trip_premiums: Mapping[int, int] = field(default_factory=dict)
    note: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        return cls(
            code=d["code"], name=d["name"], scheme=d["scheme"], premium_kind=d["premium_kind"],
            premium=int(d.get("premium", 0)), minimum_premium=int(d.get("minimum_premium", 0)),
            cover_end=d.get("cover_end", "fiscal_year_end"), registered_only=bool(d.get("registered_only", False)),
            roster=d.get("roster", "required"), venue=d.get("venue", ""), excluded=tuple(d.get("excluded", ())),
            trip_premiums={int(k): int(v) for k, v in dict(d.get("trip_premiums", {})).items()},
            note=d.get("note", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "scheme": self.scheme, "premium_kind": self.premium_kind,
            "premium": self.premium, "minimum_premium": self.minimum_premium, "cover_end": self.cover_end,
            "registered_only": self.registered_only, "roster": self.roster, "venue": self.venue,
            "excluded": list(self.excluded), "trip_premiums": {str(k): v for k, v in self.trip_premiums.items()},
            "note": self.note,
        }

    def validate(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValidationError(f"保険の種類「{self.scheme}」は使えません。", field="scheme")
        if self.premium_kind not in PREMIUM_KINDS:
            raise ValidationError(f"保険料の計算方法「{self.premium_kind}」は使えません。", field="premium_kind")
        if self.premium < 0 or self.minimum_premium < 0:
            raise ValidationError(f"{self.name}：保険料は0円以上にしてください。", field="premium")
        if self.premium_kind == "per_person_trip" and not self.trip_premiums:
            raise ValidationError(f"{self.name}：宿泊日数ごとの保険料を入力してください。", field="trip_premiums")


def plans_path() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "resources" / "insurance_plans.toml"


@lru_cache(maxsize=1)
def default_plans() -> tuple[Plan, ...]:
    with plans_path().open("rb") as fh:
        return tuple(Plan.from_dict(p) for p in tomllib.load(fh)["plans"])


def event_days(start: date, end: date) -> int:
    if end < start:
        raise ValidationError("行事の終了日は開始日以降にしてください。", field="event_end")
    return (end - start).days + 1


def trip_price(plan: Plan, nights: int) -> int:
    """Per-person premium of an overnight plan: the listed step at or above the nights stayed."""
    if nights < 1:
        raise ValidationError("宿泊型の保険は1泊以上の行事に使います。", field="event_end")
    steps = sorted(plan.trip_premiums)
    for n in steps:
        if nights <= n:
            return plan.trip_premiums[n]
    raise ValidationError(f"{plan.name}は{steps[-1]}泊までです。", field="event_end")


def premium(plan: Plan, people: int, *, days: int = 1) -> int:
    """The premium for ``people`` insured for ``days`` days (events), never below the plan's minimum."""
    if people < 0 or days < 1:
        raise ValidationError("人数と日数を確かめてください。", field="people")
    if plan.premium_kind == "none" or people == 0:
        return 0
    if plan.premium_kind == "per_person_year":
        raw = plan.premium * people
    elif plan.premium_kind == "per_person_day":
        raw = plan.premium * people * days
    else:  # per_person_trip: days of the event are nights + 1
        raw = trip_price(plan, days - 1) * people
    return max(raw, plan.minimum_premium)


def cover_start(applied_on: date) -> date:
    """Cover starts at 0:00 on the day after enrolment (加入手続きの翌日)."""
    return applied_on + timedelta(days=1)


def cover_end(plan: Plan, applied_on: date, event_end: date | None = None) -> date:
    if plan.cover_end == "event_end":
        if event_end is None:
            raise ValidationError("行事の終了日を入力してください。", field="event_end")
        return event_end
    return jcal.fiscal_year_range(jcal.fiscal_year(applied_on))[1]


def check_event_kind(plan: Plan, kinds: set[str]) -> None:
    """Refuse an event the plan excludes, naming why in Japanese."""
    hit = [k for k in plan.excluded if k in kinds]
    if hit:
        raise ValidationError(
            f"{plan.name}は「{EVENT_EXCLUSIONS[hit[0]]}」には使えません。", field="event_kind"
        )


@dataclass(frozen=True)
class CoverAnswer:
    """The counter's answer to "are we covered on that day?" (補償の確認)."""

    covered: bool
    plan_name: str
    reason: str  # why covered, or why not: 開始前 / 期限切れ / 未払い / 対象外


def judge_cover(plan: Plan, day: date, start: date, end: date, *, paid: bool, removed_on: date | None = None
                ) -> CoverAnswer:
    if plan.premium_kind != "none" and not paid:
        return CoverAnswer(False, plan.name, "保険料が未払いのため、まだ補償されていません。")
    if day < start:
        return CoverAnswer(False, plan.name, f"補償は{jcal.format_slash(start)}から始まります（手続きの翌日から）。")
    if day > end:
        return CoverAnswer(False, plan.name, f"補償は{jcal.format_slash(end)}で終わっています。")
    if removed_on is not None and day >= removed_on:
        return CoverAnswer(False, plan.name, f"{jcal.format_slash(removed_on)}に名簿から外れています。")
    return CoverAnswer(True, plan.name, f"{jcal.format_slash(start)}〜{jcal.format_slash(end)}の補償期間内です。")


REPORT_DEADLINE_DAYS = 14  # [C] days from the accident to report it to the city


def report_deadline(occurred_on: date, days: int = REPORT_DEADLINE_DAYS) -> date:
    return occurred_on + timedelta(days=days)

