"""The centre profile (センター設定): everything DOMAIN.md marks as a changeable default.

Rooms, equipment, opening hours, periods, closures, booking windows and issue 18's allocation and money
rules (抽選 ``lottery``: domain/lottery_rules.py; 還付 ``refunds`` and 減免 ``reductions``:
domain/refunds.py, which own their types, parsing and checks) live here as data so that
staff can change them without a new release. The defaults ship in ``resources/centre_profile.toml``;
the edited copy is stored as ``CentreProfile.to_dict()`` JSON and read back with ``from_dict``, which
fills any key an older stored copy lacks from the shipped defaults.
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from booking_app.domain.errors import ValidationError
from booking_app.domain.lottery_rules import LotteryRules
from booking_app.domain.refunds import (
    DEFAULT_REDUCTIONS,
    ReductionCode,
    RefundRules,
    reductions_from_list,
    validate_reductions,
)

HOUR_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
HOUR_LABELS = {
    "mon": "月曜", "tue": "火曜", "wed": "水曜", "thu": "木曜", "fri": "金曜", "sat": "土曜",
    "sun": "日曜", "holiday": "祝日",
}
PERIOD_KEYS = ("weekday", "sunday_holiday")
PERIOD_LABELS = {"weekday": "平日・土曜", "sunday_holiday": "日曜・祝日"}
# Which opening-hours keys each period table must fit inside.
PERIOD_DAYS = {"weekday": HOUR_KEYS[:6], "sunday_holiday": ("sun", "holiday")}

PROFILE_FILENAME = "centre_profile.toml"


# --- value objects --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A booking period (時間区分), e.g. 午前 9:00–12:00."""

    name: str
    start: dt.time
    end: dt.time

    @property
    def label(self) -> str:
        return f"{self.name}（{_hm_short(self.start)}〜{_hm_short(self.end)}）"


@dataclass(frozen=True)
class RoomSpec:
    """A bookable room (貸室) as configured in the profile."""

    name: str
    kana: str
    capacity: int
    sort_order: int


@dataclass(frozen=True)
class EquipmentSpec:
    """A lendable item (貸出備品); stock None means unlimited."""

    name: str
    kana: str
    stock: int | None
    unit: str
    sort_order: int


@dataclass(frozen=True)
class DateNote:
    """A single dated exception (臨時休館日・臨時開館日) with its reason."""

    date: dt.date
    reason: str


@dataclass(frozen=True)
class YearlyClosure:
    """A closure repeated every year (年間休館期間), e.g. 12/29–1/3; may wrap the year end."""

    start_month: int
    start_day: int
    end_month: int
    end_day: int
    reason: str

    def contains(self, d: dt.date) -> bool:
        key = (d.month, d.day)
        start = (self.start_month, self.start_day)
        end = (self.end_month, self.end_day)
        if start <= end:
            return start <= key <= end
        # Wraps the year end: 12/29–1/3 holds 12/29..12/31 and 1/1..1/3.
        return key >= start or key <= end


# --- the profile ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CentreProfile:
    """The centre profile (センター設定)."""

    name: str
    nickname: str = ""
    operator: str = ""
    address: str = ""
    phone: str = ""
    rooms: tuple[RoomSpec, ...] = ()
    equipment: tuple[EquipmentSpec, ...] = ()
    hours: dict[str, tuple[dt.time, dt.time] | None] = field(default_factory=dict)
    periods: dict[str, tuple[Period, ...]] = field(default_factory=dict)
    yearly_closures: tuple[YearlyClosure, ...] = ()
    closed_dates: tuple[DateNote, ...] = ()
    open_dates: tuple[DateNote, ...] = ()
    member_months_ahead: int = 3
    general_months_ahead: int = 1
    cancel_days_before: int = 1
    tentative_hold_days: int = 7
    target_users: int = 29000
    target_groups: int = 260
    lottery: LotteryRules = field(default_factory=LotteryRules)
    refunds: RefundRules = field(default_factory=RefundRules)
    reductions: tuple[ReductionCode, ...] = DEFAULT_REDUCTIONS

    # dicts make the dataclass unhashable; frozen=True still guards attribute assignment.
    __hash__ = None  # type: ignore[assignment]

    # -- serialisation --

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (times 'HH:MM', dates ISO, yearly closures 'MM-DD')."""
        return {
            "name": self.name,
            "nickname": self.nickname,
            "operator": self.operator,
            "address": self.address,
            "phone": self.phone,
            "rooms": [
                {"name": r.name, "kana": r.kana, "capacity": r.capacity, "sort_order": r.sort_order}
                for r in self.rooms
            ],
            "equipment": [
                {"name": e.name, "kana": e.kana, "stock": e.stock, "unit": e.unit, "sort_order": e.sort_order}
                for e in self.equipment
            ],
            "hours": {
                k: (None if v is None else [_hm(v[0]), _hm(v[1])]) for k, v in self.hours.items()
            },
            "periods": {
                k: [{"name": p.name, "start": _hm(p.start), "end": _hm(p.end)} for p in ps]
                for k, ps in self.periods.items()
            },
            "yearly_closures": [
                {
                    "start": f"{c.start_month:02d}-{c.start_day:02d}",
                    "end": f"{c.end_month:02d}-{c.end_day:02d}",
                    "reason": c.reason,
                }
                for c in self.yearly_closures
            ],
            "closed_dates": [{"date": n.date.isoformat(), "reason": n.reason} for n in self.closed_dates],
            "open_dates": [{"date": n.date.isoformat(), "reason": n.reason} for n in self.open_dates],
            "member_months_ahead": self.member_months_ahead,
            "general_months_ahead": self.general_months_ahead,
            "cancel_days_before": self.cancel_days_before,
            "tentative_hold_days": self.tentative_hold_days,
            "target_users": self.target_users,
            "target_groups": self.target_groups,
            "lottery": self.lottery.to_dict(),
            "refunds": self.refunds.to_dict(),
            "reductions": [c.to_dict() for c in self.reductions],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], defaults: CentreProfile | None = None) -> CentreProfile:
        """Inverse of to_dict. Missing keys come from ``defaults`` (the shipped profile when None);
        unknown keys are ignored, so a profile stored by an older or newer version still loads.
        Malformed values raise ValidationError.
        """
        base = defaults if defaults is not None else load_default_profile()
        return _parse_flat(d, base)

    # -- checks --

    def validate(self) -> None:
        """Raise ValidationError (Japanese, naming the field) on the first inconsistency."""
        _validate(self)

    # -- conveniences --

    def room(self, name: str) -> RoomSpec | None:
        return next((r for r in self.rooms if r.name == name), None)

    def equipment_item(self, name: str) -> EquipmentSpec | None:
        return next((e for e in self.equipment if e.name == name), None)


# --- loading --------------------------------------------------------------------------------------

def default_profile_path() -> Path:
    """Where the shipped centre_profile.toml is, in a source checkout or a PyInstaller bundle."""
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        bundled = Path(meipass) / "resources" / PROFILE_FILENAME
        if bundled.exists():
            return bundled
    return _SOURCE_ROOT / "resources" / PROFILE_FILENAME


# Resolved once: resolve() walks the file system (~0.1 ms), and every booking save reads the default
# profile when the centre has not stored its own (bench/bench_bookings_sqlite.py profile).
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def _load_default_cached(path: str) -> CentreProfile:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    return _parse_flat(_flatten_toml(raw), None)


def load_default_profile() -> CentreProfile:
    """Read the shipped defaults. Cached: the profile is immutable, so sharing one copy is safe."""
    return _load_default_cached(str(default_profile_path()))


def _flatten_toml(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Map the sectioned TOML layout onto the flat to_dict() layout."""
    flat: dict[str, Any] = {}
    centre = raw.get("centre", {})
    for key in ("name", "nickname", "operator", "address", "phone"):
        if key in centre:
            flat[key] = centre[key]
    for key in ("rooms", "equipment", "hours", "periods"):
        if key in raw:
            flat[key] = raw[key]
    closures = raw.get("closures", {})
    for src, dst in (("yearly", "yearly_closures"), ("dates", "closed_dates"), ("open_dates", "open_dates")):
        if src in closures:
            flat[dst] = closures[src]
    flat.update(raw.get("booking_windows", {}))
    targets = raw.get("targets", {})
    if "users" in targets:
        flat["target_users"] = targets["users"]
    if "groups" in targets:
        flat["target_groups"] = targets["groups"]
    for key in ("lottery", "refunds", "reductions"):
        if key in raw:
            flat[key] = raw[key]
    return flat


# --- parsing helpers ------------------------------------------------------------------------------

def _hm(t: dt.time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _hm_short(t: dt.time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def _time(value: Any, fld: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        h, m = str(value).strip().split(":")
        return dt.time(int(h), int(m))
    except (ValueError, TypeError):
        raise ValidationError(f"センター設定：時刻「{value}」が正しくありません（HH:MM）", fld) from None


def _date(value: Any, fld: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"センター設定：日付「{value}」が正しくありません（YYYY-MM-DD）", fld) from None


def _month_day(value: Any, fld: str) -> tuple[int, int]:
    try:
        m, d = str(value).strip().split("-")
        month, day = int(m), int(d)
        dt.date(2024, month, day)  # a leap year, so 02-29 is allowed
        return month, day
    except (ValueError, TypeError):
        raise ValidationError(f"センター設定：月日「{value}」が正しくありません（MM-DD）", fld) from None


def _int(value: Any, fld: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(f"センター設定：「{value}」は整数ではありません", fld)
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"センター設定：「{value}」は整数ではありません", fld) from None


def _parse_hours(raw: Any, base: CentreProfile | None) -> dict[str, tuple[dt.time, dt.time] | None]:
    hours: dict[str, tuple[dt.time, dt.time] | None] = {}
    for key in HOUR_KEYS:
        fld = f"hours.{key}"
        if key not in raw:
            # In the shipped TOML an absent weekday is a closed day; in a stored copy it is a key
            # that version did not have, so it inherits the default.
            hours[key] = base.hours.get(key) if base is not None else None
            continue
        value = raw[key]
        if not value:
            hours[key] = None
        elif isinstance(value, (list, tuple)) and len(value) == 2:
            hours[key] = (_time(value[0], fld), _time(value[1], fld))
        else:
            raise ValidationError(f"開館時間（{HOUR_LABELS[key]}）：[開始, 終了] の形で指定してください", fld)
    return hours


def _parse_periods(raw: Any, base: CentreProfile | None) -> dict[str, tuple[Period, ...]]:
    periods: dict[str, tuple[Period, ...]] = {}
    for key in PERIOD_KEYS:
        fld = f"periods.{key}"
        if key not in raw:
            periods[key] = base.periods.get(key, ()) if base is not None else ()
            continue
        periods[key] = tuple(
            Period(str(p["name"]), _time(p["start"], fld), _time(p["end"], fld)) for p in raw[key] or ()
        )
    return periods


def _parse_flat(d: Mapping[str, Any], base: CentreProfile | None) -> CentreProfile:
    def get(key: str, fallback: Any) -> Any:
        if key in d and d[key] is not None:
            return d[key]
        return getattr(base, key) if base is not None else fallback

    def parsed(key: str, parse: Callable[[Any], Any], fallback: Any) -> Any:
        if key in d and d[key] is not None:
            try:
                return parse(d[key])
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValidationError(f"センター設定：{key} の形式が正しくありません", key) from exc
        return getattr(base, key) if base is not None else fallback

    rooms = parsed(
        "rooms",
        lambda items: tuple(
            RoomSpec(
                str(r["name"]), str(r.get("kana", "")), _int(r["capacity"], "rooms"),
                _int(r.get("sort_order", i + 1), "rooms"),
            )
            for i, r in enumerate(items)
        ),
        (),
    )
    equipment = parsed(
        "equipment",
        lambda items: tuple(
            EquipmentSpec(
                str(e["name"]), str(e.get("kana", "")),
                None if e.get("stock") is None else _int(e["stock"], "equipment"),
                str(e.get("unit", "")), _int(e.get("sort_order", i + 1), "equipment"),
            )
            for i, e in enumerate(items)
        ),
        (),
    )

    def yearly(items: Any) -> tuple[YearlyClosure, ...]:
        out = []
        for c in items:
            if "start" in c:
                sm, sd = _month_day(c["start"], "yearly_closures")
                em, ed = _month_day(c["end"], "yearly_closures")
            else:  # dataclass-shaped dict
                sm, sd, em, ed = (_int(c[k], "yearly_closures")
                                  for k in ("start_month", "start_day", "end_month", "end_day"))
            out.append(YearlyClosure(sm, sd, em, ed, str(c.get("reason", ""))))
        return tuple(out)

    def notes(fld: str) -> Callable[[Any], tuple[DateNote, ...]]:
        return lambda items: tuple(DateNote(_date(n["date"], fld), str(n.get("reason", ""))) for n in items)

    return CentreProfile(
        name=str(get("name", "")),
        nickname=str(get("nickname", "")),
        operator=str(get("operator", "")),
        address=str(get("address", "")),
        phone=str(get("phone", "")),
        rooms=rooms,
        equipment=equipment,
        hours=parsed("hours", lambda raw: _parse_hours(raw, base), {k: None for k in HOUR_KEYS}),
        periods=parsed("periods", lambda raw: _parse_periods(raw, base), {k: () for k in PERIOD_KEYS}),
        yearly_closures=parsed("yearly_closures", yearly, ()),
        closed_dates=parsed("closed_dates", notes("closed_dates"), ()),
        open_dates=parsed("open_dates", notes("open_dates"), ()),
        member_months_ahead=_int(get("member_months_ahead", 3), "member_months_ahead"),
        general_months_ahead=_int(get("general_months_ahead", 1), "general_months_ahead"),
        cancel_days_before=_int(get("cancel_days_before", 1), "cancel_days_before"),
        tentative_hold_days=_int(get("tentative_hold_days", 7), "tentative_hold_days"),
        target_users=_int(get("target_users", 29000), "target_users"),
        target_groups=_int(get("target_groups", 260), "target_groups"),
        lottery=(LotteryRules.from_dict(d["lottery"], base.lottery if base is not None else None)
                 if d.get("lottery") is not None else (base.lottery if base is not None else LotteryRules())),
        refunds=(RefundRules.from_dict(d["refunds"], base.refunds if base is not None else None)
                 if d.get("refunds") is not None else (base.refunds if base is not None else RefundRules())),
        reductions=parsed("reductions", reductions_from_list, DEFAULT_REDUCTIONS),
    )


# --- validation -----------------------------------------------------------------------------------

def _validate(p: CentreProfile) -> None:
    if not p.name.strip():
        raise ValidationError("センター名を入力してください", "name")

    seen: set[str] = set()
    for r in p.rooms:
        if not r.name.strip():
            raise ValidationError("部屋：名称を入力してください", "rooms")
        if r.name in seen:
            raise ValidationError(f"部屋「{r.name}」：同じ名称が重複しています", "rooms")
        seen.add(r.name)
        if r.capacity <= 0:
            raise ValidationError(f"部屋「{r.name}」：定員は1以上にしてください", "rooms")

    seen = set()
    for e in p.equipment:
        if not e.name.strip():
            raise ValidationError("備品：名称を入力してください", "equipment")
        if e.name in seen:
            raise ValidationError(f"備品「{e.name}」：同じ名称が重複しています", "equipment")
        seen.add(e.name)
        if e.stock is not None and e.stock < 0:
            raise ValidationError(f"備品「{e.name}」：在庫数は0以上にしてください", "equipment")

    for key in HOUR_KEYS:
        span = p.hours.get(key)
        if span is not None and span[1] <= span[0]:
            raise ValidationError(
                f"開館時間（{HOUR_LABELS[key]}）：終了は開始より後にしてください", f"hours.{key}"
            )

    for key in PERIOD_KEYS:
        label = PERIOD_LABELS[key]
        fld = f"periods.{key}"
        periods = p.periods.get(key, ())
        names: set[str] = set()
        for per in periods:
            if not per.name.strip():
                raise ValidationError(f"時間区分（{label}）：名称を入力してください", fld)
            if per.name in names:
                raise ValidationError(f"時間区分（{label}）「{per.name}」：同じ名称が重複しています", fld)
            names.add(per.name)
            if per.end <= per.start:
                raise ValidationError(
                    f"時間区分（{label}）「{per.name}」：終了は開始より後にしてください", fld
                )
            for day in PERIOD_DAYS[key]:
                span = p.hours.get(day)
                if span is not None and (per.start < span[0] or per.end > span[1]):
                    raise ValidationError(
                        f"時間区分（{label}）「{per.name}」：開館時間（{HOUR_LABELS[day]} "
                        f"{_hm_short(span[0])}〜{_hm_short(span[1])}）の外です",
                        fld,
                    )
        ordered = sorted(periods, key=lambda x: x.start)
        for a, b in zip(ordered, ordered[1:]):
            if b.start < a.end:
                raise ValidationError(f"時間区分（{label}）「{a.name}」と「{b.name}」が重なっています", fld)

    for fld, label in (
        ("member_months_ahead", "登録団体の予約受付（か月先）"),
        ("general_months_ahead", "一般の予約受付（か月先）"),
        ("cancel_days_before", "キャンセル期限（日前）"),
        ("tentative_hold_days", "仮予約の保留日数"),
        ("target_users", "目標利用者数"),
        ("target_groups", "目標登録団体数"),
    ):
        if getattr(p, fld) < 0:
            raise ValidationError(f"{label}：0以上にしてください", fld)

    # Not against p.rooms: those only seed the rooms table, which staff edit (services/centre.py); the
    # service saving the profile passes the table's names to lottery.validate(room_names=...).
    p.lottery.validate()
    p.refunds.validate()
    validate_reductions(p.reductions)

    dates = [n.date for n in p.closed_dates]
    both = set(dates) & {n.date for n in p.open_dates}
    if both:
        d = min(both)
        raise ValidationError(
            f"{d.year}年{d.month}月{d.day}日が臨時休館日と臨時開館日の両方に入っています", "open_dates"
        )
