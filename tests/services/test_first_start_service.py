"""services.first_start: the first start's use case without the wizard (no Qt needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from booking_app import config
from booking_app.domain.errors import ValidationError
from booking_app.services import first_start as fs

PASSWORD = "fuku-desk-2026"


@pytest.fixture(autouse=True)
def private_dirs(monkeypatch, tmp_path):
    """This PC's data and settings folders in tmp: nothing configured yet."""
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.delenv(config.ENV_DB_URL, raising=False)
    return tmp_path


def test_a_new_file_goes_from_empty_to_ready_and_the_connection_is_saved(tmp_path):
    url = config.sqlite_url_for(tmp_path / "センター.sqlite3")
    assert fs.database_state(url) == fs.EMPTY
    choice = fs.FirstStartChoice(url, save_connection=True, centre=fs.CentreFields("ふくふくセンター", operator="NPO"),
                                 admin=fs.AdminFields("管理 花子", PASSWORD))
    result_url, admin = fs.apply_first_start(choice)
    assert admin is not None and admin.name == "管理 花子"
    assert fs.database_state(result_url) == fs.READY
    profile, schedule = fs.initial_values(result_url)
    assert profile.name == "ふくふくセンター" and schedule.operator == "NPO"
    assert config.load_connection()


def test_a_missing_centre_name_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as err:
        fs.check_centre_fields(fs.CentreFields("  "))
    assert "センター名" in err.value.message


def test_the_summary_target_never_carries_the_password():
    t = fs.target_of("postgresql+psycopg://owner:secret@db.example:5433/fukufuku?sslmode=require")
    assert (t.backend, t.host, t.port, t.database, t.sslmode, t.username) == \
        ("postgresql", "db.example", 5433, "fukufuku", "require", "owner")
    assert "secret" not in repr(t)


def test_the_use_case_loads_without_qt():
    code = "import sys, booking_app.services.first_start; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
