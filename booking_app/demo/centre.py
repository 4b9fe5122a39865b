"""The demo centre as a set-up centre is: every account signs in with the public demo password, and the
receipt issuer (指定管理者, invoice registration number, phone) is filled in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.demo.tables import DEMO_INVOICE_NUMBER, DEMO_OPERATOR, DEMO_PHONE
from booking_app.services.auth import DEMO_PASSWORD, hash_password
from booking_app.services.centre import get_profile, save_profile
from booking_app.services.common import Actor
from booking_app.services.fees import get_fees, save_fees
from booking_app.store.models import Staff


def give_demo_passwords(session: Session, now: datetime) -> None:
    """Every active staff member signs in with ``auth.DEMO_PASSWORD``, so `make demo` can log in.

    The seeder reads the password from services.auth (which shows it in the login dialog on a demo
    database); nothing below the demo package knows the seeder."""
    digest = hash_password(DEMO_PASSWORD)  # one hash for all: each costs ~0.6 s at the desk's scrypt cost
    for s in session.scalars(select(Staff).where(Staff.active.is_(True))):
        s.password_hash = digest
        s.password_changed_at = now
        s.failed_logins, s.locked_until = 0, None


def complete_the_issuer(session: Session, manager: Actor, *, now: datetime) -> None:
    """The demo centre's 指定管理者, invoice registration number and phone, so receipts and slips show
    what a real desk's do. Only what is still blank is filled: a centre's own values stay."""
    profile = get_profile(session)
    if not profile.operator or not profile.phone:
        save_profile(session, manager, replace(profile, operator=profile.operator or DEMO_OPERATOR,
                                               phone=profile.phone or DEMO_PHONE), now=now)
    schedule = get_fees(session)
    if not schedule.operator or not schedule.invoice_number:
        save_fees(session, manager, replace(schedule, operator=schedule.operator or DEMO_OPERATOR,
                                            invoice_number=schedule.invoice_number or DEMO_INVOICE_NUMBER),
                  now=now)
