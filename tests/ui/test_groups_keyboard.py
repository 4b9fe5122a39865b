"""団体 by keys only (issue 17, flow 2): verify a group by its reading or by a card scan, then a new booking.

From the moment the page is shown the test only presses keys on the focused widget (keyboard_walk): no
mouse, no setFocus, no click(). Kana arrive as an IME commits them: key events carrying the text.
"""

from __future__ import annotations

from datetime import date, datetime

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import GroupVerification, MemberGroup
from booking_app.ui.groups.groups_page import GroupsPage
from booking_app.ui.keyboard import keyed_actions
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)


def group_input(name: str, kana: str, phone: str) -> GroupInput:
    return GroupInput(name=name, kana=kana, activity_fields=["まちづくり"], representative="山田 花子",
                      phone=phone, declarations={k: True for k in DECLARATIONS})


@pytest.fixture
def engine(engine):
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        group_svc.register_group(s, desk, group_input("フクフク読書会", "フクフクドクショカイ", "083-111-2222"),
                                 now=datetime(2026, 4, 10, 10))
        group_svc.register_group(s, desk, group_input("関門太鼓の会", "かんもんたいこのかい", "083-222-3333"),
                                 now=datetime(2026, 5, 1, 10))
        group_svc.register_group(s, desk, group_input("彦島ボランティアの会", "ひこしまぼらんてぃあのかい",
                                                      "083-333-4444"), now=datetime(2025, 5, 1, 10))
    return engine


def group_id(engine, reg_no: str) -> int:
    with read_session(engine) as s:
        return s.scalars(select(MemberGroup.id).where(MemberGroup.reg_no == reg_no)).one()


def verifications(engine) -> list[tuple[int, str]]:
    with read_session(engine) as s:
        return [(r.group_id, r.status_seen) for r in s.scalars(select(GroupVerification))]


@pytest.fixture
def page(qtbot, ctx):
    w = GroupsPage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 720)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    return w


def settle(qtbot, page) -> None:
    """The pause after the last keystroke: the search has run."""
    qtbot.waitUntil(lambda: not page._timer.isActive(), timeout=2000)


def test_the_page_opens_in_the_search_field(page):
    assert kw.focused() is page.search_edit


def test_verify_by_kana_tab_once_to_verified_and_press(qtbot, page, engine):
    kw.type_text("たいこ")
    settle(qtbot, page)
    assert page.status_label.text() == "有効" and "関門太鼓の会" in page.group_title.text()
    assert kw.focused() is page.search_edit  # the status came while typing; the field keeps the focus
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is page.verify_button  # one Tab: 確認済み, before the results table
    kw.press(Qt.Key.Key_Space)
    assert verifications(engine) == [(group_id(engine, "0002"), "active")]
    assert "確認を記録しました" in page.verified_label.text()
    # Back in the search field, its text selected: the next group's reading replaces it.
    assert kw.focused() is page.search_edit and page.search_edit.selectedText() == "たいこ"
    kw.type_text("ひこしま")
    settle(qtbot, page)
    assert page.search_edit.text() == "ひこしま" and page.status_label.text() == "期限切れ"


def test_enter_on_verified_presses_it_too(qtbot, page, engine):
    kw.type_text("たいこ")
    kw.press(Qt.Key.Key_Return)  # Enter: the best match at once, without waiting for the pause
    assert "関門太鼓の会" in page.group_title.text()
    kw.press(Qt.Key.Key_Tab)
    kw.press(Qt.Key.Key_Return)
    assert verifications(engine) == [(group_id(engine, "0002"), "active")]


def test_down_moves_through_the_results_and_f2_records_the_one_shown(qtbot, page, engine):
    kw.type_text("の会")  # 関門太鼓の会 and 彦島ボランティアの会
    settle(qtbot, page)
    first = page.selected_id()
    kw.press(Qt.Key.Key_Down)
    second = page.selected_id()
    assert second != first and second is not None
    assert page.results_view.currentIndex().row() == 1
    assert kw.focused() is page.search_edit
    kw.press(Qt.Key.Key_Down)  # the last one stays
    assert page.selected_id() == second
    kw.press(Qt.Key.Key_Return)  # Enter keeps the chosen one
    assert page.selected_id() == second
    kw.press(Qt.Key.Key_Up)
    assert page.selected_id() == first
    kw.press(Qt.Key.Key_F2)
    assert [g for g, _s in verifications(engine)] == [first]
    assert page.verify_button.text() == "確認済み (F2)"


def test_verify_by_card_scan(qtbot, page, engine):
    kw.type_text("FKG:0003")  # the scanner types the card's code and Enter into the focused field
    kw.press(Qt.Key.Key_Return)
    assert page.selected_id() == group_id(engine, "0003")
    assert page.status_label.text() == "期限切れ"
    assert kw.focused() is page.search_edit
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is page.verify_button
    kw.press(Qt.Key.Key_Space)
    assert verifications(engine) == [(group_id(engine, "0003"), "expired")]


def test_a_scan_from_elsewhere_brings_the_focus_back_to_the_search_field(qtbot, page, engine):
    kw.type_text("たいこ")
    settle(qtbot, page)
    kw.tab_to(page.bookings_view)
    page.open_group_by_code("FKG:0001")  # what the main window does when the scanner reads a card
    assert page.selected_id() == group_id(engine, "0001")
    assert kw.focused() is page.search_edit
    kw.press(Qt.Key.Key_F2)
    assert verifications(engine) == [(group_id(engine, "0001"), "active")]


def test_new_booking_takes_the_group_just_verified(qtbot, page, engine, monkeypatch):
    from booking_app.ui.booking import booking_dialog as bd

    calls = []
    monkeypatch.setattr(bd.BookingDialog, "create",
                        classmethod(lambda cls, parent, ctx, **kwargs: calls.append((parent, kwargs))))
    kw.type_text("ひこしま")
    settle(qtbot, page)
    page.new_booking()  # the main window's Ctrl+N on this page
    assert calls == [(page, {"group_id": group_id(engine, "0003")})]
    assert "Ctrl+N" in page.booking_button.toolTip()
    kw.tab_to(page.booking_button)
    kw.press(Qt.Key.Key_Space)  # the button does the same
    assert len(calls) == 2 and calls[1][1]["group_id"] == group_id(engine, "0003")


def test_no_tab_trap_and_every_control_named(qtbot, page, engine):
    kw.type_text("たいこ")
    settle(qtbot, page)
    assert kw.unnamed(page) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.search_edit, page.verify_button, page.booking_button,
                                         page.results_view, page.bookings_view, page.register_button,
                                         page.due_groups_button])
    assert chain.index(page.verify_button) < chain.index(page.results_view)
    # Tab passes the tables without moving their selection.
    assert page.selected_id() == group_id(engine, "0002")


def test_the_renewal_tab_is_named_and_gives_tab_back(qtbot, page):
    kw.tab_to(page.tabs.tabBar())
    kw.press(Qt.Key.Key_Right)  # 年度更新
    assert page.tabs.currentWidget() is page.renewal
    assert kw.unnamed(page) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.renewal.fy_combo, page.renewal.table, page.renewal.renew_button])


def test_the_keys_are_named_actions_for_the_key_sheet(page):
    keys = {a.shortcut().toString(): a.property("keysheet_section") for a in keyed_actions(page)}
    assert keys.get("F2") == "団体" and keys.get("Down") == "団体"
