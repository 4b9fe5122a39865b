"""This terminal's saved connection (接続設定) and where it sits in the order --db, env, saved, default."""

from __future__ import annotations

import json
import os

import pytest

from booking_app import config


@pytest.fixture
def dirs(monkeypatch, tmp_path):
    """Settings and data folders in tmp: the developer's own saved setting must never leak in."""
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.delenv(config.ENV_DB_URL, raising=False)
    return tmp_path


def test_nothing_saved_means_the_default_sqlite_file(dirs):
    assert config.load_connection() is None
    url, _label = config.resolve_db_url(None)
    assert url == f"sqlite:///{(dirs / 'data' / 'booking.sqlite3').as_posix()}"


def test_saved_setting_is_used_after_cli_and_environment(dirs, monkeypatch):
    from sqlalchemy.engine import make_url

    typed = config.postgres_url("server-pc", 5433, "fukufuku", "desk", "p@ss:w/rd",
                                sslrootcert="C:/fukufuku/ca.crt")
    assert make_url(typed).password == "p@ss:w/rd"  # special characters survive (for a connection now)
    path = config.save_connection(typed)
    assert path == dirs / "conf" / "connection.json"
    saved = config.load_connection()
    u = make_url(saved)
    # Kept: the server and how to reach it safely; never who signs in nor a password.
    assert (u.host, u.port, u.database, u.username, u.password) == ("server-pc", 5433, "fukufuku", None, None)
    assert dict(u.query) == {"sslmode": "verify-full", "sslrootcert": "C:/fukufuku/ca.crt"}

    url, label = config.resolve_db_url(None)
    assert url == saved and label == "PostgreSQL: server-pc:5433/fukufuku"
    assert not config.has_credentials(url)  # → the login dialog asks for the staff member's login

    monkeypatch.setenv(config.ENV_DB_URL, "postgresql://env@envhost/envdb")
    assert config.resolve_db_url(None)[0] == "postgresql+psycopg://env@envhost/envdb"
    assert config.resolve_db_url(str(dirs / "cli.sqlite3"))[0].endswith("/cli.sqlite3")  # --db wins
    # --db with user and password keeps working as before (developers, CI, bench).
    cli = config.resolve_db_url("postgresql://bench:pw@db-host/fuku")[0]
    assert config.has_credentials(cli) and make_url(cli).password == "pw"


@pytest.mark.parametrize("host, mode", [("server-pc", "verify-full"), ("192.168.1.10", "verify-full"),
                                        ("localhost", "prefer"), ("127.0.0.1", "prefer"), ("::1", "prefer"),
                                        ("/var/run/postgresql", "prefer")])
def test_sslmode_defaults_to_verify_full_off_this_pc(host, mode):
    from sqlalchemy.engine import make_url

    assert config.default_sslmode(host) == mode
    assert make_url(config.postgres_url(host, 5432, "fukufuku")).query["sslmode"] == mode
    # A choice made in 接続設定 wins over the default.
    assert make_url(config.postgres_url(host, 5432, "fukufuku", sslmode="disable")).query["sslmode"] == "disable"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_file_holds_no_password_and_stays_private(dirs):
    path = config.save_connection(config.postgres_url("h", 5432, "d", "u", "secret"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"host": "h", "port": 5432, "database": "d", "sslmode": "verify-full"}
    assert "secret" not in path.read_text(encoding="utf-8") and "u" not in data


def test_an_old_file_with_a_password_is_read_and_the_password_goes_at_the_next_save(dirs):
    from sqlalchemy.engine import make_url

    (dirs / "conf").mkdir()
    path = dirs / "conf" / "connection.json"
    path.write_text(json.dumps({"url": "postgresql+psycopg://fukufuku:owner-secret@server-pc:5432/fukufuku"}),
                    encoding="utf-8")
    assert config.saved_connection_has_password()
    u = make_url(config.load_connection())
    assert (u.host, u.database, u.username, u.password) == ("server-pc", "fukufuku", None, None)
    assert "owner-secret" not in config.resolve_db_url(None)[0]
    config.save_connection(config.load_connection())
    assert "owner-secret" not in path.read_text(encoding="utf-8")
    assert not config.saved_connection_has_password()
    assert make_url(config.load_connection()).host == "server-pc"


def test_forgetting_and_a_damaged_file(dirs, caplog):
    config.save_connection(config.sqlite_url_for(dirs / "x.sqlite3"))
    config.save_connection(None)
    assert config.load_connection() is None
    (dirs / "conf").mkdir(exist_ok=True)
    (dirs / "conf" / "connection.json").write_text("{not json", encoding="utf-8")
    assert config.load_connection() is None  # ignored (logged), the app starts on the default
    assert config.resolve_db_url(None)[0].endswith("/data/booking.sqlite3")
