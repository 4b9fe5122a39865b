"""The centre profile (センター設定): defaults from resources/centre_profile.toml, the centre's own values
in the database, and the rooms, equipment and staff lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.domain.errors import NotFound, ValidationError
from booking_app.domain.profile import CentreProfile, load_default_profile
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.settings_store import put_value, stored_value
from booking_app.store.models import CentreSetting, EquipmentType, Room, Staff

PROFILE_KEY = "profile"


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    kana: str
    capacity: int
    sort_order: int
    active: bool = True


@dataclass(frozen=True)
class EquipmentInfo:
    id: int
    name: str
    kana: str
    stock: int | None
    unit: str
    sort_order: int
    active: bool = True


@dataclass(frozen=True)
class StaffInfo:
    id: int
    name: str
    role: str

    def as_actor(self) -> Actor:
        return Actor(self.id, self.name, self.role)


def get_profile(session: Session) -> CentreProfile:
    """The centre's profile: its stored values over the shipped defaults."""
    row = session.get(CentreSetting, PROFILE_KEY)
    if row is None:
        return load_default_profile()
    return CentreProfile.from_dict(row.value)


def save_profile(session: Session, actor: Actor, profile: CentreProfile, *, now: datetime | None = None) -> None:
    require_manager(session, actor, "センター設定の変更")
    profile.validate()
    # The lottery rooms as the rooms table names them (profile.rooms only seeds that table).
    profile.lottery.validate(room_names=[r.name for r in list_rooms(session)])
    now = now or local_now()
    before = put_value(session, PROFILE_KEY, profile.to_dict(), by=actor.id, now=now)
    audit(session, actor, "update", "centre_profile", None, "センター設定を変更", before=before,
          after=profile.to_dict(), now=now)


def list_rooms(session: Session, *, include_inactive: bool = False) -> list[RoomInfo]:
    q = select(Room).order_by(Room.sort_order, Room.id)
    if not include_inactive:
        q = q.where(Room.active.is_(True))
    return [RoomInfo(r.id, r.name, r.kana, r.capacity, r.sort_order, r.active) for r in session.scalars(q)]


def list_equipment(session: Session, *, include_inactive: bool = False) -> list[EquipmentInfo]:
    q = select(EquipmentType).order_by(EquipmentType.sort_order, EquipmentType.id)
    if not include_inactive:
        q = q.where(EquipmentType.active.is_(True))
    return [
        EquipmentInfo(e.id, e.name, e.kana, e.stock, e.unit, e.sort_order, e.active) for e in session.scalars(q)
    ]


def list_staff(session: Session) -> list[StaffInfo]:
    q = select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)
    return [StaffInfo(s.id, s.name, s.role) for s in session.scalars(q)]


def get_staff(session: Session, staff_id: int) -> StaffInfo:
    s = session.get(Staff, staff_id)
    if s is None or not s.active:
        raise NotFound("担当者が見つかりません。担当者を選び直してください。")
    return StaffInfo(s.id, s.name, s.role)


def save_room(
    session: Session, actor: Actor, *, room_id: int | None, name: str, kana: str, capacity: int,
    sort_order: int, active: bool = True, now: datetime | None = None,
) -> int:
    """Add or change a room. Rooms are never deleted (bookings point at them): set active=False."""
    require_manager(session, actor, "部屋の登録・変更")
    name = name.strip()
    if not name:
        raise ValidationError("部屋名を入力してください。", field="name")
    # The columns' String(n), which PostgreSQL enforces and SQLite does not.
    if len(name) > 100 or len(kana or "") > 200:
        raise ValidationError("部屋名は100文字以内、よみがなは200文字以内で入力してください。",
                              field="name" if len(name) > 100 else "kana")
    if capacity is not None and capacity > 100_000:
        raise ValidationError("定員は100,000人以下で入力してください。", field="capacity")
    if capacity is None or capacity <= 0:
        raise ValidationError("定員は1以上の数で入力してください。", field="capacity")
    clash = session.scalar(select(Room.id).where(Room.name == name, Room.id != (room_id or 0)))
    if clash:
        raise ValidationError(f"部屋名「{name}」は既にあります。別の名前にしてください。", field="name")
    room: Room | None
    if room_id is None:
        room = Room(name=name, kana=kana, capacity=capacity, sort_order=sort_order, active=active)
        session.add(room)
        session.flush()
        audit(session, actor, "create", "room", room.id, f"部屋「{name}」を追加", after=_room_snap(room), now=now)
        return room.id
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("部屋が見つかりません。")
    before = _room_snap(room)
    room.name, room.kana, room.capacity, room.sort_order, room.active = name, kana, capacity, sort_order, active
    audit(session, actor, "update", "room", room.id, f"部屋「{name}」を変更", before=before,
          after=_room_snap(room), now=now)
    return room.id


def save_equipment(
    session: Session, actor: Actor, *, equipment_id: int | None, name: str, kana: str, stock: int | None,
    unit: str, sort_order: int, active: bool = True, now: datetime | None = None,
) -> int:
    """Add or change an equipment type; stock None means unlimited."""
    require_manager(session, actor, "備品の登録・変更")
    name = name.strip()
    if not name:
        raise ValidationError("備品名を入力してください。", field="name")
    if len(name) > 100 or len(kana or "") > 200 or len(unit or "") > 20:
        # The columns' String(n), which PostgreSQL enforces and SQLite does not.
        raise ValidationError("備品名は100文字以内、よみがなは200文字以内、単位は20文字以内で入力してください。",
                              field="name")
    if stock is not None and not 0 <= stock <= 100_000:
        # A huge number would overflow the INTEGER column (an OverflowError without a message).
        raise ValidationError("在庫数は0以上100,000以下で入力してください（空欄は無制限）。", field="stock")
    clash = session.scalar(
        select(EquipmentType.id).where(EquipmentType.name == name, EquipmentType.id != (equipment_id or 0))
    )
    if clash:
        raise ValidationError(f"備品名「{name}」は既にあります。別の名前にしてください。", field="name")
    eq: EquipmentType | None
    if equipment_id is None:
        eq = EquipmentType(name=name, kana=kana, stock=stock, unit=unit or "台", sort_order=sort_order,
                           active=active)
        session.add(eq)
        session.flush()
        audit(session, actor, "create", "equipment", eq.id, f"備品「{name}」を追加", after=_eq_snap(eq), now=now)
        return eq.id
    eq = session.get(EquipmentType, equipment_id)
    if eq is None:
        raise NotFound("備品が見つかりません。")
    before = _eq_snap(eq)
    eq.name, eq.kana, eq.stock, eq.unit, eq.sort_order, eq.active = name, kana, stock, unit, sort_order, active
    audit(session, actor, "update", "equipment", eq.id, f"備品「{name}」を変更", before=before,
          after=_eq_snap(eq), now=now)
    return eq.id


def _room_snap(r: Room) -> dict[str, Any]:
    return {"name": r.name, "kana": r.kana, "capacity": r.capacity, "sort_order": r.sort_order, "active": r.active}


def _eq_snap(e: EquipmentType) -> dict[str, Any]:
    return {"name": e.name, "kana": e.kana, "stock": e.stock, "unit": e.unit, "sort_order": e.sort_order,
            "active": e.active}


DEFAULT_STAFF = (("受付スタッフ", "desk"), ("センター長", "manager"), ("システム管理者", "admin"))


def ensure_initial_data(session: Session, *, now: datetime | None = None) -> bool:
    """Fill an empty database with the profile's rooms and equipment and a starting staff list.

    Runs at every start; does nothing once the tables have rows, so a second terminal opening the
    same database at the same moment is harmless (both run inside BEGIN IMMEDIATE / unique names).
    Returns True when it created anything.
    """
    now = now or local_now()
    created = False
    if not session.scalar(select(func.count()).select_from(Staff)):
        for name, role in DEFAULT_STAFF:
            session.add(Staff(name=name, role=role, created_at=now))
        created = True
    if not session.scalar(select(func.count()).select_from(Room)):
        profile = load_default_profile()
        for i, r in enumerate(profile.rooms):
            session.add(Room(name=r.name, kana=r.kana, capacity=r.capacity, sort_order=r.sort_order or i))
        for i, e in enumerate(profile.equipment):
            session.add(EquipmentType(name=e.name, kana=e.kana, stock=e.stock, unit=e.unit,
                                      sort_order=e.sort_order or i))
        created = True
    session.flush()
    return created


TARGETS_KEY = "targets"


@dataclass(frozen=True)
class Targets:
    """The city's targets for one fiscal year (年度目標): users and registered groups."""

    fiscal_year: int
    users: int
    groups: int
    is_default: bool = True


def targets_for(session: Session, fiscal_year: int) -> Targets:
    """The year's targets as set in settings, else the plan's figures from the profile."""
    row = session.get(CentreSetting, TARGETS_KEY)
    stored = (row.value if row else {}).get(str(fiscal_year))
    if stored:
        return Targets(fiscal_year, int(stored["users"]), int(stored["groups"]), False)
    profile = get_profile(session)
    return Targets(fiscal_year, profile.target_users, profile.target_groups, True)


def save_targets(session: Session, actor: Actor, fiscal_year: int, users: int, groups: int, *,
                 now: datetime | None = None) -> Targets:
    """Set one fiscal year's targets (manager); other years keep theirs."""
    require_manager(session, actor, "目標値の設定")
    if users is None or users <= 0:
        raise ValidationError("目標利用者数は1以上の数で入力してください。", field="users")
    if groups is None or groups <= 0:
        raise ValidationError("目標登録団体数は1以上の数で入力してください。", field="groups")
    now = now or local_now()
    before = stored_value(session, TARGETS_KEY) or {}
    value = {**before, str(fiscal_year): {"users": int(users), "groups": int(groups)}}
    put_value(session, TARGETS_KEY, value, by=actor.id, now=now)
    audit(session, actor, "update", "targets", fiscal_year, f"{fiscal_year}年度の目標を設定（利用者{users}人・団体{groups}）",
          before=before, after=value, now=now)
    return Targets(fiscal_year, int(users), int(groups), False)
