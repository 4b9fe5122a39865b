"""初回起動ウィザード: driven page by page with the wizard's own buttons, on a private data folder.

SQLite end to end (database created, profile and issuer saved, the new administrator can log in),
the checks that keep 次へ from going on (登録番号, password mismatch), PostgreSQL (次へ only after a
successful 接続テスト; a database another terminal set up skips to 確認), and a failing 完了 that
leaves neither an administrator nor a profile behind.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWizard
from sqlalchemy import select
from sqlalchemy.engine import make_url

from booking_app import config
from booking_app.domain.errors import ValidationError
from booking_app.domain.fees import valid_invoice_number
from booking_app.services import auth, centre, fees
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import CentreSetting
from booking_app.ui.access import first_start as fs
from booking_app.ui.access.first_start import (
    PAGE_ADMIN,
    PAGE_CENTRE,
    PAGE_CONFIRM,
    PAGE_DATABASE,
    PAGE_WELCOME,
    AdminFields,
    CentreFields,
    FirstStartChoice,
    FirstStartWizard,
    apply_first_start,
)

INVOICE = "T8000000000001"  # check digit right
PASSWORD = "fuku-desk-2026"


def type_text(widget, text: str) -> None:
    """Type like an IME commit (QTest.keyClicks only knows ASCII keys)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def retype(widget, text: str) -> None:
    widget.clear()
    type_text(widget, text)


@pytest.fixture(autouse=True)
def private_dirs(monkeypatch, tmp_path):
    """This PC's data and settings folders (and QSettings) in tmp: nothing configured yet."""
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.delenv(config.ENV_DB_URL, raising=False)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield tmp_path
    QSettings().clear()


def open_wizard(qtbot, **kw) -> FirstStartWizard:
    wizard = FirstStartWizard(**kw)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def click(qtbot, wizard: QWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), f"{button.text()} cannot be pressed"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def next_page(qtbot, wizard) -> None:
    click(qtbot, wizard, QWizard.WizardButton.NextButton)


def fill_centre(wizard, *, invoice: str = INVOICE) -> None:
    page = wizard.centre_page
    retype(page.address_edit, "山口県下関市竹崎町4-4-8 シーモール下関4F")
    retype(page.operator_edit, "NPO法人しものせきネット")
    retype(page.phone_edit, "083-000-1234")
    retype(page.invoice_edit, invoice)


def fill_admin(wizard, *, name: str = "山田 花子", password2: str = PASSWORD, login: str = "") -> None:
    page = wizard.admin_page
    retype(page.name_edit, name)
    retype(page.kana_edit, "やまだ はなこ")
    if login:
        assert page.login_edit.isVisible()  # on PostgreSQL only
        retype(page.login_edit, login)
    retype(page.password_edit, PASSWORD)
    retype(page.password2_edit, password2)


def finish(qtbot, wizard) -> None:
    with qtbot.waitSignal(wizard.accepted, timeout=30_000):
        click(qtbot, wizard, QWizard.WizardButton.FinishButton)


def admin_logs_in(url: str, name: str = "山田 花子") -> None:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            staff_id = next(i for i, n, _r in auth.login_names(s) if n == name)
        actor = auth.attempt_login(engine, staff_id, PASSWORD)
        assert actor.is_admin and actor.name == name
        with pytest.raises(auth.AuthError):
            auth.attempt_login(engine, staff_id, "wrong-password")
    finally:
        engine.dispose()


def stored(url: str):
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return centre.get_profile(s), fees.get_fees(s)
    finally:
        engine.dispose()


def fill_server(page, url: str, *, database: str | None = None) -> None:
    u = make_url(url)
    page.pg_radio.click()
    retype(page.host_edit, u.host or "localhost")
    page.port_spin.setValue(u.port or config.DEFAULT_PG_PORT)
    retype(page.db_edit, database or u.database)
    retype(page.user_edit, u.username or "")
    retype(page.password_edit, u.password or "")


def run_test(qtbot, page) -> bool:
    with qtbot.waitSignal(page.testFinished, timeout=15_000) as blocker:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


# --------------------------------------------------------------------------- when it runs


def test_is_first_start_only_when_nothing_is_configured(monkeypatch, tmp_path):
    assert fs.is_first_start(None)
    assert not fs.is_first_start(str(tmp_path / "other.sqlite3"))  # --db
    monkeypatch.setenv(config.ENV_DB_URL, "postgresql://desk@server/fukufuku")
    assert not fs.is_first_start(None)
    monkeypatch.delenv(config.ENV_DB_URL)
    config.save_connection("postgresql+psycopg://desk@server/fukufuku")
    assert not fs.is_first_start(None)
    config.save_connection(None)
    assert fs.is_first_start(None)
    config.default_db_path().write_bytes(b"")
    assert not fs.is_first_start(None)


# --------------------------------------------------------------------------- SQLite, end to end


def test_sqlite_first_start_end_to_end(qtbot):
    assert valid_invoice_number(INVOICE)
    wizard = open_wizard(qtbot)
    assert wizard.currentId() == PAGE_WELCOME
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    next_page(qtbot, wizard)

    assert wizard.currentId() == PAGE_DATABASE
    page = wizard.database_page
    assert page.sqlite_radio.isChecked()
    assert str(config.default_db_path()) in page.sqlite_path.text()
    next_page(qtbot, wizard)

    assert wizard.currentId() == PAGE_CENTRE
    assert wizard.centre_page.name_edit.text() == "しものせき市民活動センター"  # shipped default
    assert wizard.centre_page.invoice_edit.text() == ""
    fill_centre(wizard)
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    fill_admin(wizard)
    next_page(qtbot, wizard)

    assert wizard.currentId() == PAGE_CONFIRM
    summary = wizard.confirm_page.summary.text()
    for text in ("NPO法人しものせきネット", INVOICE, "山田 花子", "SQLite"):
        assert text in summary
    assert not config.default_db_path().exists()  # nothing written before 完了
    finish(qtbot, wizard)

    url = config.sqlite_url_for(config.default_db_path())
    assert wizard.result_url == url
    assert wizard.actor is not None and wizard.actor.is_admin
    assert config.default_db_path().exists()
    assert config.load_connection() is None  # the default file needs no saved connection
    assert not fs.is_first_start(None)
    profile, schedule = stored(url)
    assert profile.name == "しものせき市民活動センター"
    assert profile.address == "山口県下関市竹崎町4-4-8 シーモール下関4F"
    assert profile.operator == "NPO法人しものせきネット"
    assert profile.phone == "083-000-1234"
    assert schedule.invoice_number == INVOICE
    assert schedule.operator == "NPO法人しものせきネット"
    assert schedule.room_fees == fees.load_default_fees().room_fees  # the fee tables are kept
    admin_logs_in(url)
    assert int(QSettings().value("login/last_staff_id")) == wizard.actor.id


def test_invalid_invoice_number_blocks_next(qtbot):
    wizard = open_wizard(qtbot)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    page = wizard.centre_page
    fill_centre(wizard, invoice="T9000000000001")  # the check digit is wrong
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CENTRE
    assert page.error_label.isVisible()
    assert "適格請求書発行事業者登録番号「T9000000000001」が正しくありません" in page.error_label.text()
    retype(page.invoice_edit, "T123")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CENTRE

    retype(page.name_edit, "")
    retype(page.invoice_edit, "")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CENTRE
    assert "センター名" in page.error_label.text()

    type_text(page.name_edit, "しものせき市民活動センター")
    next_page(qtbot, wizard)  # an empty number is allowed: receipts print none
    assert wizard.currentId() == PAGE_ADMIN
    assert not page.error_label.isVisible()


def test_full_width_invoice_number_is_folded():
    fields = fs.check_centre_fields(CentreFields(" センター ", invoice_number="ｔ８０００-００００-００００１"))
    assert fields.name == "センター" and fields.invoice_number == INVOICE


def test_password_rules_and_mismatch_block_next(qtbot):
    wizard = open_wizard(qtbot, db_url=None)
    for _ in range(3):
        next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    page = wizard.admin_page
    fill_admin(wizard, password2=PASSWORD + "x")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert "パスワード（確認）" in page.error_label.text() and "一致しません" in page.error_label.text()
    assert page.password2_edit.text() == ""  # cleared for the next try

    retype(page.password_edit, "short")
    retype(page.password2_edit, "short")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert f"{auth.MIN_PASSWORD_LENGTH}文字以上" in page.error_label.text()

    retype(page.name_edit, " ")
    retype(page.password_edit, PASSWORD)
    retype(page.password2_edit, PASSWORD)
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert "名前" in page.error_label.text()

    retype(page.name_edit, "山田 花子")
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CONFIRM
    click(qtbot, wizard, QWizard.WizardButton.BackButton)  # typed values survive going back
    assert wizard.currentId() == PAGE_ADMIN and page.name_edit.text() == "山田 花子"


# --------------------------------------------------------------------------- failure


def test_failed_finish_shows_message_stays_open_and_leaves_no_file(qtbot, monkeypatch):
    def broken(*_a, **_k):
        raise ValidationError("センター設定を保存できません（テスト）。")

    original = centre.save_profile
    monkeypatch.setattr(centre, "save_profile", broken)
    wizard = open_wizard(qtbot)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    fill_centre(wizard)
    next_page(qtbot, wizard)
    fill_admin(wizard)
    next_page(qtbot, wizard)
    click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: wizard.confirm_page.error_label.isVisible(), timeout=30_000)
    assert "センター設定を保存できません（テスト）。" in wizard.confirm_page.error_label.text()
    assert wizard.isVisible() and wizard.result_url is None
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # may try again
    # The new file is gone again, so the next start is still a first start.
    assert not config.default_db_path().exists()
    assert fs.is_first_start(None)

    monkeypatch.setattr(centre, "save_profile", original)  # the cause is fixed: 完了 again succeeds
    finish(qtbot, wizard)
    admin_logs_in(wizard.result_url)


def test_apply_failure_leaves_no_admin_and_no_profile(sqlite_url, monkeypatch):
    engine = make_engine(sqlite_url)
    try:
        with write_session(engine) as s:
            centre.ensure_initial_data(s)

        def broken(*_a, **_k):
            raise RuntimeError("disk full")

        monkeypatch.setattr(centre, "save_profile", broken)
        choice = FirstStartChoice(sqlite_url, centre=CentreFields("センターA", invoice_number=INVOICE),
                                  admin=AdminFields("山田 花子", PASSWORD))
        with pytest.raises(RuntimeError):
            apply_first_start(choice)
        with read_session(engine) as s:
            assert auth.needs_first_admin(s)
            assert s.scalars(select(CentreSetting)).all() == []
        assert fs.database_state(sqlite_url) == fs.NEEDS_ADMIN
        assert "disk full" in fs.failure_message(RuntimeError("disk full"))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- a database without an admin


def test_admin_only_wizard_on_a_database_without_administrator(qtbot, sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with write_session(engine) as s:
            centre.ensure_initial_data(s)
    finally:
        engine.dispose()
    wizard = open_wizard(qtbot, db_url=sqlite_url)
    assert wizard.currentId() == PAGE_CENTRE
    assert wizard.page(PAGE_WELCOME) is None and wizard.page(PAGE_DATABASE) is None
    fill_centre(wizard)
    next_page(qtbot, wizard)
    fill_admin(wizard)
    next_page(qtbot, wizard)
    finish(qtbot, wizard)
    assert wizard.result_url == sqlite_url and wizard.actor is not None
    assert config.load_connection() is None  # a given database is not saved as this terminal's setting
    assert stored(sqlite_url)[1].invoice_number == INVOICE
    admin_logs_in(sqlite_url)
    assert fs.database_state(sqlite_url) == fs.READY


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_next_only_after_a_successful_test(qtbot, pg_url):
    wizard = open_wizard(qtbot)
    next_page(qtbot, wizard)
    page = wizard.database_page
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    fill_server(page, pg_url, database="no_such_db")
    assert not next_button.isEnabled()
    assert not run_test(qtbot, page)
    assert "no_such_db" in page.result_label.text()
    assert not next_button.isEnabled()

    retype(page.db_edit, make_url(pg_url).database)
    assert not next_button.isEnabled()  # these values have not been tested yet
    assert run_test(qtbot, page)
    assert next_button.isEnabled()
    retype(page.db_edit, "other")
    assert not next_button.isEnabled()
    assert "もう一度［接続テスト］" in page.result_label.text()
    retype(page.db_edit, make_url(pg_url).database)
    assert next_button.isEnabled()
    page.sqlite_radio.click()
    assert next_button.isEnabled()  # SQLite needs no test
    page.pg_radio.click()

    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CENTRE
    fill_centre(wizard)
    next_page(qtbot, wizard)
    login = f"yamada_{make_url(pg_url).database}"  # logins are cluster-wide: one per test database
    fill_admin(wizard)
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert "ログイン名を入力してください" in wizard.admin_page.error_label.text()  # required on a server
    fill_admin(wizard, login=login)
    next_page(qtbot, wizard)
    assert "PostgreSQL" in wizard.confirm_page.summary.text() and login in wizard.confirm_page.summary.text()
    finish(qtbot, wizard)

    # Saved for this terminal, and what the app goes on with: the server, without the owner's credential.
    assert make_url(config.load_connection()) == make_url(wizard.result_url)
    result = make_url(wizard.result_url)
    assert result.database == make_url(pg_url).database and result.username is None and result.password is None
    assert not config.default_db_path().exists()
    assert stored(pg_url)[0].operator == "NPO法人しものせきネット"
    admin_logs_in(pg_url)
    # The normal login that follows: the administrator's own database login.
    from booking_app.services.db_login import sign_in

    engine, actor = sign_in(wizard.result_url, login, PASSWORD)
    try:
        assert actor.is_admin and actor.name == "山田 花子" and engine.url.username == login
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_already_set_up_skips_to_finish(qtbot, pg_url):
    apply_first_start(FirstStartChoice(pg_url, centre=CentreFields("別端末で設定したセンター"),
                                       admin=AdminFields("佐藤 一郎", PASSWORD)))
    wizard = open_wizard(qtbot)
    next_page(qtbot, wizard)
    page = wizard.database_page
    fill_server(page, pg_url)
    assert run_test(qtbot, page)
    assert "設定済み" in page.result_label.text()
    next_page(qtbot, wizard)
    assert wizard.currentId() == PAGE_CONFIRM  # no centre or administrator pages
    assert "設定済み" in wizard.confirm_page.summary.text()
    finish(qtbot, wizard)
    assert wizard.actor is None  # the app shows the login next
    assert make_url(config.load_connection()).database == make_url(pg_url).database
    assert stored(pg_url)[0].name == "別端末で設定したセンター"  # untouched
    admin_logs_in(pg_url, "佐藤 一郎")


# --------------------------------------------------------------------------- start-up wiring


def test_start_without_configuration_opens_the_wizard_before_any_database(monkeypatch):
    from booking_app import app, cli

    seen = {}

    def fake_run(url, **kw):
        seen.update(kw, url=url)
        return 0

    monkeypatch.setattr(app, "run", fake_run)
    assert cli.main([]) == 0
    assert seen["first_run"] is True and seen["url"] == fs.default_sqlite_url()
    assert not config.default_db_path().exists()  # the wizard creates it where staff choose


def test_cancelled_wizard_ends_the_start_without_creating_a_database(monkeypatch):
    from booking_app import app

    calls = []
    monkeypatch.setattr(FirstStartWizard, "get", classmethod(lambda cls, *a, **k: calls.append(k) or None))
    url = fs.default_sqlite_url()
    assert app.run(url, db_label=config.db_label(url), first_run=True) == 0
    assert calls == [{}]
    assert not config.default_db_path().exists()


def test_screenshot_and_a_given_database_never_show_the_wizard(monkeypatch, tmp_path):
    from booking_app import app, cli

    seen = []
    monkeypatch.setattr(app, "run", lambda url, **kw: seen.append(kw["first_run"]) or 0)
    assert cli.main(["--db", str(tmp_path / "given.sqlite3")]) == 0
    config.default_db_path().unlink(missing_ok=True)
    assert cli.main(["--screenshot", str(tmp_path / "shot.png")]) == 0
    assert seen == [False, False]
