"""What a booking looks like to its callers (予約の入力と表示): the input a dialog or an import row gives,
the view every screen shows, the checks that need no database, and reading bookings into views.

It sits below both writers (services/bookings.py, the ORM path, and services/booking_fast_save.py, the plain-SQL
path) so neither imports the other's module for these: the services import graph has no cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from booking_app.domain import booking_rules
from booking_app.domain.booking_rules import BookingStatus, status_on
from booking_app.domain.errors import ConflictError, NotFound, ValidationError
from booking_app.services.common import local_now
from booking_app.store.models import Booking, EquipmentType, MemberGroup, Room

EXPIRED_REASON = "仮予約の期限切れ"
TEXT_LIMITS = (("booker_name", "団体名・氏名", 200), ("contact_phone", "電話番号", 40), ("purpose", "利用目的", 200))


@dataclass
class BookingInput:
    """What the booking dialog (or an import row) asks for."""

    start: datetime
    end: datetime
    room_id: int | None = None
    booker_kind: str = "member"  # member 登録団体 | group 団体（未登録） | person 個人
    group_id: int | None = None
    booker_name: str = ""
    contact_phone: str = ""
    purpose: str = ""
    attendees: int = 0
    equipment: dict[int, int] = field(default_factory=dict)  # equipment_type_id → quantity
    tentative: bool = False
    hold_until: date | None = None
    note: str = ""
    override_reason: str = ""  # a manager's written reason to book outside the rules
    # 減免 (issue 18): a code of CentreProfile.reductions, set when a manager creates the booking (a desk
    # clerk's create with a code is refused). An edit never changes it: a booking's code is set or removed
    # with services.reductions.set_reduction, so an edit of a series or by the desk keeps it.
    reduction_code: str | None = None


@dataclass(frozen=True)
class EquipmentLine:
    equipment_type_id: int
    name: str
    quantity: int
    unit: str


@dataclass(frozen=True)
class BookingView:
    id: int
    number: str
    room_id: int | None
    room_name: str
    start: datetime
    end: datetime
    status: str
    status_label: str
    booker_kind: str
    group_id: int | None
    group_reg_no: str | None
    booker_name: str
    contact_phone: str
    purpose: str
    attendees: int
    actual_users: int | None
    equipment: tuple[EquipmentLine, ...]
    series_id: int | None
    hold_until: date | None
    status_reason: str
    override_reason: str
    note: str
    version: int
    reduction_code: str | None = None  # 減免区分 (issue 18)
    reduction_approved_by: int | None = None  # the manager (staff id) who approved it

    @property
    def blocks_slot(self) -> bool:
        """Whether it holds its slot; ``status`` is already the state as of the day the view was made."""
        return BookingStatus(self.status).blocks_slot

    def to_input(self) -> BookingInput:
        return BookingInput(
            start=self.start, end=self.end, room_id=self.room_id, booker_kind=self.booker_kind,
            group_id=self.group_id, booker_name=self.booker_name, contact_phone=self.contact_phone,
            purpose=self.purpose, attendees=self.attendees,
            equipment={e.equipment_type_id: e.quantity for e in self.equipment},
            tentative=self.status == BookingStatus.TENTATIVE.value, hold_until=self.hold_until, note=self.note,
            reduction_code=self.reduction_code,
        )


# --------------------------------------------------------------------------- what blocks a slot (SQL)


def hold_lapsed_sql(today: date | ColumnElement[date], row: Any = Booking) -> ColumnElement[bool]:
    """``booking_rules.hold_lapsed_sql`` on the Booking entity (or an alias of it)."""
    return booking_rules.hold_lapsed_sql(today, row)


def blocks_slot_sql(today: date | ColumnElement[date], row: Any = Booking) -> ColumnElement[bool]:
    """``booking_rules.blocks_slot_sql`` on the Booking entity (or an alias of it)."""
    return booking_rules.blocks_slot_sql(today, row)


def _today(today: date | None) -> date:
    return today if today is not None else local_now().date()


# --------------------------------------------------------------------------- reading


def get_booking(session: Session, booking_id: int, *, today: date | None = None) -> BookingView:
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound(f"予約番号 {booking_id:07d} は見つかりません。番号を確かめてください。")
    return to_view(session, b, today=today)


def to_view(session: Session, b: Booking, *, rooms: dict[int, str] | None = None,
            groups: dict[int, tuple[str, str | None]] | None = None,
            equipment: dict[int, tuple[str, str]] | None = None, today: date | None = None) -> BookingView:
    """The booking as the screens show it on ``today`` (the clock's, by default).

    A 仮予約 past its deadline reads 期限切れ even before a write has marked it (booking_rules.status_on),
    so every list, the calendar and the dialog say what saving will do.
    """
    room_name = ""
    if b.room_id is not None:
        room_name = rooms[b.room_id] if rooms is not None else session.get_one(Room, b.room_id).name
    name, reg_no = b.booker_name, None
    if b.group_id is not None:
        if groups is not None and b.group_id in groups:
            name, reg_no = groups[b.group_id]
        else:
            g = session.get_one(MemberGroup, b.group_id)
            name, reg_no = g.name, g.reg_no
    lines = []
    for line in b.equipment:
        if equipment is not None:
            ename, unit = equipment[line.equipment_type_id]
        else:
            et = session.get_one(EquipmentType, line.equipment_type_id)
            ename, unit = et.name, et.unit
        lines.append(EquipmentLine(line.equipment_type_id, ename, line.quantity, unit))
    status = status_on(b.status, b.hold_until, _today(today))
    reason = b.status_reason
    if status.value != b.status and not reason:
        reason = EXPIRED_REASON  # what expire_overdue_holds will write
    return BookingView(
        id=b.id, number=b.number, room_id=b.room_id, room_name=room_name, start=b.start_at, end=b.end_at,
        status=status.value, status_label=status.label, booker_kind=b.booker_kind, group_id=b.group_id,
        group_reg_no=reg_no, booker_name=name, contact_phone=b.contact_phone, purpose=b.purpose,
        attendees=b.attendees, actual_users=b.actual_users, equipment=tuple(lines), series_id=b.series_id,
        hold_until=b.hold_until, status_reason=reason, override_reason=b.override_reason, note=b.note,
        version=b.version, reduction_code=b.reduction_code, reduction_approved_by=b.reduction_approved_by,
    )


def views_for(session: Session, bookings: Sequence[Booking], *, today: date | None = None) -> list[BookingView]:
    """Views for many bookings with three lookups in all, never one query per row (states as of ``today``)."""
    today = _today(today)
    # FIX (tests/services): Result.tuples() is deprecated in SQLAlchemy 2.1 and the warning is an
    # error under pytest; rows already unpack like tuples.
    rooms = {i: n for i, n in session.execute(select(Room.id, Room.name))}
    equipment = {i: (n, u) for i, n, u in session.execute(select(EquipmentType.id, EquipmentType.name,
                                                                   EquipmentType.unit))}
    gids = {b.group_id for b in bookings if b.group_id is not None}
    groups: dict[int, tuple[str, str | None]] = {}
    if gids:
        for gid, name, reg in session.execute(
            select(MemberGroup.id, MemberGroup.name, MemberGroup.reg_no).where(MemberGroup.id.in_(gids))
        ):
            groups[gid] = (name, reg)
    return [to_view(session, b, rooms=rooms, groups=groups, equipment=equipment, today=today) for b in bookings]


# --------------------------------------------------------------------------- checks


def check_input(data: BookingInput) -> None:
    """The checks of an input that need no database (times, who, purpose, numbers)."""
    if data.start is None or data.end is None:
        raise ValidationError("利用日時を入力してください。", field="time")
    if data.end <= data.start:
        raise ValidationError("終了時刻は開始時刻より後にしてください。", field="end")
    if data.start.date() != data.end.date() and data.end != datetime.combine(data.start.date()
                                                                            + timedelta(days=1), time()):
        raise ValidationError("予約は1日の中で入力してください（日をまたぐ場合は2件に分けてください）。",
                              field="end")
    if data.room_id is None and not any(q for q in data.equipment.values()):
        raise ValidationError("部屋か備品のどちらかを選んでください。", field="room")
    if data.booker_kind not in ("member", "group", "person"):
        raise ValidationError("利用者区分は「登録団体」「団体」「個人」から選んでください。", field="booker_kind")
    if data.booker_kind != "member" and not data.booker_name.strip():
        label = "氏名" if data.booker_kind == "person" else "団体名"
        raise ValidationError(f"{label}を入力してください。", field="booker_name")
    if not data.purpose.strip():
        raise ValidationError("利用目的を入力してください（例：定例会、講座）。", field="purpose")
    # The columns' String(n), which PostgreSQL enforces and SQLite does not; every caller (dialog,
    # import, series) gets the same message instead of a database error on one of the two.
    for name, label, limit in TEXT_LIMITS:
        value = getattr(data, name) or ""
        if len(value.strip()) > limit:
            raise ValidationError(f"{label}は{limit}文字以内で入力してください（今は{len(value.strip())}文字）。",
                                  field=name)
    for name, label in (("booker_name", "団体名・氏名"), ("contact_phone", "電話番号"), ("purpose", "利用目的"),
                        ("note", "備考"), ("override_reason", "規則外の理由")):
        if "\x00" in (getattr(data, name) or ""):
            raise ValidationError(f"{label}に使えない文字（制御文字）が含まれています。入力し直してください。",
                                  field=name)
    if data.attendees is None or data.attendees < 0:
        raise ValidationError("予定人数は0以上の数で入力してください。", field="attendees")
    for qty in data.equipment.values():
        if qty is None or qty < 0:
            raise ValidationError("備品の数は0以上で入力してください。", field="equipment")
    if data.tentative and data.hold_until is None:
        raise ValidationError("仮予約には保留期限を入力してください。", field="hold_until")


def overlap_error(what: str) -> ConflictError:
    """The desk's message when the database's double-booking guard (PostgreSQL's exclusion constraint)
    refused a row another terminal's booking overlaps (also used by booking_fast_save)."""
    return ConflictError(f"{what}の間に、他の端末が同じ部屋・時間を予約しました。画面を更新して空きを確かめてください。")
