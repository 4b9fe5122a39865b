"""職員アカウント: a システム管理者 adds, edits, resets and unlocks; everyone else only looks."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow
from sqlalchemy import select, update

from booking_app.domain.errors import PermissionDenied
from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Staff
from booking_app.ui.admin.accounts_page import (
    AccountDialog,
    AccountsPage,
    ChangePasswordDialog,
    ResetPasswordDialog,
)
from booking_app.ui.context import AppContext
from test_login import PASSWORD, answer_modal, set_passwords, staff_id, type_text

NOW = dt.datetime(2026, 11, 25, 10, 0)
pytestmark = pytest.mark.now(NOW)


@pytest.fixture(autouse=True)
def errors(prompts):
    """The error messages the page showed (through ctx.prompts, the shared recorder)."""
    return prompts.shown("show_error")


@pytest.fixture
def admin_ctx(engine) -> AppContext:
    set_passwords(engine)
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == "admin")).one()
        return AppContext(engine, Actor(st.id, st.name, st.role))


def open_page(qtbot, ctx) -> AccountsPage:
    page = AccountsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    qtbot.waitExposed(page)
    return page


def cells(page: AccountsPage, row: int) -> list[str]:
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def row_of(page: AccountsPage, name: str) -> int:
    return next(r for r in range(page.model.rowCount()) if page.model.row(r).name == name)


def click_row(qtbot, page: AccountsPage, name: str) -> None:
    rect = page.table.visualRect(page.model.index(row_of(page, name), 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.answers_modals
def test_admin_adds_an_account_that_can_log_in(qtbot, admin_ctx, engine, qtmodeltester, tmp_path):
    page = open_page(qtbot, admin_ctx)
    qtmodeltester.check(page.model)
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    assert headers == ["名前", "ふりがな", "権限", "状態", "最終ログイン"]
    assert cells(page, row_of(page, "センター長")) == ["センター長", "", "管理者", "有効", "—"]
    assert not page.note.isVisible() and page.add_button.isEnabled()
    assert not page.edit_button.isEnabled()  # nothing chosen yet

    def fill(d: AccountDialog) -> None:
        type_text(d.name, "林 由美")
        type_text(d.kana, "はやし ゆみ")
        d.role.setCurrentIndex(d.role.findData("manager"))
        qtbot.keyClicks(d.password, "hayashi-01")
        qtbot.keyClicks(d.password2, "hayashi-02")
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)
        assert d.isVisible() and d.error_label.text() == "確認用のパスワードが一致しません。もう一度入力してください。"
        d.password2.clear()
        qtbot.keyClicks(d.password2, "hayashi-01")
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, AccountDialog, fill)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    r = row_of(page, "林 由美")
    assert cells(page, r) == ["林 由美", "はやし ゆみ", "管理者", "有効", "—"]
    assert page.selected().name == "林 由美"
    new_id = staff_id(engine, "林 由美")
    assert auth.attempt_login(engine, new_id, "hayashi-01") == Actor(new_id, "林 由美", "manager")
    page.refresh()  # the last login shows
    assert cells(page, row_of(page, "林 由美"))[4].startswith("2026/")
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert page.grab().save(str(out / "accounts_page.png"))


@pytest.mark.answers_modals
def test_admin_resets_a_password_and_unlocks(qtbot, admin_ctx, engine, tmp_path):
    desk_id = staff_id(engine, "受付スタッフ")
    with write_session(engine) as s:
        s.execute(update(Staff).where(Staff.id == desk_id).values(
            failed_logins=5, locked_until=dt.datetime(2026, 11, 25, 10, 12)))
    page = open_page(qtbot, admin_ctx)
    r = row_of(page, "受付スタッフ")
    assert cells(page, r)[3] == "ロック中（10:12まで）"
    assert page.model.index(r, 3).data(Qt.ItemDataRole.ForegroundRole).name() == "#c62828"
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert page.grab().save(str(out / "accounts_page_locked.png"))
    click_row(qtbot, page, "受付スタッフ")
    assert page.unlock_button.isEnabled() and page.reset_button.isEnabled()
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    assert cells(page, row_of(page, "受付スタッフ"))[3] == "有効"
    assert page.message_label.text() == "受付スタッフ さんのロックを解除しました。"
    with read_session(engine) as s:
        st = s.get(Staff, desk_id)
        assert st.failed_logins == 0 and st.locked_until is None

    def new_password(d: ResetPasswordDialog) -> None:
        qtbot.keyClicks(d.password, "short")
        qtbot.keyClicks(d.password2, "short")
        qtbot.keyClick(d.password2, Qt.Key.Key_Return)
        assert d.error_label.text() == "パスワードは8文字以上にしてください。"
        d.password.clear()
        d.password2.clear()
        qtbot.keyClicks(d.password, "uketsuke-9")
        qtbot.keyClicks(d.password2, "uketsuke-9")
        qtbot.keyClick(d.password2, Qt.Key.Key_Return)

    answer_modal(qtbot, ResetPasswordDialog, new_password)
    assert page.selected().name == "受付スタッフ"
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    # QA: the reset changes nothing in the list, so the page says it was done.
    assert page.message_label.text() == "受付スタッフ さんのパスワードを再設定しました。"
    assert auth.attempt_login(engine, desk_id, "uketsuke-9").id == desk_id


@pytest.mark.answers_modals
def test_admin_edits_and_the_service_keeps_one_admin(qtbot, admin_ctx, engine, errors):
    page = open_page(qtbot, admin_ctx)

    def deactivate(d: AccountDialog) -> None:
        assert d.name.text() == "センター長" and d.password is None
        d.active.setChecked(False)
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    click_row(qtbot, page, "センター長")
    answer_modal(qtbot, AccountDialog, deactivate)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert cells(page, row_of(page, "センター長"))[3] == "無効"
    # Demoting the only システム管理者 is refused by the service, shown through show_error.
    click_row(qtbot, page, "システム管理者")

    def demote(d: AccountDialog) -> None:
        d.role.setCurrentIndex(d.role.findData("desk"))
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, AccountDialog, demote)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and "システム管理者が1人もいなくなる" in errors[0]
    assert cells(page, row_of(page, "システム管理者"))[2] == "システム管理"


def test_desk_sees_the_list_with_the_buttons_disabled(qtbot, engine, desk):
    set_passwords(engine)
    ctx = AppContext(engine, desk)
    page = open_page(qtbot, ctx)
    assert page.model.rowCount() == 3
    assert page.note.isVisible() and page.note.text() == "職員アカウントの追加・変更はシステム管理者のみ行えます。"
    click_row(qtbot, page, "センター長")
    assert page.selected().name == "センター長"
    for b in (page.add_button, page.edit_button, page.reset_button, page.unlock_button):
        assert not b.isEnabled()
    # The service refuses as well, whatever the buttons say.
    with pytest.raises(PermissionDenied, match="システム管理者のみ"):
        ctx.write(lambda s, a: auth.unlock(s, a, page.selected().id), changes={"staff"})
    ctx.set_actor(Actor(staff_id(engine, "システム管理者"), "システム管理者", "admin"))
    assert page.add_button.isEnabled() and page.edit_button.isEnabled() and not page.note.isVisible()


def test_settings_page_has_the_accounts_tab(qtbot, ctx):
    from booking_app.ui.settings.settings_page import SettingsPage

    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    tabs = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert "職員アカウント" in tabs
    assert isinstance(page.tabs.widget(tabs.index("職員アカウント")), AccountsPage)
    assert not page.accounts.add_button.isEnabled()  # desk


@pytest.mark.answers_modals
def test_change_own_password(qtbot, engine, desk, prompts):
    set_passwords(engine)
    ctx = AppContext(engine, desk)
    window = QMainWindow()
    qtbot.addWidget(window)

    def change(d: ChangePasswordDialog) -> None:
        qtbot.keyClicks(d.old, "not-mine-1")
        qtbot.keyClicks(d.password, "new-pass-77")
        qtbot.keyClicks(d.password2, "new-pass-77")
        qtbot.keyClick(d.password2, Qt.Key.Key_Return)
        assert d.isVisible() and d.error_label.text() == "現在のパスワードが違います。"
        assert d.old.text() == ""
        qtbot.keyClicks(d.old, PASSWORD)
        qtbot.keyClick(d.password2, Qt.Key.Key_Return)

    answer_modal(qtbot, ChangePasswordDialog, change)
    with qtbot.wait_signal(ctx.changed):
        assert ChangePasswordDialog.run(window, ctx)
    assert auth.attempt_login(engine, desk.id, "new-pass-77") == desk
    assert prompts.texts("info") == ["パスワードを変更しました。"]
