"""パスワード再設定 and the login-name check through services.db_login (the accounts page holds no store import)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.services import auth, db_login
from booking_app.services.common import Actor
from booking_app.store.engine import write_session
from booking_app.store.models import Staff


def _admin(s) -> Actor:
    st = s.scalars(select(Staff).where(Staff.role == "admin")).first()
    return Actor(st.id, st.name, st.role)


def test_reset_sets_the_desk_password_and_is_for_admins_only(world):
    with world.write() as s:
        db_login.reset_staff_password(s, _admin(s), world.desk.id, "new-desk-pass-88")
    assert auth.attempt_login(world.engine, world.desk.id, "new-desk-pass-88") == world.desk
    with pytest.raises(PermissionDenied):
        with write_session(world.engine) as s:
            db_login.reset_staff_password(s, world.manager, world.desk.id, "other-pass-99")


def test_the_login_name_check_says_what_to_fix():
    assert db_login.check_login_name("  hayashi_y ") == "hayashi_y"
    with pytest.raises(ValidationError, match="英小文字"):
        db_login.check_login_name("Hayashi")
