"""The schema, as SQLAlchemy 2 ORM classes.

Alembic migrations in ``db/versions`` create and upgrade the real tables; these classes must match
them (a test compares the two). Times are local Japan time without a zone (the centre is in one
zone and Japan has no DST); intervals are half-open [start_at, end_at).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.kana import digits_only, search_key

STATUS_VALUES = tuple(s.value for s in BookingStatus)
BLOCKING_SQL = "('tentative','confirmed','in_use','completed')"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: DateTime(), date: Date()}


class Staff(Base):
    """A staff member (職員) who acts at the desk; every change records one."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kana: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="desk")  # desk | manager | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # login: scrypt hash "scrypt$n$r$p$salt$hash"; None = no password set yet (cannot log in)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The staff member's own PostgreSQL login (migration 0009; store/db_roles.py); NULL on SQLite
    # and for staff without a database login.
    db_login: Mapped[str | None] = mapped_column(String(63), nullable=True)

    __table_args__ = (CheckConstraint("role IN ('desk','manager','admin')", name="ck_staff_role"),
                      Index("uq_staff_db_login", "db_login", unique=True))


class Room(Base):
    """A bookable room (部屋): exclusive, one booking at a time."""

    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kana: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("capacity > 0", name="ck_rooms_capacity"),)


class EquipmentType(Base):
    """A kind of equipment (備品) lent with quantities; stock NULL means unlimited."""

    __tablename__ = "equipment_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kana: Mapped[str] = mapped_column(String(200), default="")
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str] = mapped_column(String(20), default="台")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("stock IS NULL OR stock >= 0", name="ck_equipment_stock"),)


class MemberGroup(Base):
    """A group (団体); registered ones (登録団体) carry a registration number and validity.

    Rows are never deleted: a deregistered group (抹消) stays for the history of its bookings,
    and its registration number is never given to another group.
    """

    __tablename__ = "member_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    reg_no: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kana: Mapped[str] = mapped_column(String(400), default="")
    group_type: Mapped[str] = mapped_column(String(20), default="purpose")  # purpose 目的型 | community 地縁型
    is_machizukuri: Mapped[bool] = mapped_column(Boolean, default=False)  # まちづくり協議会
    district: Mapped[str] = mapped_column(String(40), default="")  # 地区 of a まちづくり協議会
    activity_fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # NPO法の20分野
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    registered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    representative: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    declarations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # 宗教・政治・選挙・営利でない旨
    note: Mapped[str] = mapped_column(Text, default="")
    # Folded search keys (booking_app.domain.kana), kept in step by the ORM events below.
    search_text: Mapped[str] = mapped_column(String(1000), default="", index=True)
    phone_digits: Mapped[str] = mapped_column(String(100), default="", index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    # 匿名化 (migration 0010, services/privacy.py): when and by whom (a staff id) the personal
    # fields were replaced with 「（匿名化済み）」; None while the group's data is kept.
    anonymised_at: Mapped[datetime | None] = mapped_column(nullable=True)
    anonymised_by: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint(
            "status IN ('active','renewal_due','expired','suspended','deregistered')", name="ck_groups_status"
        ),
        CheckConstraint("group_type IN ('purpose','community','other')", name="ck_groups_type"),
        CheckConstraint("members IS NULL OR members >= 0", name="ck_groups_members"),
    )

    def refresh_search_keys(self) -> None:
        self.search_text = "|".join(
            search_key(v) for v in (self.reg_no, self.name, self.kana, self.representative, self.contact_name) if v
        )
        self.phone_digits = "|".join(digits_only(v) for v in (self.phone, self.contact_phone) if v)


@event.listens_for(MemberGroup, "before_insert")
@event.listens_for(MemberGroup, "before_update")
def _group_search_keys(_mapper: object, _conn: object, group: MemberGroup) -> None:
    group.refresh_search_keys()


class GroupStatusChange(Base):
    """A change of a group's status (有効・更新待ち・期限切れ・停止・抹消) with who and why."""

    __tablename__ = "group_status_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id"), index=True)
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)  # None: the April change
    old_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    new_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")


class GroupVerification(Base):
    """A check at the counter that a group is registered and in good standing (確認記録)."""

    __tablename__ = "group_verifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id"), index=True)
    at: Mapped[datetime]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status_seen: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")


class NumberSequence(Base):
    """Counters that never go back (registration numbers; later receipt numbers per fiscal year).

    Taken with a row lock (PostgreSQL) or inside BEGIN IMMEDIATE (SQLite) and advanced in the
    same transaction as the row that uses the number, so numbers are unique and gapless.
    """

    __tablename__ = "number_sequences"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)


class CentreSetting(Base):
    """The centre's own values for the profile (centre_profile.toml holds the defaults)."""

    __tablename__ = "centre_settings"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class BookingSeries(Base):
    """A recurring series (繰り返し予約); its dates are ordinary booking rows."""

    __tablename__ = "booking_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))


class Booking(Base):
    """One booking (予約) of a room and/or equipment for one date and time."""

    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"), nullable=True)
    series_detached: Mapped[bool] = mapped_column(Boolean, default=False)  # edited on its own
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    booker_kind: Mapped[str] = mapped_column(String(10), default="member")  # member | group | person
    booker_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")
    attendees: Mapped[int] = mapped_column(Integer, default=0)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.CONFIRMED.value)
    hold_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_users: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # cancel / skip / no-show reason
    override_reason: Mapped[str] = mapped_column(Text, default="")  # manager's written reason
    note: Mapped[str] = mapped_column(Text, default="")
    # 減免 (issue 18): a code of CentreProfile.reductions, approved by a manager (staff.id; a plain
    # integer, not a foreign key, so that SQLite adds the column without rebuilding this table).
    reduction_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reduction_approved_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    equipment: Mapped[list[BookingEquipment]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_bookings_interval"),
        CheckConstraint("attendees >= 0", name="ck_bookings_attendees"),
        CheckConstraint("actual_users IS NULL OR actual_users >= 0", name="ck_bookings_actual"),
        CheckConstraint(
            "status IN (" + ",".join(f"'{s}'" for s in STATUS_VALUES) + ")", name="ck_bookings_status"
        ),
        CheckConstraint("booker_kind IN ('member','group','person')", name="ck_bookings_booker_kind"),
        Index("ix_bookings_room_start", "room_id", "start_at"),
        Index("ix_bookings_start", "start_at"),
        Index("ix_bookings_series", "series_id"),
        Index("ix_bookings_group", "group_id"),
        Index("ix_bookings_status_hold", "status", "hold_until"),
    )

    @property
    def number(self) -> str:
        """The booking number shown to people and printed on slips."""
        return f"{self.id:07d}"


class BookingEquipment(Base):
    """An equipment line of a booking: which kind and how many."""

    __tablename__ = "booking_equipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    equipment_type_id: Mapped[int] = mapped_column(ForeignKey("equipment_types.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    booking: Mapped[Booking] = relationship(back_populates="equipment")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_booking_equipment_qty"),
        UniqueConstraint("booking_id", "equipment_type_id", name="uq_booking_equipment_line"),
        Index("ix_booking_equipment_type", "equipment_type_id", "booking_id"),
    )


class AuditEntry(Base):
    """The audit trail (操作履歴): who changed what, when, with before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The hash chain (store/audit_chain.py, migration 0008): filled by the PostgreSQL trigger, or on
    # SQLite by the before_flush hook registered at the end of this module; never by the services.
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    # The id of the 匿名化 row that erased this row's summary / before / after (migration 0010);
    # set once, by services/privacy.py only, and checked by verify_chain against what that row recorded.
    redacted_in: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)


class Charge(Base):
    """A charge (請求明細) for a booking, a printing-machine use or another item.

    Its price is frozen when it is made: a later change of the fee tables never changes it.
    Open charges are paid by a receipt; a paid charge is never edited, only voided with its receipt.
    """

    __tablename__ = "charges"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), nullable=True, index=True)
    printing_log_id: Mapped[int | None] = mapped_column(ForeignKey("printing_logs.id"), nullable=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_enrolments.id"), nullable=True,
                                                     index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    # room | equipment | item | insurance | reduction (減免: the one kind with a price below zero, a line
    # that takes the reduction off the booking's other charges)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    tax: Mapped[str] = mapped_column(String(20), default="taxable10")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | paid | cancelled
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), nullable=True, index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_charges_quantity"),
        CheckConstraint("unit_price >= 0 OR kind = 'reduction'", name="ck_charges_price"),
        CheckConstraint("kind <> 'reduction' OR unit_price <= 0", name="ck_charges_reduction"),
        CheckConstraint("amount = quantity * unit_price", name="ck_charges_amount"),
        CheckConstraint("tax IN ('taxable10','exempt')", name="ck_charges_tax"),
        CheckConstraint("status IN ('open','paid','cancelled')", name="ck_charges_status"),
        Index("ix_charges_status", "status", "created_at"),
    )


class Receipt(Base):
    """A receipt (領収書): numbered without gaps per fiscal year (2026-000123), never edited or deleted.

    A mistake is voided by a ReceiptVoid row pointing at it; a reissue is a ReceiptPrint row.
    """

    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime] = mapped_column(index=True)
    payer_name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(200))  # 但し書き
    method: Mapped[str] = mapped_column(String(20), default="cash")
    total: Mapped[int] = mapped_column(Integer)
    taxable10: Mapped[int] = mapped_column(Integer, default=0)
    tax10: Mapped[int] = mapped_column(Integer, default=0)
    exempt: Mapped[int] = mapped_column(Integer, default=0)
    stamp_duty: Mapped[int] = mapped_column(Integer, default=0)
    invoice_number: Mapped[str] = mapped_column(String(20), default="")  # the issuer's T number at the time
    # The issuer as it was when the receipt was issued (a reissue or void prints these, not today's
    # settings). NULL on receipts issued before migration 0007: they print the current issuer.
    issuer_centre_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issuer_operator: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issuer_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    issuer_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    terminal: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    lines: Mapped[list[ReceiptLine]] = relationship(back_populates="receipt", lazy="selectin",
                                                    order_by="ReceiptLine.id")

    __table_args__ = (
        UniqueConstraint("fiscal_year", "seq", name="uq_receipts_fy_seq"),
        CheckConstraint("total = taxable10 + exempt", name="ck_receipts_total"),
        CheckConstraint("total >= 0", name="ck_receipts_nonneg"),
        CheckConstraint("method IN ('cash','card','transfer','qr','other')", name="ck_receipts_method"),
    )


class ReceiptLine(Base):
    """A line of a receipt, copied from the charge it pays."""

    __tablename__ = "receipt_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charges.id"), nullable=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    tax: Mapped[str] = mapped_column(String(20))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")


class ReceiptVoid(Base):
    """The voiding (取消) of a receipt and the refund paid back, pointing at the original."""

    __tablename__ = "receipt_voids"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text)
    refund_amount: Mapped[int] = mapped_column(Integer)
    refund_method: Mapped[str] = mapped_column(String(20), default="cash")
    terminal: Mapped[str] = mapped_column(String(100), default="")


class ReceiptPrint(Base):
    """Each printing of a receipt; any after the first is a reissue (再発行) and says so on paper."""

    __tablename__ = "receipt_prints"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    at: Mapped[datetime]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    reissue: Mapped[bool] = mapped_column(Boolean, default=False)
    layout: Mapped[str] = mapped_column(String(10), default="A5")


class PrintingLog(Base):
    """A use of the printing machine (印刷機): who, masters, sheets, paper; its fee flows into a charge."""

    __tablename__ = "printing_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    user_name: Mapped[str] = mapped_column(String(200))
    masters: Mapped[int] = mapped_column(Integer)
    sheets: Mapped[int] = mapped_column(Integer)
    paper: Mapped[str] = mapped_column(String(10), default="brought")  # brought | bought
    fee: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("masters >= 0 AND sheets >= 0", name="ck_printing_counts"),
        CheckConstraint("paper IN ('brought','bought')", name="ck_printing_paper"),
    )


class DayClosing(Base):
    """The daily cash-up (日計表) of one terminal, closed by a staff member."""

    __tablename__ = "day_closings"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    terminal: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime]
    closed_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)
    cash_counted: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("day", "terminal", name="uq_day_closings_day_terminal"),)


class InsurancePlan(Base):
    """An insurance plan (保険プラン) of one fiscal year; a new year's premiums are new rows."""

    __tablename__ = "insurance_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.insurance.Plan.to_dict()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)

    __table_args__ = (UniqueConstraint("fiscal_year", "code", name="uq_insurance_plans_fy_code"),)


class InsuranceEnrolment(Base):
    """An enrolment (加入) of a group, or of an event, in a plan; in force once its premium is paid."""

    __tablename__ = "insurance_enrolments"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("insurance_plans.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True, index=True)
    holder_name: Mapped[str] = mapped_column(String(200))  # the group or organiser as written on the form
    event_name: Mapped[str] = mapped_column(String(200), default="")
    event_place: Mapped[str] = mapped_column(String(200), default="")
    event_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    event_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    event_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_participants: Mapped[int | None] = mapped_column(Integer, nullable=True)
    head_count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # plans without a roster
    applied_on: Mapped[date]
    cover_start: Mapped[date]
    cover_end: Mapped[date]
    premium: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | cancelled
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    __table_args__ = (
        CheckConstraint("cover_end >= cover_start OR status = 'cancelled'", name="ck_enrolments_cover"),
        CheckConstraint("premium >= 0", name="ck_enrolments_premium"),
        CheckConstraint("status IN ('active','cancelled')", name="ck_enrolments_status"),
        Index("ix_enrolments_cover", "cover_start", "cover_end"),
    )


class InsuredPerson(Base):
    """A person on an enrolment's roster (被保険者), with their own start; removal keeps the row."""

    __tablename__ = "insured_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("insurance_enrolments.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(200), default="")
    search_text: Mapped[str] = mapped_column(String(400), default="", index=True)
    added_on: Mapped[date]
    cover_start: Mapped[date]
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    premium: Mapped[int] = mapped_column(Integer, default=0)  # what adding this person cost
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))


class AccidentReport(Base):
    """An accident report (事故報告) to pass on to the city or insurer within a deadline."""

    __tablename__ = "accident_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_enrolments.id"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    person_name: Mapped[str] = mapped_column(String(100))
    # Who reports it and how the insurer reaches them (報告者・連絡先), and who saw it (目撃者).
    reporter_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    reporter_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    witnesses: Mapped[str] = mapped_column(Text, default="", server_default="")
    occurred_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    injury: Mapped[str] = mapped_column(Text, default="")
    damage: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | sent | closed
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    __table_args__ = (
        CheckConstraint("status IN ('open','sent','closed')", name="ck_accidents_status"),
        Index("ix_accidents_status_deadline", "status", "deadline"),
    )


class WalkInTally(Base):
    """A walk-in count (来館者カウント) clicked at the counter: category, how many, who, when.

    An undo never deletes: it stamps undone_at/undone_by, and the count leaves the totals.
    """

    __tablename__ = "walkin_tallies"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    terminal: Mapped[str] = mapped_column(String(100), default="")
    undone_at: Mapped[datetime | None] = mapped_column(nullable=True)
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("count > 0", name="ck_tallies_count"),
        Index("ix_tallies_category_at", "category", "at"),
    )


class CentreEvent(Base):
    """An event the centre runs itself (講座・研修・交流会) and its attendance."""

    __tablename__ = "centre_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # 講座 | 研修 | 交流会 | その他
    day: Mapped[date] = mapped_column(index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    attendance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)

    __table_args__ = (CheckConstraint("attendance IS NULL OR attendance >= 0", name="ck_events_attendance"),)


class MonthClosing(Base):
    """A closed month (月次締め): its figures as submitted, locked against silent change."""

    __tablename__ = "month_closings"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime]
    closed_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("year", "month", name="uq_month_closings_year_month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="ck_month_closings_month"),
    )


class StatAmendment(Base):
    """A correction to a closed month (訂正): who, when, why, old and new figure.

    The next monthly report lists it; the submitted number itself is never rewritten.
    """

    __tablename__ = "stat_amendments"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))  # e.g. 'users.room.大会議室', 'users.walkin.相談'
    old_value: Mapped[int] = mapped_column(Integer)
    new_value: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(80), default="")  # what changed: 'booking:123', 'tally:45'
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))



# --------------------------------------------------------------------------- the lottery (抽選, issue 18)

LOTTERY_CHANNELS = ("counter", "phone")  # 窓口 | 電話
LOTTERY_ENTRY_STATUSES = ("entered", "won", "lost", "withdrawn")  # 受付済 | 当選 | 落選 | 取下げ


class LotteryEntry(Base):
    """A lottery entry (抽選の申込) for the month of use ``month`` (its first day), numbered per month.

    ``entry_no`` (受付番号) is 1, 2, 3 … within the month; the unique constraint keeps two terminals from
    giving the same number. A withdrawal (取下げ) is a status with who, when and why: nothing is deleted.
    """

    __tablename__ = "lottery_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    entry_no: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="entered")
    taken_at: Mapped[datetime]
    taken_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("month", "entry_no", name="uq_lottery_entries_month_no"),
        CheckConstraint("entry_no > 0", name="ck_lottery_entries_no"),
        CheckConstraint("channel IN ('counter','phone')", name="ck_lottery_entries_channel"),
        CheckConstraint("status IN ('entered','won','lost','withdrawn')", name="ck_lottery_entries_status"),
        Index("ix_lottery_entries_group_month", "group_id", "month"),
    )


class LotteryWish(Base):
    """One slot (区分) of one wish (希望) of an entry: ``rank`` 1..3 = 第1〜第3希望, ``seq`` its order in an
    all-or-nothing wish. ``booking_id``: the 仮予約 the draw made for this slot when the wish won."""

    __tablename__ = "lottery_wishes"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("lottery_entries.id"))
    rank: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), nullable=True)

    __table_args__ = (
        UniqueConstraint("entry_id", "rank", "seq", name="uq_lottery_wishes_entry_rank_seq"),
        CheckConstraint("rank BETWEEN 1 AND 3", name="ck_lottery_wishes_rank"),
        CheckConstraint("seq > 0", name="ck_lottery_wishes_seq"),
        CheckConstraint("end_at > start_at", name="ck_lottery_wishes_times"),
    )


class LotteryDraw(Base):
    """The draw (抽選の実施) of one month: at most one per month (the unique constraint refuses a second).

    ``seed`` and ``digest`` (allocation.DrawResult.digest) let anyone re-run it for an audit; ``inputs``
    holds what the entries alone do not: the slots already booked at the draw and the limits applied."""

    __tablename__ = "lottery_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(Text)
    algorithm: Mapped[str] = mapped_column(Text)
    drawn_at: Mapped[datetime]
    drawn_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    entries: Mapped[int] = mapped_column(Integer)
    won: Mapped[int] = mapped_column(Integer)
    lost: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("month", name="uq_lottery_draws_month"),)


class WaitlistEntry(Base):
    """A request to be offered a slot when it frees (キャンセル待ち), in the order of ``id``.

    The slot is a room and a time (usually one 区分). The life of an entry: ``waiting`` → ``offered``
    (with ``reply_by``) → ``accepted`` (``booking_id``: the booking made) / ``declined`` / ``expired``; or
    ``withdrawn`` at the requester's wish. Nothing is deleted. Two partial unique indexes hold on both
    databases: a group waits at most once for a slot, and a slot has at most one open offer (so the
    next in line is offered only when the previous offer is answered or expired).
    """

    __tablename__ = "waitlist_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("member_groups.id"), nullable=True)
    booker_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    requested_at: Mapped[datetime]
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    offered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    offered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    reply_by: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    close_reason: Mapped[str] = mapped_column(Text, default="")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_waitlist_times"),
        CheckConstraint("status IN ('waiting','offered','accepted','declined','expired','withdrawn')",
                        name="ck_waitlist_status"),
        CheckConstraint("status <> 'offered' OR (offered_at IS NOT NULL AND reply_by IS NOT NULL)",
                        name="ck_waitlist_offer"),
        CheckConstraint("status <> 'accepted' OR booking_id IS NOT NULL", name="ck_waitlist_accepted"),
        CheckConstraint("group_id IS NOT NULL OR booker_name <> ''", name="ck_waitlist_who"),
        Index("ix_waitlist_slot", "room_id", "start_at"),
        Index("uq_waitlist_group_slot", "room_id", "start_at", "end_at", "group_id", unique=True,
              sqlite_where=text("status IN ('waiting','offered') AND group_id IS NOT NULL"),
              postgresql_where=text("status IN ('waiting','offered') AND group_id IS NOT NULL")),
        Index("uq_waitlist_one_offer", "room_id", "start_at", unique=True,
              sqlite_where=text("status = 'offered'"), postgresql_where=text("status = 'offered'")),
    )


class Refund(Base):
    """A refund (還付) paid back on a cancelled booking's paid charges, by the refund rules.

    The receipt stays as it was (a partial refund is not a void); ``refund_no`` (R2026-000001) is
    numbered without gaps per fiscal year like receipts, and printed on the 還付 slip. ``paid`` is what
    the booking's lines on ``receipt_id`` came to, ``rate`` the percent refunded and ``amount`` the yen
    (refunds.refund_amount: rounded down). At most one refund per booking and receipt; never edited.
    """

    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    refund_no: Mapped[str] = mapped_column(String(20), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    paid: Mapped[int] = mapped_column(Integer)
    rate: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    why_text: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(20), default="cash")
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    terminal: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (
        UniqueConstraint("fiscal_year", "seq", name="uq_refunds_fy_seq"),
        UniqueConstraint("booking_id", "receipt_id", name="uq_refunds_booking_receipt"),
        CheckConstraint("rate BETWEEN 0 AND 100", name="ck_refunds_rate"),
        CheckConstraint("amount >= 0 AND amount <= paid", name="ck_refunds_amount"),
        CheckConstraint("reason <> ''", name="ck_refunds_reason"),
        CheckConstraint("method IN ('cash','card','transfer','qr','other')", name="ck_refunds_method"),
    )


# The audit chain on SQLite: every session numbers and hashes its new audit rows as it flushes them.
def _register_audit_chain() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from booking_app.store.audit_chain import seal_new_entries

    if not event.contains(Session, "before_flush", seal_new_entries):
        event.listen(Session, "before_flush", seal_new_entries)


_register_audit_chain()
