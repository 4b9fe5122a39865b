"""``db upgrade`` on PostgreSQL runs as the schema owner (issue 14), whose credential is given on the
command line (--owner, PGPASSWORD) or asked, and never written anywhere."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from booking_app import cli, config
from booking_app.store.engine import make_engine
from booking_app.store.migrate import current_revision, head_revision


@pytest.mark.postgres
def test_db_upgrade_as_the_owner_from_a_url_without_user(pg_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    base = config.without_credentials(pg_url)
    owner = make_url(pg_url).username  # the test superuser owns the test database
    monkeypatch.setenv("PGPASSWORD", "unused-by-a-trusted-superuser")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("asked although PGPASSWORD is set"))
    assert cli.main(["db", "upgrade", "--db", base, "--owner", owner]) == 0
    out = capsys.readouterr().out
    assert "最新の形に更新しました" in out and "unused-by" not in out
    engine = make_engine(pg_url)
    try:
        assert current_revision(engine) == head_revision(pg_url)
    finally:
        engine.dispose()
    assert not config.connection_file().exists()


@pytest.mark.postgres
def test_db_upgrade_with_a_wrong_owner_says_so_in_japanese(pg_url, monkeypatch, capsys):
    base = config.without_credentials(pg_url)
    monkeypatch.setenv("PGPASSWORD", "wrong")
    code = cli.main(["db", "upgrade", "--db", base, "--owner", "no_such_owner_h3"])
    assert code != 0
    err = capsys.readouterr().err
    assert "開けませんでした" in err and "no_such_owner_h3" in err and "確かめてください" in err, err
