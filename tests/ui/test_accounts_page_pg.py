"""担当者アカウント on PostgreSQL (issue 14), signed in as an administrator with their own database login:
adding an account also creates its database login, パスワード再設定 sets the login's password, ログイン作成
gives an existing account one, and the list shows the login names. Dialogs are answered like a person."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app import config
from booking_app.domain.errors import DomainError
from booking_app.services import db_login
from booking_app.store.engine import read_session
from booking_app.store.models import Staff
from booking_app.ui.admin.accounts_page import AccountDialog, AccountsPage, CreateLoginDialog, ResetPasswordDialog
from booking_app.ui.context import AppContext
from test_login import answer_modal, type_text
from test_pg_login import PW, make_staff_logins, unique_login

NOW = dt.datetime(2026, 11, 25, 10, 0)
pytestmark = [pytest.mark.postgres, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def errors(prompts):
    """The error messages the page showed (through ctx.prompts, the shared recorder)."""
    return prompts.shown("show_error")


@pytest.fixture
def admin_page(qtbot, pg_url):
    base_url, logins = make_staff_logins(pg_url)
    engine, actor = db_login.sign_in(base_url, logins["admin"], PW)
    ctx = AppContext(engine, actor)
    page = AccountsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    qtbot.waitExposed(page)
    yield page, base_url, logins
    engine.dispose()


def row_of(page, name: str) -> int:
    return next(r for r in range(page.model.rowCount()) if page.model.row(r).name == name)


def cell(page, name: str, col: int) -> str:
    return page.model.index(row_of(page, name), col).data()


def click_row(qtbot, page, name: str) -> None:
    rect = page.table.visualRect(page.model.index(row_of(page, name), 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.answers_modals
def test_adding_an_account_creates_its_database_login(qtbot, admin_page, errors):
    page, base_url, logins = admin_page
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    assert headers[-1] == "ログイン名"
    with read_session(page.ctx.engine) as s:
        admin_name = s.scalars(select(Staff.name).where(Staff.db_login == logins["admin"])).one()
    assert cell(page, admin_name, 5) == logins["admin"]
    new_login = unique_login("new")

    def fill(d: AccountDialog) -> None:
        assert d.login is not None
        type_text(d.name, "林 由美")
        d.role.setCurrentIndex(d.role.findData("desk"))
        qtbot.keyClicks(d.login, "Hayashi")  # upper case: refused in the dialog, naming the field
        qtbot.keyClicks(d.password, "hayashi-yumi-01")
        qtbot.keyClicks(d.password2, "hayashi-yumi-01")
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)
        assert d.isVisible() and "ログイン名" in d.error_label.text()
        d.login.clear()
        qtbot.keyClicks(d.login, new_login)
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, AccountDialog, fill)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert not errors, errors
    assert cell(page, "林 由美", 5) == new_login
    engine, actor = db_login.sign_in(base_url, new_login, "hayashi-yumi-01")  # she can sign in at once
    engine.dispose()
    assert actor.name == "林 由美" and actor.role == "desk"

    # パスワード再設定 changes the password the server checks.
    def reset(d: ResetPasswordDialog) -> None:
        qtbot.keyClicks(d.password, "hayashi-yumi-02")
        qtbot.keyClicks(d.password2, "hayashi-yumi-02")
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    click_row(qtbot, page, "林 由美")
    answer_modal(qtbot, ResetPasswordDialog, reset)
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    assert not errors, errors
    with pytest.raises(DomainError):
        db_login.sign_in(base_url, new_login, "hayashi-yumi-01")
    engine, _actor = db_login.sign_in(base_url, new_login, "hayashi-yumi-02")
    engine.dispose()


@pytest.mark.answers_modals
def test_an_account_without_a_login_gets_one(qtbot, admin_page, errors):
    page, base_url, _logins = admin_page
    without = next(page.model.row(r).name for r in range(page.model.rowCount())
                   if not page.model.logins.get(page.model.row(r).id))
    assert cell(page, without, 5) == "（なし）"
    click_row(qtbot, page, without)
    assert page.login_button.isVisible() and page.login_button.isEnabled()
    login = unique_login("later")

    def fill(d: CreateLoginDialog) -> None:
        qtbot.keyClicks(d.login, login)
        qtbot.keyClicks(d.password, "atokara-login-7")
        qtbot.keyClicks(d.password2, "atokara-login-7")
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, CreateLoginDialog, fill)
    qtbot.mouseClick(page.login_button, Qt.MouseButton.LeftButton)
    assert not errors, errors
    assert cell(page, without, 5) == login and f"ログイン「{login}」を作成しました" in page.message_label.text()
    assert not page.login_button.isEnabled()  # it has one now
    engine, actor = db_login.sign_in(base_url, login, "atokara-login-7")
    engine.dispose()
    assert actor.name == without


def test_sqlite_shows_no_login_column(qtbot, engine):
    from booking_app.services.common import Actor

    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == "admin")).one()
    page = AccountsPage(AppContext(engine, Actor(st.id, st.name, st.role)))
    qtbot.addWidget(page)
    assert page.model.columnCount() == 5 and not page.postgres
    assert page.login_button.isHidden()
    assert config.is_postgres_url(str(engine.url)) is False
