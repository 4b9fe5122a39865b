"""The 団体 page at the counter, driven like a person would: type a name, scan a card, read the status."""

from __future__ import annotations

import os
import re
from datetime import date, datetime

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import GroupVerification, MemberGroup
from booking_app.ui.groups import groups_page as gp
from booking_app.ui.groups.group_dialog import StatusChangeDialog
from booking_app.ui.groups.groups_page import GroupsPage
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)


def group_input(name: str, kana: str, **kw) -> GroupInput:
    return GroupInput(name=name, kana=kana, activity_fields=["まちづくり"], representative=kw.pop("rep", "山田 花子"),
                      phone=kw.pop("phone", "083-111-2222"), declarations={k: True for k in DECLARATIONS}, **kw)


@pytest.fixture
def engine(engine):
    """The conftest database with three groups registered."""
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        # 0001: registered with katakana kana; 0002: another valid group; 0003: last year's, not renewed.
        group_svc.register_group(s, desk, group_input("フクフク読書会", "フクフクドクショカイ"),
                                 now=datetime(2026, 4, 10, 10))
        group_svc.register_group(s, desk, group_input("関門太鼓の会", "かんもんたいこのかい", rep="佐藤 一郎",
                                                      phone="083-222-3333"), now=datetime(2026, 5, 1, 10))
        group_svc.register_group(s, desk, group_input("彦島ボランティアの会", "ひこしまぼらんてぃあのかい",
                                                      phone="083-333-4444"), now=datetime(2025, 5, 1, 10))
    return engine


@pytest.fixture
def shown(prompts):
    """What the page and its dialogs would show in message boxes (the text staff would read), as
    ctx.prompts recorded it."""
    return prompts.shown("show_error", "info")


@pytest.fixture
def page(qtbot, ctx):
    w = GroupsPage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 720)
    w.show()
    return w


def group_id(engine, reg_no: str) -> int:
    with read_session(engine) as s:
        return s.scalars(select(MemberGroup.id).where(MemberGroup.reg_no == reg_no)).one()


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def label_color(label) -> QColor:
    m = re.search(r"color:\s*(#[0-9a-fA-F]{6})", label.styleSheet())
    assert m, label.styleSheet()
    return QColor(m.group(1))


def is_green(c: QColor) -> bool:
    return c.green() > c.red() + 40 and c.green() > c.blue() + 40


def is_red(c: QColor) -> bool:
    return c.red() > c.green() + 80 and c.red() > c.blue() + 80


def search(qtbot, page: GroupsPage, text: str) -> None:
    page.search_edit.clear()
    type_text(page.search_edit, text)
    assert page.search_edit.text() == text
    # The list follows typing after a short pause (debounced), not on every key.
    qtbot.waitUntil(lambda: not page._timer.isActive(), timeout=2000)


def click_row(qtbot, view, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 1))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.parametrize("typed", ["ふくふく", "ﾌｸﾌｸﾄﾞｸ", "どくしょかい"])
def test_kana_in_any_script_finds_the_group_and_shows_valid(qtbot, page, engine, typed):
    search(qtbot, page, typed)
    model = page.results_model
    assert model.rowCount() == 1
    assert model.data(model.index(0, 1)) == "フクフク読書会"
    click_row(qtbot, page.results_view, 0)
    assert page.selected_id() == group_id(engine, "0001")
    assert page.status_label.text() == "有効"
    assert is_green(label_color(page.status_label))
    assert "2027/03/31まで有効" in page.reason_label.text()
    assert page.detail_labels["valid_until"].text() == "2027/03/31（令和9年3月31日）"
    assert page.verify_button.isEnabled()


def test_choosing_among_several_results_by_clicking(qtbot, page, engine):
    search(qtbot, page, "の会")  # 関門太鼓の会 and 彦島ボランティアの会
    assert page.results_model.rowCount() == 2
    names = [page.results_model.data(page.results_model.index(r, 1)) for r in range(2)]
    click_row(qtbot, page.results_view, names.index("関門太鼓の会"))
    assert page.group_title.text() == "0002　関門太鼓の会"
    assert page.status_label.text() == "有効"
    assert page.detail_labels["representative"].text() == "佐藤 一郎"


def test_expired_group_is_red_with_advice(qtbot, page, engine):
    search(qtbot, page, "ひこしま")
    assert page.selected_id() == group_id(engine, "0003")
    assert page.status_label.text() == "期限切れ"
    assert is_red(label_color(page.status_label))
    assert "2026/03/31" in page.reason_label.text()
    assert "一般利用" in page.advice_label.text()
    status_col = page.results_model.data(page.results_model.index(0, 5), Qt.ItemDataRole.ForegroundRole)
    assert is_red(status_col.color())


def test_unknown_name_says_unregistered_with_advice(qtbot, page):
    search(qtbot, page, "ふくふく")
    search(qtbot, page, "存在しない団体")
    assert page.results_model.rowCount() == 0
    assert page.status_label.text() == "未登録"
    assert is_red(label_color(page.status_label))
    assert "登録団体の名簿に見つかりません" in page.reason_label.text()
    assert "団体登録の申請" in page.advice_label.text()
    assert page.selected_id() is None
    assert not page.verify_button.isEnabled()


def test_phone_digits_and_number_find_the_group(qtbot, page, engine):
    search(qtbot, page, "０８３−２２２")
    assert page.selected_id() == group_id(engine, "0002")
    search(qtbot, page, "3")
    assert page.results_model.rowCount() >= 1


def test_verified_button_logs_the_check(qtbot, page, engine):
    search(qtbot, page, "たいこ")
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    with read_session(engine) as s:
        rows = list(s.scalars(select(GroupVerification)))
    assert [(r.group_id, r.status_seen) for r in rows] == [(group_id(engine, "0002"), "active")]
    assert "確認を記録しました" in page.verified_label.text()
    assert "受付スタッフ" in page.detail_labels["last_verified"].text()  # the refresh shows who checked


def test_open_group_by_code_selects_it(qtbot, page, engine):
    assert page.open_group_by_code("FKG:0002") is True
    assert page.search_edit.text() == "0002"
    assert page.selected_id() == group_id(engine, "0002")
    current = page.results_view.currentIndex()
    assert page.results_model.summary(current.row()).reg_no == "0002"
    assert page.status_label.text() == "有効"
    assert page.open_group_by_code("FKG:9999") is False
    assert page.status_label.text() == "未登録"


def test_scanner_typing_code_and_enter_opens_the_group(qtbot, page, engine):
    page.focus_search()
    type_text(page.search_edit, "FKG:0003")
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert page.selected_id() == group_id(engine, "0003")
    assert page.status_label.text() == "期限切れ"


def choose_renewal_year(qtbot, page, fy: int):
    """The 年度更新 tab shown and its year chosen, the list read (it loads in the background)."""
    tab = page.renewal
    page.tabs.setCurrentIndex(1)
    tab.fy_combo.setCurrentIndex(tab.fy_combo.findData(fy))
    qtbot.waitUntil(lambda: not tab.loading and tab.last_filter is not None and tab.last_filter[0] == fy,
                    timeout=10_000)
    return tab


def test_renewal_tab_renews_a_ticked_expired_group(qtbot, page, engine):
    tab = choose_renewal_year(qtbot, page, 2026)  # 今年度
    model = tab.model
    assert [model.data(model.index(r, 1)) for r in range(model.rowCount())] == ["0003"]
    view = tab.table
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Space)  # ticks the checkbox of the current row
    assert model.checked_ids() == [group_id(engine, "0003")]
    assert tab.renew_button.text() == "選択した団体を更新（令和8年度）"
    qtbot.mouseClick(tab.renew_button, Qt.MouseButton.LeftButton)
    assert tab.status_label.text().startswith("1団体を令和8年度に更新しました")
    with read_session(engine) as s:
        assert s.get(MemberGroup, group_id(engine, "0003")).valid_until == date(2027, 3, 31)
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=10_000)  # the list reads again after the change
    assert tab.status_label.text().startswith("1団体を令和8年度に更新しました")
    search(qtbot, page, "ひこしま")
    assert page.status_label.text() == "有効"


def test_renewal_select_all_for_next_year(qtbot, page, engine):
    tab = choose_renewal_year(qtbot, page, 2027)
    assert tab.model.rowCount() == 3
    qtbot.mouseClick(tab.renew_button, Qt.MouseButton.LeftButton)
    assert "チェックを付けて" in tab.status_label.text()
    tab.select_all_check.click()
    assert len(tab.model.checked_ids()) == 3
    qtbot.mouseClick(tab.renew_button, Qt.MouseButton.LeftButton)
    assert tab.status_label.text().startswith("3団体を令和9年度に更新しました")


def test_figures_tile_counts_against_the_target(page):
    f = page.figures
    assert (f.registered, f.new_this_year, f.target) == (2, 2, 260)
    assert "260" in page.figures_label.text()


def test_desk_staff_cannot_suspend(qtbot, page, shown):
    search(qtbot, page, "たいこ")
    qtbot.mouseClick(page.status_button, Qt.MouseButton.LeftButton)
    assert shown and "管理者のみ" in shown[0]


def test_manager_suspends_with_a_reason_and_the_page_turns_red(qtbot, page, engine, ctx, shown):
    ctx.set_actor(actor_for(engine, "manager"))
    search(qtbot, page, "たいこ")
    dlg = StatusChangeDialog(ctx, page.selected_id(), page.group_title.text(), "active", page)
    qtbot.addWidget(dlg)
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)  # no reason yet
    assert shown == ["理由を入力してください。"]
    qtbot.keyClicks(dlg.reason_edit, "kaihi minou")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == StatusChangeDialog.DialogCode.Accepted
    assert page.status_label.text() == "停止"  # refreshed through ctx.changed
    assert is_red(label_color(page.status_label))
    assert "kaihi minou" in page.reason_label.text()


def test_registering_from_the_page_selects_the_new_group(qtbot, page, engine, monkeypatch, ctx):
    def fake_register(parent, c):
        with write_session(engine) as s:
            gid = group_svc.register_group(s, c.actor, group_input("新しい会", "あたらしいかい")).id
        return gid

    monkeypatch.setattr(gp.GroupDialog, "register", staticmethod(fake_register))
    qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    assert page.search_edit.text() == "0004"
    assert page.group_title.text() == "0004　新しい会"


def test_models_pass_the_model_tester(qtmodeltester, page, qtbot, engine):
    search(qtbot, page, "の会")
    qtmodeltester.check(page.results_model)
    qtmodeltester.check(page.bookings_model)
    qtmodeltester.check(choose_renewal_year(qtbot, page, 2027).model)


def test_nothing_written_by_searching(qtbot, page, engine):
    search(qtbot, page, "ふくふく")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(GroupVerification)) == 0


def test_the_groups_bookings_are_listed_and_follow_changes(qtbot, qtmodeltester, page, engine, ctx):
    from booking_app.services import bookings as booking_svc
    from booking_app.store.models import Room

    search(qtbot, page, "たいこ")
    assert page.bookings_model.rowCount() == 0
    gid = page.selected_id()
    with read_session(engine) as s:
        room = s.scalars(select(Room.id).where(Room.name == "小会議室1")).one()
    start = datetime(2026, 12, 9, 13)
    ctx.write(lambda s, a: booking_svc.create_booking(
        s, a, booking_svc.BookingInput(start=start, end=datetime(2026, 12, 9, 17), room_id=room, booker_kind="member",
                                       group_id=gid, purpose="練習", attendees=8),
        now=datetime(2026, 11, 25, 10)), changes={"booking"})
    m = page.bookings_model
    assert m.rowCount() == 1  # the page refreshed on ctx.changed({'booking'})
    assert [m.data(m.index(0, c)) for c in range(4)] == ["2026/12/09(水)", "13:00–17:00", "小会議室1", "確定"]
    qtmodeltester.check(m)
    assert page.selected_id() == gid
    # QA: an equipment-only booking (no room) had an empty 部屋 cell.
    from booking_app.store.models import EquipmentType

    with read_session(engine) as s:
        printer = s.scalars(select(EquipmentType.id).where(EquipmentType.name == "印刷機")).one()
    ctx.write(lambda s, a: booking_svc.create_booking(
        s, a, booking_svc.BookingInput(start=datetime(2026, 12, 10, 10), end=datetime(2026, 12, 10, 11),
                                       room_id=None, booker_kind="member", group_id=gid, purpose="印刷",
                                       attendees=1, equipment={printer: 1}),
        now=datetime(2026, 11, 25, 10)), changes={"booking"})
    rooms = [m.data(m.index(r, 2)) for r in range(m.rowCount())]
    assert "備品のみ" in rooms and "" not in rooms


def test_printing_a_member_card_opens_a_pdf(qtbot, page, shown, monkeypatch):
    opened = []
    monkeypatch.setattr(gp.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    search(qtbot, page, "たいこ")
    qtbot.mouseClick(page.card_button, Qt.MouseButton.LeftButton)
    assert shown == []
    assert len(opened) == 1 and opened[0].endswith(".pdf")
    try:
        with open(opened[0], "rb") as fh:
            assert fh.read(5) == b"%PDF-"
    finally:
        os.remove(opened[0])


def test_no_member_card_for_an_expired_group(qtbot, page, shown, monkeypatch):
    opened = []
    monkeypatch.setattr(gp.QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    search(qtbot, page, "ひこしま")
    qtbot.mouseClick(page.card_button, Qt.MouseButton.LeftButton)
    assert opened == []
    assert len(shown) == 1 and "彦島ボランティアの会" in shown[0] and "期限切れ" in shown[0]


def test_new_booking_and_edit_buttons_open_their_dialogs(qtbot, page, engine, monkeypatch):
    from booking_app.ui.booking import booking_dialog as bd

    calls = []
    monkeypatch.setattr(bd.BookingDialog, "create",
                        classmethod(lambda cls, parent, ctx, **kw: calls.append(("booking", parent, kw))))
    monkeypatch.setattr(gp.GroupDialog, "edit", staticmethod(lambda parent, ctx, gid: calls.append(("edit", parent, gid))))
    search(qtbot, page, "たいこ")
    qtbot.mouseClick(page.booking_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert [c[0] for c in calls] == ["booking", "edit"]
    assert calls[0][1] is page and calls[1][2] == group_id(engine, "0002")
    assert "today" not in calls[0][2]  # the dialog counts its default dates from the app's clock
    assert calls[0][2]["group_id"] == group_id(engine, "0002")  # the group on the panel (issue 13, item 7)


@pytest.fixture
def app_font(qapp):
    """The font the app itself sets (bundled IPAex, at least 10 pt), whatever ran before."""
    from PySide6.QtGui import QFont

    from booking_app import fonts

    before = qapp.font()
    font = QFont(fonts.register_qt_fonts())
    font.setPointSize(10)
    qapp.setFont(font)
    yield font
    qapp.setFont(before)


def test_search_list_shows_a_twenty_character_name_at_1366_px(app_font, ctx, qtbot):
    """In the main window at 1366×768 the page gets about 1216 px: a typical long name (20 characters)
    and its reading must show whole, not 「赤間多文化共…」."""
    page = GroupsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1216, 720)
    page.show()
    qtbot.waitExposed(page)
    view = page.results_view
    name_col, kana_col = 1, 2
    fm = view.fontMetrics()
    long_name = "NPO法人 関門子ども食堂ネットワーク下"  # 20 characters, as in the register
    assert len(long_name) == 20
    assert view.columnWidth(name_col) >= fm.horizontalAdvance(long_name) + 8, view.columnWidth(name_col)
    assert view.columnWidth(kana_col) >= fm.horizontalAdvance("あかまたぶんかきょうせいのかい") + 8
    # Every column still in view (no horizontal scrolling), 状態 included.
    total = sum(view.columnWidth(c) for c in range(page.results_model.columnCount()))
    assert total <= view.viewport().width()
