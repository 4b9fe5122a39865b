"""Issue 17 for the remaining pages and dialogs: 設定, 統計, 操作履歴, 職員アカウント, ログイン, 画面ロック, 接続設定,
初回起動, 印刷プレビュー, 印刷機の記録, 期間の選択, バージョン情報.

Each is driven with keys only from the moment it is shown (keyboard_walk: keys to the focused widget, never
setFocus, a mouse click or button.click() from the test): every focusable control has an accessible name,
Tab goes round the whole page or dialog and reaches its buttons, Esc on a dialog with typed input asks
「入力内容を破棄しますか？」 (「入力に戻る」 keeps the input), and Ctrl+S / Enter save where there is a save.
"""

from __future__ import annotations

import datetime as dt

import keyboard_walk as kw
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QMainWindow, QPushButton, QWidget
from sqlalchemy import select, update

from booking_app import config
from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.services.centre import targets_for
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Room, Staff
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import DISCARD_TEXT, SECTION_PROPERTY, keyed_actions

TODAY = dt.date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)
PASSWORD = "kagi-no-kotoba-2026"

Key = Qt.Key
Mod = Qt.KeyboardModifier


# ----------------------------------------------------------------------------- helpers


def actor(engine, role: str) -> Actor:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return Actor(st.id, st.name, st.role)


def shown(qtbot, w: QWidget, size=(1280, 820)) -> QWidget:
    """Show ``w`` as the active window, as the app does; from here on only keys."""
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w


def first_focus() -> QWidget:
    """The control Tab gives the focus to when nothing has it yet (a page shown on its own)."""
    if kw.focused() is None:
        kw.press(Key.Key_Tab)
    w = kw.focused()
    assert w is not None
    return w


def buttons_in_reach(root: QWidget) -> list[QWidget]:
    return [w for w in kw.focusable(root) if isinstance(w, QPushButton)]


def walk_whole(root: QWidget) -> list[QWidget]:
    """Tab round ``root`` from the focused control: no trap, every button Tab can reach is reached."""
    first_focus()
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=buttons_in_reach(root))
    return chain


def asked_to_discard(prompts) -> list[str]:
    return [c.text for c in prompts.of("confirm") if c.text == DISCARD_TEXT]


def section_keys(root: QWidget, section: str) -> dict[str, str]:
    return {a.text(): a.shortcut().toString() for a in keyed_actions(root) if a.property(SECTION_PROPERTY) == section}


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """QSettings and the connection file in a temp folder: nothing touches the real profile."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.delenv(config.ENV_DB_URL, raising=False)
    yield
    QSettings().clear()


def set_passwords(engine) -> None:
    hashed = auth.hash_password(PASSWORD)
    with write_session(engine) as s:
        s.execute(update(Staff).values(password_hash=hashed))


# ----------------------------------------------------------------------------- 設定


def settings_page(qtbot, engine, role="admin"):
    from booking_app.ui.settings.settings_page import SettingsPage

    return shown(qtbot, SettingsPage(AppContext(engine, actor(engine, role))))


def test_settings_every_tab_names_its_controls_and_tab_goes_round_it(qtbot, engine):
    page = settings_page(qtbot, engine)
    assert isinstance(first_focus(), type(page.tabs.tabBar()))  # the tab bar first: ←→ choose the tab
    seen = []
    for i in range(page.tabs.count()):
        assert page.tabs.currentIndex() == i
        seen.append(page.tabs.tabText(i))
        assert kw.unnamed(page) == [], page.tabs.tabText(i)
        chain = walk_whole(page)
        assert chain[0] is page.tabs.tabBar(), f"{page.tabs.tabText(i)}: Tab went round without the tab bar"
        kw.press(Key.Key_Right)  # the chain closed on the tab bar: → is the next tab
    assert seen[:2] == ["部屋", "備品"] and "データ保護" in seen


def test_settings_ctrl_s_saves_a_capacity_typed_into_the_rooms_table(qtbot, engine, prompts):
    page = settings_page(qtbot, engine, role="manager")
    rows = page.rooms_model.rows()
    row = next(i for i, r in enumerate(rows) if r["name"] == "小会議室1")
    table = kw.tab_to(page.rooms_table)
    kw.press(Key.Key_Home, Mod.ControlModifier)
    for _ in range(row):
        kw.press(Key.Key_Down)
    for _ in range(page.rooms_model.col("capacity")):
        kw.press(Key.Key_Right)
    assert table.currentIndex().row() == row and table.currentIndex().column() == page.rooms_model.col("capacity")
    kw.press(Key.Key_F2)
    kw.press(Key.Key_A, Mod.ControlModifier)
    kw.type_text("16")
    kw.press(Key.Key_S, Mod.ControlModifier)  # the cell is still being edited: Ctrl+S commits it and saves
    assert prompts.errors == []
    with read_session(engine) as s:
        assert s.scalars(select(Room.capacity).where(Room.name == "小会議室1")).one() == 16
    assert section_keys(page, "設定") == {"表示中のタブを保存": "Ctrl+S"}


def test_settings_ctrl_s_does_nothing_for_desk_staff(qtbot, engine, prompts):
    settings_page(qtbot, engine, role="desk")
    first_focus()
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert prompts.calls == []  # the save button is greyed for a desk, so is its key


def test_settings_form_labels_have_mnemonics(qtbot, engine):
    """予約受付 and 年度目標: Alt + the letter on the label goes to its field."""
    page = settings_page(qtbot, engine, role="manager")
    first_focus()
    while page.tabs.tabText(page.tabs.currentIndex()) != "予約受付":
        kw.press(Key.Key_Right)
    kw.press(Key.Key_C, Mod.AltModifier)
    assert kw.focused() is page.cancel_days
    kw.press(Key.Key_H, Mod.AltModifier)
    assert kw.focused() is page.hold_days
    assert kw.accessible_name(page.hold_days) == "仮予約の保留期間"  # not 「…(H)」
    kw.press(Key.Key_Tab, Mod.ShiftModifier)
    kw.tab_to(page.tabs.tabBar())
    while page.tabs.currentWidget() is not page.targets:
        kw.press(Key.Key_Right)
    kw.press(Key.Key_U, Mod.AltModifier)
    assert kw.focused() is page.targets.users
    kw.press(Key.Key_A, Mod.ControlModifier)
    kw.type_text("99000")
    kw.press(Key.Key_S, Mod.ControlModifier)  # the tab's own save: 目標を保存
    fy = page.targets.fiscal_year()
    assert page.ctx.read(lambda s: targets_for(s, fy)).users == 99000


def test_screenshot_of_the_settings_page_with_the_focus(qtbot, engine, tmp_path):
    """設定 from the main window (Ctrl+7) with the desk's focus ring on 部屋を保存, saved for a look."""
    import os

    from PySide6.QtGui import QFont

    import booking_app.fonts
    from booking_app.ui import focus_ring
    from booking_app.ui.main_window import MainWindow

    app = QApplication.instance()
    old = app.font()
    app.setFont(QFont(booking_app.fonts.register_qt_fonts(), 10))
    keeper = focus_ring.install(app)
    try:
        window = shown(qtbot, MainWindow(AppContext(engine, actor(engine, "manager"))), (1366, 768))
        kw.press("7", Mod.ControlModifier)
        page = window.pages["settings"]
        kw.tab_to(page.rooms_table)
        kw.press(Key.Key_Down)
        save = kw.tab_to(page.findChild(QPushButton, "room_save"))
        qtbot.waitUntil(lambda: keeper.ring is not None and keeper.ring.isVisible() and keeper.ring.widget() is save)
        qtbot.wait(30)
        out = "/tmp/kb" if os.path.isdir("/tmp/kb") else str(tmp_path)
        assert window.grab().save(os.path.join(out, "settings_focus.png"))
    finally:
        app.setFont(old)


# ----------------------------------------------------------------------------- 統計


@pytest.fixture
def stats_page(qtbot, engine):
    from booking_app.ui.stats.stats_page import StatsPage

    page = StatsPage(AppContext(engine, actor(engine, "manager")))
    shown(qtbot, page)
    qtbot.waitUntil(lambda: page.dashboard.progress is not None)
    return page


def test_stats_every_tab_names_its_controls_and_tab_goes_round_it(qtbot, stats_page):
    page = stats_page
    first_focus()
    for i in range(page.tabs.count()):
        assert kw.unnamed(page) == [], page.tabs.tabText(i)
        kw.tab_to(page.tabs.tabBar())
        walk_whole(page)
        kw.tab_to(page.tabs.tabBar())
        kw.press(Key.Key_Right)
    assert page.tabs.currentIndex() == page.tabs.count() - 1


def test_the_dashboard_charts_read_out_their_figures(stats_page):
    d = stats_page.dashboard
    chart = d.monthly_chart
    assert kw.accessible_name(chart) == "月別の利用者数（前年度の同じ期間との比較）"
    text = chart.accessibleDescription()
    assert text.startswith("4月 今年度 "), text
    assert "11月（25日まで） 今年度 " in text and "12月 まだ始まっていません" in text
    values = chart.values()
    assert f"4月 今年度 {values[0]:,}人" in text
    for hbar in (d.category_chart, d.room_chart):
        assert kw.accessible_name(hbar)
        desc = hbar.accessibleDescription()
        for name, n in hbar.values().items():
            assert f"{name} {n:,}人" in desc


def test_event_dialog_keys(qtbot, engine, prompts):
    from booking_app.ui.stats.dialogs import EventDialog

    dlg = shown(qtbot, EventDialog([], today=TODAY), (520, 420))
    assert kw.focused() is dlg.name_edit
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.press(Key.Key_Escape)  # nothing typed: closes at once, as Esc always did
    assert not dlg.isVisible() and asked_to_discard(prompts) == []

    dlg = shown(qtbot, EventDialog([], today=TODAY), (520, 420))
    kw.type_text("Hajimete koza")
    kw.tab_to(dlg.day_edit)
    kw.press(Key.Key_Tab)  # one Tab leaves the date (not its year → month → day)
    assert kw.focused() is dlg.room_combo
    kw.tab_to(dlg.note_edit)
    kw.type_text("memo")
    kw.press(Key.Key_Tab)  # the note passes Tab on
    assert kw.focused() is not dlg.note_edit and dlg.note_edit.toPlainText() == "memo"
    prompts.answer_confirm(False)  # 「入力に戻る」
    kw.press(Key.Key_Escape)
    assert asked_to_discard(prompts) == [DISCARD_TEXT]
    assert dlg.isVisible() and dlg.name_edit.text() == "Hajimete koza"
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert dlg.result() == QDialog.DialogCode.Accepted and not dlg.isVisible()
    assert dlg.value().name == "Hajimete koza" and dlg.value().note == "memo"
    assert section_keys(dlg, "行事の追加・編集") == {"保存": "Ctrl+S"}


def test_event_dialog_enter_saves_and_esc_may_discard(qtbot, prompts):
    from booking_app.ui.stats.dialogs import EventDialog

    dlg = shown(qtbot, EventDialog([], today=TODAY), (520, 420))
    kw.press(Key.Key_Return)  # Enter on an empty name: the dialog says what to fix and stays
    assert dlg.isVisible() and dlg.error_label.text() == "行事名を入力してください。"
    kw.type_text("Koryukai")
    kw.press(Key.Key_Return)
    assert dlg.result() == QDialog.DialogCode.Accepted

    dlg = shown(qtbot, EventDialog([], today=TODAY), (520, 420))
    kw.type_text("x")
    kw.press(Key.Key_Escape)  # 「破棄する」 (the recorder's default answer)
    assert not dlg.isVisible() and dlg.result() == QDialog.DialogCode.Rejected


def test_amend_dialog_keys(qtbot, prompts):
    from booking_app.ui.stats.dialogs import AmendDialog

    dlg = shown(qtbot, AmendDialog(2026, 10, [("users_total", "利用者数（合計）", 100)]), (540, 360))
    dlg.choose_key("users_total")  # what the page does before showing it
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.press(Key.Key_V, Mod.AltModifier)
    assert kw.focused() is dlg.value_spin
    kw.press(Key.Key_A, Mod.ControlModifier)
    kw.type_text("120")
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and dlg.value_spin.value() == 120 and len(asked_to_discard(prompts)) == 1
    kw.press(Key.Key_R, Mod.AltModifier)
    kw.type_text("typo")
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.value().new_value == 120


# ----------------------------------------------------------------------------- 操作履歴


def test_audit_page_names_and_tab(qtbot, engine):
    from booking_app.ui.admin.audit_page import AuditPage

    page = shown(qtbot, AuditPage(AppContext(engine, actor(engine, "manager"))))
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 or page.count_label.text() != "", timeout=3000)
    assert kw.unnamed(page) == []
    assert kw.accessible_name(page.since_edit) == "期間の開始日"
    assert kw.accessible_name(page.until_edit) == "期間の終了日"
    assert kw.accessible_name(page.text_edit) == "キーワード"
    chain = walk_whole(page)
    i = chain.index(page.since_edit)
    assert chain[i + 1] is page.until_edit  # one Tab leaves a date
    kw.press(Key.Key_K, Mod.AltModifier)
    assert kw.focused() is page.text_edit


# ----------------------------------------------------------------------------- 職員アカウント


def test_accounts_page_names_and_tab(qtbot, engine):
    from booking_app.ui.admin.accounts_page import AccountsPage

    page = shown(qtbot, AccountsPage(AppContext(engine, actor(engine, "admin"))))
    assert kw.unnamed(page) == []
    chain = walk_whole(page)
    assert page.table in chain and page.add_button in chain


def test_account_dialog_starts_in_the_name_and_asks_before_discarding(qtbot, prompts):
    from booking_app.ui.admin.accounts_page import AccountDialog

    dlg = shown(qtbot, AccountDialog(), (460, 300))
    assert kw.focused() is dlg.name  # not 「追加」
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.type_text("Yamada")
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and dlg.name.text() == "Yamada" and len(asked_to_discard(prompts)) == 1
    kw.press(Key.Key_Return)  # no password yet: the dialog says so and stays
    assert dlg.isVisible() and "パスワード" in dlg.error_label.text()
    kw.press(Key.Key_P, Mod.AltModifier)
    assert kw.focused() is dlg.password
    kw.type_text(PASSWORD)
    kw.press(Key.Key_C, Mod.AltModifier)
    kw.type_text(PASSWORD)
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.values()["name"] == "Yamada"
    assert section_keys(dlg, "職員アカウントの追加") == {"追加": "Ctrl+S"}


def test_change_password_dialog_keys(qtbot, engine, prompts):
    from booking_app.ui.admin.accounts_page import ChangePasswordDialog

    set_passwords(engine)
    ctx = AppContext(engine, actor(engine, "desk"))
    dlg = shown(qtbot, ChangePasswordDialog(ctx), (460, 260))
    assert kw.focused() is dlg.old
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.type_text(PASSWORD)
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and dlg.old.text() == PASSWORD
    kw.press(Key.Key_N, Mod.AltModifier)
    kw.type_text("atarashii-kagi-2027")
    kw.press(Key.Key_C, Mod.AltModifier)
    kw.type_text("atarashii-kagi-2027")
    kw.press(Key.Key_Return)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert auth.attempt_login(engine, ctx.actor.id, "atarashii-kagi-2027").id == ctx.actor.id


# ----------------------------------------------------------------------------- ログイン・画面ロック


def test_login_dialog_names_tab_and_esc_as_before(qtbot, engine, prompts):
    from booking_app.ui.access.login_dialog import LoginDialog

    set_passwords(engine)
    dlg = shown(qtbot, LoginDialog(engine), (420, 360))
    assert kw.focused() is dlg.password
    assert kw.unnamed(dlg) == []
    chain = walk_whole(dlg)
    assert dlg.list in chain and dlg.login_button in chain
    kw.tab_to(dlg.password)
    kw.type_text("abc")
    kw.press(Key.Key_Escape)  # the login keeps today's Esc: it closes, nothing asked
    assert not dlg.isVisible() and prompts.calls == []


def test_lock_screen_names_and_tab(qtbot, engine):
    from booking_app.ui.access.lock_screen import LockOverlay

    set_passwords(engine)
    ctx = AppContext(engine, actor(engine, "desk"))
    window = shown(qtbot, QMainWindow())
    overlay = LockOverlay(window, ctx)
    overlay.cover()
    try:
        qtbot.waitUntil(lambda: kw.focused() is overlay.password)
        assert kw.unnamed(overlay) == []
        assert kw.accessible_name(overlay.password) == "パスワード"
        walk_whole(overlay)
        kw.tab_to(overlay.password)
        kw.type_text(PASSWORD)
        kw.press(Key.Key_Return)
        qtbot.waitUntil(lambda: not overlay.isVisible())
    finally:
        overlay._may_close = True
        overlay.close()


# ----------------------------------------------------------------------------- 接続設定・初回起動


def test_connection_dialog_keys(qtbot, prompts, tmp_path):
    from booking_app.ui.access.connection_dialog import ConnectionDialog

    dlg = shown(qtbot, ConnectionDialog(None), (600, 560))
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.tab_to(dlg.sqlite_radio)
    kw.press(Key.Key_Down)  # → サーバーに接続
    assert dlg.pg_radio.isChecked()
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.press(Key.Key_H, Mod.AltModifier)
    assert kw.focused() is dlg.host_edit
    kw.type_text("localhost")
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and dlg.host_edit.text() == "localhost" and len(asked_to_discard(prompts)) == 1
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert dlg.saved and dlg.url is not None and "localhost" in dlg.url
    assert section_keys(dlg, "接続設定") == {"保存": "Ctrl+S"}


def test_first_start_pages_name_their_fields_and_tab_round(qtbot):
    from booking_app.ui.access.first_start import FirstStartWizard

    wizard = shown(qtbot, FirstStartWizard(), (760, 620))
    for _ in range(4):
        page = wizard.currentPage()
        assert kw.unnamed(wizard) == [], type(page).__name__
        walk_whole(wizard)
        if wizard.currentId() == wizard.pageIds()[0] or page.isComplete():
            kw.tab_to(wizard.button(wizard.WizardButton.NextButton))
            kw.press(Key.Key_Space)
        else:
            break


def test_first_start_esc_asks_once_something_was_typed(qtbot, prompts, tmp_path):
    from booking_app.ui.access.first_start import FirstStartWizard

    wizard = shown(qtbot, FirstStartWizard(db_url=f"sqlite:///{tmp_path / 'new.sqlite3'}"), (760, 620))
    assert kw.focused().objectName() == "centre_name"  # センター情報 starts in its first field
    kw.press(Key.Key_End)
    kw.type_text(" Annex")
    prompts.answer_confirm(False)  # 「入力に戻る」
    kw.press(Key.Key_Escape)
    assert wizard.isVisible() and asked_to_discard(prompts) == [DISCARD_TEXT]
    assert kw.focused().text().endswith(" Annex")
    kw.press(Key.Key_Escape)  # 「破棄する」
    assert not wizard.isVisible() and wizard.result() == QDialog.DialogCode.Rejected


def test_first_start_untouched_esc_closes_at_once(qtbot, prompts):
    from booking_app.ui.access.first_start import FirstStartWizard

    wizard = shown(qtbot, FirstStartWizard(), (760, 620))
    kw.press(Key.Key_Escape)
    assert not wizard.isVisible() and prompts.of("confirm") == []


# ----------------------------------------------------------------------------- 印刷


def test_print_preview_keys(qtbot, tmp_path):
    from reportlab.pdfgen import canvas

    from booking_app.ui.printing.print_preview import PdfPreviewDialog

    pdf = tmp_path / "two.pdf"
    c = canvas.Canvas(str(pdf))
    for i in range(2):
        c.drawString(72, 720, f"page {i + 1}")
        c.showPage()
    c.save()
    dlg = shown(qtbot, PdfPreviewDialog(None, pdf), (900, 700))
    first_focus()
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    keys = section_keys(dlg, "印刷プレビュー")
    assert keys["印刷…"] == "Ctrl+P" and keys["拡大 ＋"] == "Ctrl++" and keys["縮小 −"] == "Ctrl+-"
    assert "キー：Ctrl+P" in dlg.print_button.toolTip()
    kw.press(Key.Key_Plus)
    assert dlg.zoom_label.text().endswith("%")
    kw.press(Key.Key_PageDown)
    assert dlg.current_page() == 1
    kw.press(Key.Key_Escape)
    assert not dlg.isVisible()


def test_printing_log_dialog_keys(qtbot, engine, prompts):
    from booking_app.ui.printing.printing_log_dialog import PrintingLogDialog

    ctx = AppContext(engine, actor(engine, "desk"))
    dlg = shown(qtbot, PrintingLogDialog(ctx), (460, 300))
    assert kw.focused() is dlg.user_edit
    assert kw.unnamed(dlg) == []
    walk_whole(dlg)
    kw.type_text("Midori no kai")
    kw.press(Key.Key_N, Mod.AltModifier)
    kw.press(Key.Key_A, Mod.ControlModifier)
    kw.type_text("200")
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and dlg.sheets_spin.value() == 200 and len(asked_to_discard(prompts)) == 1
    kw.press(Key.Key_S, Mod.ControlModifier)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.result_value is not None


# ----------------------------------------------------------------------------- 期間の選択・バージョン情報


def test_period_picker_names_its_dates_and_tab_leaves_them(qtbot):
    from booking_app.ui.period_picker import ALL, RANGE, PeriodPicker

    picker = shown(qtbot, PeriodPicker(TODAY, kinds=(RANGE, ALL)), (700, 60))
    assert kw.accessible_name(picker.start_edit) == "期間の開始日"
    assert kw.accessible_name(picker.end_edit) == "期間の終了日"
    assert kw.unnamed(picker) == []
    kw.tab_to(picker.start_edit)
    kw.press(Key.Key_Tab)
    assert kw.focused() is picker.end_edit
    kw.press(Key.Key_Tab, Mod.ShiftModifier)
    assert kw.focused() is picker.start_edit


def test_about_dialog_names_tab_and_esc(qtbot):
    from booking_app.ui.about_dialog import AboutDialog

    dlg = shown(qtbot, AboutDialog(None, centre_name="テスト"), (780, 640))
    assert kw.unnamed(dlg) == []
    chain = walk_whole(dlg)
    assert any(isinstance(w, QAbstractButton) and w.text() == "閉じる" for w in chain)
    kw.press(Key.Key_Escape)
    assert not dlg.isVisible()


# ----------------------------------------------------------------------------- from the main window


def test_from_the_main_window_settings_stats_and_audit_by_keys(qtbot, engine, prompts):
    """Ctrl+7 設定 (Ctrl+S saves the tab in front), Ctrl+8 統計, Ctrl+9 操作履歴 (Ctrl+F: its keyword field)."""
    from booking_app.ui.main_window import MainWindow

    window = MainWindow(AppContext(engine, actor(engine, "manager")))
    shown(qtbot, window, (1366, 768))
    kw.press("7", Mod.ControlModifier)
    settings = window.pages["settings"]
    assert window.current_page_key() == "settings" and settings.isAncestorOf(kw.focused())
    assert kw.unnamed(settings) == []
    kw.tab_to(settings.rooms_table)
    kw.press(Key.Key_Home, Mod.ControlModifier)
    capacity = settings.rooms_model.col("capacity")
    for _ in range(capacity):
        kw.press(Key.Key_Right)
    kw.press(Key.Key_F2)
    kw.press(Key.Key_A, Mod.ControlModifier)
    kw.type_text("44")
    kw.press(Key.Key_Return)
    kw.press(Key.Key_S, Mod.ControlModifier)
    first = settings.rooms_model.rows()[0]["name"]
    with read_session(engine) as s:
        assert s.scalars(select(Room.capacity).where(Room.name == first)).one() == 44
    assert prompts.errors == []

    kw.press("8", Mod.ControlModifier)
    stats = window.pages["stats"]
    assert window.current_page_key() == "stats" and stats.isAncestorOf(kw.focused())
    assert kw.unnamed(stats) == []

    kw.press("9", Mod.ControlModifier)
    audit = window.pages["audit"]
    assert window.current_page_key() == "audit"
    kw.press("F", Mod.ControlModifier)
    assert kw.focused() is audit.text_edit
    assert kw.unnamed(audit) == []
    listed = {(a.property(SECTION_PROPERTY), a.text()) for a in keyed_actions(window)}
    assert ("設定", "表示中のタブを保存") in listed


def close_modal_by_esc(qtbot, cls) -> list:
    """Once a modal ``cls`` is open, note it and press Esc in it (untouched, so it closes at once)."""
    from PySide6.QtCore import QTimer

    seen: list = []

    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, cls) or not dialog.isAncestorOf(kw.focused()):
            QTimer.singleShot(10, poll)
            return
        seen.append(dialog.windowTitle())
        kw.press(Key.Key_Escape)

    QTimer.singleShot(0, poll)
    return seen


@pytest.mark.answers_modals
def test_enter_on_an_event_row_opens_it(qtbot, engine, stats_page):
    from booking_app.services.stats.events import save_event
    from booking_app.ui.stats.dialogs import EventDialog

    with write_session(engine) as s:
        save_event(s, actor(engine, "manager"), name="Koza", kind="講座", day=dt.date(2026, 11, 2))
        save_event(s, actor(engine, "manager"), name="Kenshu", kind="研修", day=dt.date(2026, 11, 9))
    page = stats_page
    kw.tab_to(page.tabs.tabBar())
    kw.press(Key.Key_Right)
    assert page.current_tab() == "events"
    kw.tab_to(page.events_tab.view)
    kw.press(Key.Key_Down)
    chosen = page.events_tab.selected()
    assert chosen is not None and chosen.name in ("Koza", "Kenshu")
    seen = close_modal_by_esc(qtbot, EventDialog)
    kw.press(Key.Key_Return)
    assert seen == ["行事の編集"]


@pytest.mark.answers_modals
def test_enter_on_an_account_row_opens_it(qtbot, engine):
    from booking_app.ui.admin.accounts_page import AccountDialog, AccountsPage

    page = shown(qtbot, AccountsPage(AppContext(engine, actor(engine, "admin"))))
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)
    assert page.selected() is not None
    seen = close_modal_by_esc(qtbot, AccountDialog)
    kw.press(Key.Key_Return)
    assert seen == ["職員アカウントの編集"]
