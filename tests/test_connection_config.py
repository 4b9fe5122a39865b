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
    saved = config.postgres_url("server-pc", 5433, "fukufuku", "desk", "p@ss:w/rd")
    path = config.save_connection(saved)
    assert path == dirs / "conf" / "connection.json"
    assert config.load_connection() == saved

    url, label = config.resolve_db_url(None)
    assert url == saved and label == "PostgreSQL: server-pc:5433/fukufuku" and "p@ss" not in label
    from sqlalchemy.engine import make_url

    assert make_url(url).password == "p@ss:w/rd"  # special characters survive the round trip

    monkeypatch.setenv(config.ENV_DB_URL, "postgresql://env@envhost/envdb")
    assert config.resolve_db_url(None)[0] == "postgresql+psycopg://env@envhost/envdb"
    assert config.resolve_db_url(str(dirs / "cli.sqlite3"))[0].endswith("/cli.sqlite3")  # --db wins


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_file_holding_the_password_is_private(dirs):
    path = config.save_connection(config.postgres_url("h", 5432, "d", "u", "secret"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text(encoding="utf-8"))["url"].startswith("postgresql+psycopg://u:secret@h")


def test_forgetting_and_a_damaged_file(dirs, caplog):
    config.save_connection(config.sqlite_url_for(dirs / "x.sqlite3"))
    config.save_connection(None)
    assert config.load_connection() is None
    (dirs / "conf").mkdir(exist_ok=True)
    (dirs / "conf" / "connection.json").write_text("{not json", encoding="utf-8")
    assert config.load_connection() is None  # ignored (logged), the app starts on the default
    assert config.resolve_db_url(None)[0].endswith("/data/booking.sqlite3")
