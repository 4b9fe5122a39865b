"""services.connection: the connection checks the 接続設定 screen uses, without the screen (no Qt)."""

from __future__ import annotations

import pytest

from booking_app import config
from booking_app.services import connection


def test_target_reads_server_fields_and_never_the_password():
    t = connection.target_of("postgresql://desk:secret@db.centre.example:5433/fukufuku"
                             "?sslmode=verify-full&sslrootcert=/etc/centre-ca.pem")
    assert (t.backend, t.host, t.port, t.database, t.username, t.sslmode, t.sslrootcert) == \
        ("postgresql", "db.centre.example", 5433, "fukufuku", "desk", "verify-full", "/etc/centre-ca.pem")
    assert "secret" not in repr(t)


def test_an_unreadable_url_is_a_value_error():
    with pytest.raises(ValueError):
        connection.target_of("://")


def test_a_new_sqlite_file_is_reachable_and_will_get_the_tables(tmp_path):
    check = connection.check_connection(config.sqlite_url_for(tmp_path / "センター.sqlite3"))
    assert check.ok, check.message
    assert check.needs_migration
