"""The waiting list dialog (キャンセル待ち) and the today page's panel, driven as the desk would: keys
(Alt+A 追加, Alt+N 次の方に連絡, Alt+Y 承諾→予約, Alt+D 辞退, Alt+W 取下げ) and the answers to its questions.

The day is the tests' default (Wednesday 2026-11-25 10:00); the slot is 大会議室 on 12月2日(水) 18:00〜21:00.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from factories import DAY, at, load_world  # noqa: E402

from booking_app.services import bookings as booking_svc  # noqa: E402
from booking_app.services import waitlist as wl  # noqa: E402
from booking_app.store.engine import read_session, write_session  # noqa: E402
from booking_app.ui.waitlist.dialog import WaitlistDialog  # noqa: E402
from booking_app.ui.waitlist.today_panel import WaitlistPanel  # noqa: E402

pytestmark = [pytest.mark.now("2026-11-25 10:00"), pytest.mark.usefixtures("japanese_font")]

NOW = datetime(2026, 11, 25, 10, 0)
START, END = at(DAY, 18), at(DAY, 21)
ALT = Qt.KeyboardModifier.AltModifier




@pytest.fixture
def world(engine):
    w = load_world(engine)
    w.book(START, END, booker_name="先に予約した人", now=NOW)
    return w


def booking_id(world) -> int:
    with read_session(world.engine) as s:
        return booking_svc.bookings_between(s, START, END)[0].id


def cancel(world) -> None:
    with write_session(world.engine) as s:
        booking_svc.cancel_booking(s, world.desk, booking_id(world), "団体の都合", now=NOW)


def add(world, name: str) -> wl.EntryView:
    with write_session(world.engine) as s:
        return wl.add_waiting(s, world.desk, world.rooms["大会議室"], START, END, booker_name=name,
                              contact_phone="090-1111-2222", now=NOW)


def shown(qtbot, w):
    qtbot.addWidget(w)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    return w


def test_the_desk_adds_offers_and_books_by_keys(qtbot, ctx, world, prompts):
    g = world.make_group("甲の会")
    dlg = shown(qtbot, WaitlistDialog(ctx, world.rooms["大会議室"], START, END))
    assert dlg.windowTitle() == "キャンセル待ち — 大会議室 12月2日(水) 18:00〜21:00"
    assert kw.unnamed(dlg) == []
    assert "予約が入っています" in dlg.state_label.text() or "いません" in dlg.state_label.text()
    # 追加: a registered group, found by its number, then a person by name and phone
    kw.tab_to(dlg.group_picker.edit)
    kw.type_text("R0001")
    kw.press(Qt.Key.Key_Return)
    assert dlg.group_picker.group_id == g
    kw.press(Qt.Key.Key_A, ALT)
    assert prompts.errors == [] and dlg.model.rowCount() == 1
    kw.tab_to(dlg.name_edit)
    kw.type_text("山田花子")
    kw.press(Qt.Key.Key_Tab)
    kw.type_text("090-1234-5678")
    kw.press(Qt.Key.Key_Return)  # Enter in 連絡先 adds
    assert prompts.errors == [] and [e.who for e in dlg.entries] == ["甲の会", "山田花子"]
    assert [dlg.model.cell(e, 0) for e in dlg.entries] == ["1", "2"]
    assert not dlg.offer_button.isEnabled()  # still booked: nothing to offer
    assert "予約が入っています（待ち2名）" in dlg.state_label.text()
    # the booking is cancelled: the slot is free, the first in line is offered
    cancel(world)
    dlg.refresh()
    assert dlg.offer_button.isEnabled() and "次は1番 甲の会さん" in dlg.state_label.text()
    assert dlg.reply_edit.dateTime().toPython() == datetime(2026, 11, 26, 17, 0)
    kw.press(Qt.Key.Key_N, ALT)
    assert prompts.errors == [] and "1番 甲の会さん" in prompts.infos[-1].text
    assert [e.status for e in dlg.entries] == ["offered", "waiting"]
    assert dlg.model.cell(dlg.entries[0], 5) == "11/26 17:00"
    assert not dlg.offer_button.isEnabled()  # one offer at a time
    dlg.grab().save("/tmp/wl_dialog.png")
    # 承諾→予約: a 仮予約 for the group
    dlg.table.setFocus()
    assert dlg.selected().id == dlg.entries[0].id and dlg.accept_button.isEnabled()
    prompts.answer_choice("tentative")
    kw.press(Qt.Key.Key_Y, ALT)
    assert prompts.errors == []
    done = dlg.entries[0]
    assert done.status == "accepted" and done.booking_number and done.booking_number in prompts.infos[-1].text
    assert dlg.model.cell(done, 4).startswith("承諾（予約済）")
    with read_session(world.engine) as s:
        made = booking_svc.get_booking(s, done.booking_id)
    assert made.group_id == g and made.status == "tentative"
    dlg.grab().save("/tmp/wl_dialog_accepted.png")


def test_no_skipping_decline_then_the_next_and_withdraw_asks_a_reason(qtbot, ctx, world, prompts):
    first, second, third = add(world, "一番の人"), add(world, "二番の人"), add(world, "三番の人")
    cancel(world)
    dlg = shown(qtbot, WaitlistDialog(ctx, world.rooms["大会議室"], START, END))
    dlg.table.setFocus()
    kw.press(Qt.Key.Key_N, ALT)
    assert dlg.entries[0].status == "offered"
    kw.press(Qt.Key.Key_Down)  # the second: waiting, cannot be accepted before the first answers
    assert dlg.selected().id == second.id and not dlg.accept_button.isEnabled()
    kw.press(Qt.Key.Key_Up)
    prompts.answer_text("都合がつかない")
    kw.press(Qt.Key.Key_D, ALT)
    assert dlg.entries[0].status == "declined" and dlg.entries[0].close_reason == "都合がつかない"
    kw.press(Qt.Key.Key_N, ALT)
    assert [e.status for e in dlg.entries] == ["declined", "offered", "waiting"]
    dlg.select_entry(third.id)
    prompts.answer_text("")  # a reason is required: the service says so and nothing changes
    kw.press(Qt.Key.Key_W, ALT)
    assert prompts.errors and "取下げの理由" in prompts.error_texts[-1]
    prompts.answer_text("本人から取下げの連絡")
    kw.press(Qt.Key.Key_W, ALT)
    assert [e.status for e in dlg.entries] == ["declined", "offered", "withdrawn"]
    assert first.id == dlg.entries[0].id


def test_the_today_panel_shows_freed_slots_and_opens_the_list(qtbot, ctx, world, prompts, monkeypatch):
    add(world, "一番の人"), add(world, "二番の人")
    holder = QWidget()  # the page the panel sits on (the panel itself hides when there is nothing)
    panel = WaitlistPanel(ctx, holder)
    QVBoxLayout(holder).addWidget(panel)
    shown(qtbot, holder)
    panel.refresh()
    assert not panel.isVisible()  # still booked
    cancel(world)
    panel.refresh()
    assert panel.isVisible() and panel.title.text().startswith("キャンセル待ち 1件")
    assert panel.list.item(0).text() == "大会議室 12月2日(水) 18:00〜21:00　待ち2名　次：1番 一番の人"
    panel.resize(900, panel.sizeHint().height())
    panel.grab().save("/tmp/wl_today_panel.png")
    opened = []
    monkeypatch.setattr(WaitlistDialog, "exec", lambda self: opened.append(self) or 0)
    panel.list.setFocus()
    kw.press(Qt.Key.Key_Return)
    assert len(opened) == 1 and opened[0].slot_text == "大会議室 12月2日(水) 18:00〜21:00"


def test_the_today_page_shows_the_panel_above_its_list(qtbot, ctx, world, prompts):
    from booking_app.ui.booking.today_list import TodayListPage

    add(world, "一番の人")
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    assert not page.waitlist_panel.isVisible()
    cancel(world)
    ctx.changed.emit({"booking"})
    qtbot.waitUntil(lambda: page.waitlist_panel.isVisible())
    assert page.waitlist_panel.title.text().startswith("キャンセル待ち 1件")
    page.grab().save("/tmp/wl_today_page.png")
