"""The staff member a test acts as, by role (one copy for the UI tests; issue 16)."""

from __future__ import annotations

from sqlalchemy import select

from booking_app.services.common import Actor
from booking_app.store.engine import read_session
from booking_app.store.models import Staff


def actor_for(engine, role: str) -> Actor:
    """The first staff row with ``role`` (desk / manager / admin) in the test database, as an Actor."""
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role).order_by(Staff.id)).first()
        assert st is not None, f"no staff member with the role {role!r} in the test database"
        return Actor(st.id, st.name, st.role)
