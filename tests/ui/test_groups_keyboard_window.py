"""団体 from the main window by keys only (issue 17, flow 2): Ctrl+4, type the reading, Tab, Space; a member
card scanned anywhere shows the group with 確認済み one key away; Ctrl+N books for the group just verified.

From the moment the window is shown the test only presses keys on the focused widget (keyboard_walk) or,
for the scanner, types on the window as a USB scanner does (fast keys, then Enter).
"""

from __future__ import annotations

from datetime import date, datetime

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.services.groups import CARD_PREFIX
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import GroupVerification, MemberGroup
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.scanner import ScannerFilter
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def engine(engine):
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        for name, kana, when in (("フクフク読書会", "フクフクドクショカイ", datetime(2026, 4, 10, 10)),
                                 ("関門太鼓の会", "かんもんたいこのかい", datetime(2026, 5, 1, 10)),
                                 ("彦島ボランティアの会", "ひこしまぼらんてぃあのかい", datetime(2025, 5, 1, 10))):
            group_svc.register_group(s, desk, GroupInput(
                name=name, kana=kana, activity_fields=["まちづくり"], representative="山田 花子", phone="083-111-2222",
                declarations={k: True for k in DECLARATIONS}), now=when)
    return engine


def group_id(engine, reg_no: str) -> int:
    with read_session(engine) as s:
        return s.scalars(select(MemberGroup.id).where(MemberGroup.reg_no == reg_no)).one()


def verifications(engine) -> list[tuple[int, str]]:
    with read_session(engine) as s:
        return [(r.group_id, r.status_seen) for r in s.scalars(select(GroupVerification))]


def test_ctrl_4_type_the_reading_tab_space(qtbot, window, engine, monkeypatch):
    opened = []
    monkeypatch.setattr(BookingDialog, "create", classmethod(lambda cls, parent, ctx, **kwargs: opened.append(kwargs)))
    kw.press("4", CTRL)
    page = window.pages["groups"]
    assert window.current_page_key() == "groups" and kw.focused() is page.search_edit
    kw.type_text("たいこ")
    qtbot.waitUntil(lambda: page.status_label.text() == "有効")
    assert "関門太鼓の会" in page.group_title.text()
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is page.verify_button
    kw.press(Qt.Key.Key_Space)
    assert verifications(engine) == [(group_id(engine, "0002"), "active")]
    kw.press("N", CTRL)  # a new booking for the group just verified
    assert len(opened) == 1 and opened[0]["group_id"] == group_id(engine, "0002")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def scanner(qapp, window):
    clock = FakeClock()
    filt = ScannerFilter(qapp, clock=clock)
    qapp.installEventFilter(filt)
    filt.groupScanned.connect(lambda reg_no: window.open_group_by_code(CARD_PREFIX + reg_no))  # as app.py wires it
    yield filt, clock
    qapp.removeEventFilter(filt)
    filt.flush()
    filt.deleteLater()


def scan(qtbot, window, clock, code: str) -> None:
    """A USB scanner reading a card: its characters a few ms apart on the window, then Enter."""
    handle = window.windowHandle()
    for ch in code:
        clock.now += 0.005
        qtbot.keyClick(handle, ch)
    clock.now += 0.005
    qtbot.keyClick(handle, Qt.Key.Key_Return)


def test_a_card_scanned_on_the_calendar_opens_the_group_with_verified_one_key_away(qtbot, window, engine, scanner):
    _filt, clock = scanner
    assert window.current_page_key() == "calendar"
    page = window.pages["groups"]
    scan(qtbot, window, clock, "FKG:0003")
    qtbot.waitUntil(lambda: window.current_page_key() == "groups" and page.selected_id() == group_id(engine, "0003"))
    assert page.status_label.text() == "期限切れ"
    assert kw.focused() is page.search_edit
    kw.press(Qt.Key.Key_F2)  # 確認済み
    assert verifications(engine) == [(group_id(engine, "0003"), "expired")]
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is page.verify_button
