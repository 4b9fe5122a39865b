"""The booking dialog (予約の登録・変更) with the keyboard alone (issue 17).

From the moment the dialog is shown the tests only press keys on the focused widget (``keyboard_walk``):
no mouse, no setFocus, no click from the test. The flow of the issue: 小会議室1 next Tuesday (2026-12-01,
the clock pinned to Wednesday 2026-11-25) 18:00–21:00 for a registered group with a projector, saved
with Ctrl+S and read back through the booking service.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.services import bookings as booking_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, EquipmentType, MemberGroup, Room
from booking_app.ui import keyboard
from booking_app.ui.booking.booking_dialog import BookingDialog

# The group ふくふく読書会 (R0012) and the 利用票 recorder come from tests/ui/conftest.py.
pytestmark = [pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0)),
              pytest.mark.usefixtures("reading_group", "no_slips")]

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
TUESDAY = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def second_group(engine, reading_group):
    """Besides ふくふく読書会 (conftest's ``reading_group``), a second member group in good standing."""
    with write_session(engine) as s:
        s.add(MemberGroup(reg_no="R0013", name="ふくふく囲碁の会", kana="ふくふくいごのかい", status="active",
                          created_at=dt.datetime(2026, 4, 1)))


def shown(qtbot, ctx, **kw_) -> BookingDialog:
    dlg = BookingDialog(ctx, **kw_)
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    return dlg


def ids(engine):
    with read_session(engine) as s:
        rooms = {r.name: r.id for r in s.scalars(select(Room))}
        eq = {e.name: e.id for e in s.scalars(select(EquipmentType))}
        group = s.scalars(select(MemberGroup).where(MemberGroup.reg_no == "R0012")).one().id
    return rooms, eq, group


def press_until(key: Qt.Key, done, limit: int = 30) -> None:
    for _ in range(limit):
        if done():
            return
        kw.press(key)
    assert done(), f"{key} pressed {limit} times without reaching it; focus on {kw.describe(kw.focused())}"


def bookings(engine) -> list[Booking]:
    with read_session(engine) as s:
        return list(s.scalars(select(Booking)))


# --- Tab ------------------------------------------------------------------------------------------------


def test_tab_walks_every_field_in_reading_order_and_reaches_the_buttons(qtbot, ctx):
    dlg = shown(qtbot, ctx)
    assert kw.focused() is dlg.date_edit  # the first field has the focus when the dialog opens
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[dlg.note_edit, dlg.equipment_table, dlg.save_button, dlg.close_button])
    order = [dlg.date_edit, dlg.start_combo, dlg.end_combo, dlg.room_combo, dlg.kind_combo, dlg.group_edit,
             dlg.phone_edit, dlg.purpose_edit, dlg.attendees_spin, dlg.tentative_check, dlg.note_edit,
             dlg.equipment_table, dlg.recurrence_box, dlg.print_slip_check, dlg.save_button, dlg.close_button]
    assert [w for w in chain[:-1] if w in order] == order
    # The quantity boxes of the equipment lines are not Tab stops: the table is one.
    assert not any(w.objectName().startswith("equipment_qty_") for w in chain)


def test_shift_tab_walks_back_to_the_buttons_and_through_the_form(qtbot, ctx):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_Backtab)
    assert kw.focused() is dlg.close_button
    kw.press(Qt.Key.Key_Backtab)
    assert kw.focused() is dlg.save_button
    kw.tab_to(dlg.equipment_table, back=True)
    kw.press(Qt.Key.Key_Backtab)
    assert kw.focused() is dlg.note_edit  # 備考 gives Shift+Tab on too
    kw.tab_to(dlg.date_edit, back=True)
    kw.press(Qt.Key.Key_Backtab)
    assert kw.focused() is dlg.close_button  # round again: no trap backwards


def test_note_takes_enter_as_a_new_line_and_passes_tab_on(qtbot, ctx, engine):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_M, ALT)
    assert kw.focused() is dlg.note_edit
    kw.type_text("line1")
    kw.press(Qt.Key.Key_Return)
    kw.type_text("line2")
    assert dlg.note_edit.toPlainText() == "line1\nline2" and dlg.isVisible() and bookings(engine) == []
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is not dlg.note_edit and "\t" not in dlg.note_edit.toPlainText()


def test_with_the_series_open_tab_walks_its_fields_without_a_trap(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, ctx, group_id=ids(engine)[2])
    kw.tab_to(dlg.recurrence_box)
    kw.press(Qt.Key.Key_Space)
    assert dlg.recurrence_box.isChecked() and dlg.recurrence.isVisible()
    rec = dlg.recurrence
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[rec.rec_kind, rec.rec_interval, rec.rec_until, rec.rec_preview_button,
                                         rec.preview_table, dlg.save_button, dlg.close_button])
    assert chain.index(dlg.recurrence_box) < chain.index(rec.rec_kind) < chain.index(dlg.save_button)
    assert kw.unnamed(dlg) == []
    # プレビュー by keys: the preview table is filled and Tab leaves it again.
    kw.tab_to(rec.rec_preview_button)
    kw.press(Qt.Key.Key_Space)
    assert prompts.of("show_error") == [] and rec.preview_model.rowCount() > 0
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is rec.preview_table
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is not rec.preview_table


# --- the whole booking by keys ----------------------------------------------------------------------------


def test_book_small_room_next_tuesday_evening_with_a_projector_by_keys_and_ctrl_s(qtbot, ctx, engine,
                                                                                   prompts, no_slips):
    rooms, eq, group_id = ids(engine)
    dlg = shown(qtbot, ctx)
    assert kw.focused() is dlg.date_edit
    kw.type_text("20261201")  # year, month and day: each part moves on when it is full
    assert dlg.day == TUESDAY
    kw.press(Qt.Key.Key_Tab)
    kw.type_text("18:00")  # a time list finds what is typed
    kw.press(Qt.Key.Key_Tab)
    kw.type_text("21:00")
    assert (dlg.start_combo.currentText(), dlg.end_combo.currentText()) == ("18:00", "21:00")

    kw.press(Qt.Key.Key_R, ALT)  # 部屋(&R)
    assert kw.focused() is dlg.room_combo
    press_until(Qt.Key.Key_Down, lambda: dlg.room_combo.currentText().startswith("小会議室1"))

    kw.press(Qt.Key.Key_G, ALT)  # 団体(&G): 登録団体 is the default 利用者区分
    assert kw.focused() is dlg.group_edit
    kw.type_text("R0012")
    kw.press(Qt.Key.Key_Return)  # picks the group, does not save
    assert dlg.group_edit.text() == "R0012 ふくふく読書会" and dlg.isVisible() and bookings(engine) == []

    kw.press(Qt.Key.Key_P, ALT)  # 利用目的(&P)
    assert kw.focused() is dlg.purpose_edit
    kw.type_text("定例会")
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is dlg.attendees_spin
    kw.type_text("12")

    kw.press(Qt.Key.Key_E, ALT)  # 備品(&E): the equipment table
    assert kw.focused() is dlg.equipment_table
    projector = dlg.equipment_model.row_of(eq["プロジェクター"])
    press_until(Qt.Key.Key_Down, lambda: dlg.equipment_table.currentIndex().row() == projector)
    kw.type_text("1")
    assert dlg.equipment_model.quantities() == {eq["プロジェクター"]: 1}
    assert dlg.hint_label.text() == ""  # nothing in the way

    kw.press(Qt.Key.Key_S, CTRL)

    assert prompts.of("show_error") == [] and prompts.of("confirm") == []
    assert dlg.result() == BookingDialog.DialogCode.Accepted and not dlg.isVisible()
    v = ctx.read(lambda s: booking_svc.get_booking(s, dlg.result_id))
    assert (v.room_id, v.group_id, v.purpose, v.attendees) == (rooms["小会議室1"], group_id, "定例会", 12)
    assert (v.start, v.end) == (dt.datetime(2026, 12, 1, 18), dt.datetime(2026, 12, 1, 21))
    assert {e.equipment_type_id: e.quantity for e in v.equipment} == {eq["プロジェクター"]: 1}
    assert no_slips == [[dlg.result_id]]  # 保存後に利用票を印刷 as when saved with the button


def test_enter_in_a_one_line_field_saves_through_the_default_button(qtbot, ctx, engine):
    rooms, _, group_id = ids(engine)
    start = dt.datetime(2026, 12, 2, 13)
    dlg = shown(qtbot, ctx, room_id=rooms["作業室"], start=start, end=start + dt.timedelta(hours=2),
                group_id=group_id)
    assert dlg.save_button.isDefault()
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("meeting")
    kw.press(Qt.Key.Key_Return)
    assert dlg.result() == BookingDialog.DialogCode.Accepted
    [b] = bookings(engine)
    assert (b.purpose, b.room_id, b.group_id) == ("meeting", rooms["作業室"], group_id)


def test_enter_in_the_group_list_picks_the_group_and_does_not_save(qtbot, ctx, engine):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_G, ALT)
    kw.type_text("R001")  # two groups match: the list opens
    popup = dlg.completer.popup()
    assert popup.isVisible() and popup.model().rowCount() == 2
    first = popup.model().index(0, 0).data()
    kw.press(Qt.Key.Key_Return)  # the first one listed (the one highlighted, when ↓ chose one)
    assert dlg.group_edit.text() == first and dlg.group_status.text() == "有効"
    assert not popup.isVisible()
    assert dlg.isVisible() and bookings(engine) == []
    # A group typed by its number: Enter shows its name and does not save either.
    kw.press(Qt.Key.Key_A, CTRL)
    kw.type_text("R0012")
    assert dlg.group_edit.text() == "R0012"
    kw.press(Qt.Key.Key_Return)
    assert dlg.group_edit.text() == "R0012 ふくふく読書会" and dlg.isVisible() and bookings(engine) == []


def test_equipment_lines_by_keys_digits_plus_minus_delete(qtbot, ctx, engine):
    _, eq, _ = ids(engine)
    dlg = shown(qtbot, ctx)
    kw.tab_to(dlg.equipment_table)
    first = dlg.equipment_model.availability(0).id
    kw.type_text("12")  # on the first line (the cursor starts there)
    assert dlg.equipment_model.quantities() == {first: 12}
    kw.press(Qt.Key.Key_Minus)
    assert dlg.equipment_model.quantities() == {first: 11}
    kw.press(Qt.Key.Key_Delete)
    assert dlg.equipment_model.quantities() == {}
    kw.press(Qt.Key.Key_Down)
    second = dlg.equipment_model.availability(1).id
    kw.press(Qt.Key.Key_Space)
    kw.press(Qt.Key.Key_Plus)
    assert dlg.equipment_model.quantities() == {second: 2}
    spin = dlg.equipment_table.findChild(QWidget, f"equipment_qty_{second}")
    assert spin.value() == 2  # the line's box shows it
    assert "equipment_remove" in [a.objectName() for a in keyboard.keyed_actions(dlg)]


# --- Esc --------------------------------------------------------------------------------------------------


def test_esc_on_an_untouched_dialog_closes_at_once(qtbot, ctx, prompts):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and dlg.result() == BookingDialog.DialogCode.Rejected
    assert prompts.of("confirm") == []


def test_esc_with_typed_input_asks_and_back_to_input_keeps_it(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("kaigi")
    prompts.answer_confirm(False)  # 「入力に戻る」
    kw.press(Qt.Key.Key_Escape)
    [asked] = prompts.of("confirm")
    assert asked.text == "入力内容を破棄しますか？"
    assert dlg.isVisible() and dlg.purpose_edit.text() == "kaigi" and kw.focused() is dlg.purpose_edit

    prompts.answer_confirm(True)  # 「破棄する」
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and dlg.result() == BookingDialog.DialogCode.Rejected
    assert len(prompts.of("confirm")) == 2 and bookings(engine) == []


def test_esc_after_only_an_equipment_quantity_asks_too(qtbot, ctx, prompts):
    dlg = shown(qtbot, ctx)
    kw.press(Qt.Key.Key_E, ALT)
    kw.type_text("1")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)
    assert len(prompts.of("confirm")) == 1 and dlg.isVisible()


# --- names ------------------------------------------------------------------------------------------------


def test_every_focusable_control_has_a_name_new_and_edit(qtbot, ctx, engine):
    rooms, _, _ = ids(engine)
    dlg = shown(qtbot, ctx)
    assert kw.unnamed(dlg) == []
    assert kw.accessible_name(dlg.equipment_table) == "備品"
    assert kw.accessible_name(dlg.date_edit) == "利用日"
    # (On Linux a combo box reads out its current item as its name; the name set is what Windows reads.)
    assert (dlg.start_combo.accessibleName(), dlg.end_combo.accessibleName()) == ("開始時刻", "終了時刻")
    assert dlg.room_combo.accessibleName() == "部屋"
    kw.tab_to(dlg.tentative_check)
    kw.press(Qt.Key.Key_Space)
    assert dlg.hold_edit.isVisible() and kw.unnamed(dlg) == []
    with write_session(engine) as s:
        from tests.actors import actor_for
        bid = booking_svc.create_booking(s, actor_for(engine, "desk"), booking_svc.BookingInput(
            start=dt.datetime(2026, 12, 3, 9), end=dt.datetime(2026, 12, 3, 12), room_id=rooms["作業室"],
            booker_kind="group", booker_name="先約の会", purpose="会議", attendees=5)).id
    edit = shown(qtbot, ctx, booking_id=bid)
    assert edit.cancel_booking_button.isVisible() and kw.unnamed(edit) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[edit.cancel_booking_button, edit.save_button, edit.close_button])


def test_form_labels_carry_mnemonics_that_jump_to_their_fields(qtbot, ctx):
    dlg = shown(qtbot, ctx)
    for key, field in ((Qt.Key.Key_R, dlg.room_combo), (Qt.Key.Key_K, dlg.kind_combo),
                       (Qt.Key.Key_C, dlg.phone_edit), (Qt.Key.Key_P, dlg.purpose_edit),
                       (Qt.Key.Key_A, dlg.attendees_spin), (Qt.Key.Key_M, dlg.note_edit),
                       (Qt.Key.Key_E, dlg.equipment_table), (Qt.Key.Key_T, dlg.start_combo),
                       (Qt.Key.Key_G, dlg.group_edit), (Qt.Key.Key_D, dlg.date_edit)):
        kw.press(key, ALT)
        assert kw.focused() is field, f"Alt+{key.name[-1]} went to {kw.describe(kw.focused())}"
    # 利用者区分 個人: 氏名(&N) keeps its letter.
    kw.press(Qt.Key.Key_K, ALT)
    press_until(Qt.Key.Key_Down, lambda: dlg.kind_combo.currentData() == "person")
    kw.press(Qt.Key.Key_N, ALT)
    assert kw.focused() is dlg.name_edit and dlg.name_label.text() == "氏名(&N)"


def test_ctrl_s_is_a_listed_key_of_the_dialog(qtbot, ctx):
    dlg = shown(qtbot, ctx)
    [save] = [a for a in keyboard.keyed_actions(dlg) if a.shortcut().toString() == "Ctrl+S"]
    assert save.property(keyboard.SECTION_PROPERTY) == "予約の登録"
    assert dlg.save_button.text() == "保存 (Ctrl+S)"


def test_enter_on_a_time_period_button_presses_it_not_save(qtbot, ctx, engine):
    dlg = shown(qtbot, ctx)
    evening = kw.tab_until(lambda w: w.objectName() == "period_夜間")
    kw.press(Qt.Key.Key_Return)
    assert (dlg.start_combo.currentText(), dlg.end_combo.currentText()) == ("18:00", "22:00")
    assert dlg.isVisible() and bookings(engine) == [] and kw.focused() is evening


def test_a_conflict_is_read_out_with_save_and_saving_by_keys_says_why(qtbot, ctx, engine, prompts):
    from tests.actors import actor_for

    rooms, _, group_id = ids(engine)
    with write_session(engine) as s:
        booking_svc.create_booking(s, actor_for(engine, "desk"), booking_svc.BookingInput(
            start=dt.datetime(2026, 12, 1, 18), end=dt.datetime(2026, 12, 1, 20), room_id=rooms["小会議室1"],
            booker_kind="group", booker_name="先約の会", purpose="会議", attendees=5))
    start = dt.datetime(2026, 12, 1, 18)
    dlg = shown(qtbot, ctx, room_id=rooms["小会議室1"], start=start, end=start + dt.timedelta(hours=3),
                group_id=group_id)
    assert "予約があります" in dlg.save_button.accessibleDescription()
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("meeting")
    kw.press(Qt.Key.Key_S, CTRL)
    [error] = prompts.error_texts
    assert "既に予約があります" in error and dlg.isVisible() and len(bookings(engine)) == 1
    kw.press(Qt.Key.Key_T, ALT)  # the time is still there to change, by keys
    kw.type_text("20:00")
    assert dlg.save_button.accessibleDescription() == ""
    kw.press(Qt.Key.Key_S, CTRL)
    assert dlg.result() == BookingDialog.DialogCode.Accepted and len(bookings(engine)) == 2
