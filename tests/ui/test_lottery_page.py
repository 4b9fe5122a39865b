"""The lottery page and the entry dialog (抽選, issue 18) at the desk, by keys where natural.

The month of use is March 2027: entries 2026-12-01〜10, the draw from 2026-12-15 (the profile's defaults).
Each test pins its day.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from factories import at, load_world  # noqa: E402

from booking_app.domain.groups import DECLARATIONS, GroupInput  # noqa: E402
from booking_app.services import groups as group_svc  # noqa: E402
from booking_app.services import lottery as lot  # noqa: E402
from booking_app.store.engine import read_session, write_session  # noqa: E402
from booking_app.store.models import LotteryEntry  # noqa: E402
from booking_app.ui.context import AppContext  # noqa: E402
from booking_app.ui.lottery.entry_dialog import EntryDialog  # noqa: E402
from booking_app.ui.lottery.lottery_page import LotteryPage  # noqa: E402

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)
TUE, WED = date(2027, 3, 2), date(2027, 3, 3)
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def world(engine):
    w = load_world(engine)
    ids = []
    with write_session(engine) as s:
        for name, kana in (("福々子ども食堂", "ふくふくこどもしょくどう"), ("下関朗読の会", "しものせきろうどくのかい")):
            ids.append(group_svc.register_group(s, w.desk, GroupInput(
                name=name, kana=kana, activity_fields=["まちづくり"], representative="山田 花子",
                phone="083-111-2222", declarations={k: True for k in DECLARATIONS}),
                now=datetime(2026, 4, 10, 10)).id)
    w.groups = {"fuku": ids[0], "rodoku": ids[1]}  # type: ignore[attr-defined]
    return w


def shown(qtbot, w):
    qtbot.addWidget(w)
    w.resize(1366, 768) if not isinstance(w, EntryDialog) else None
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    return w


def entries(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(LotteryEntry))


def take(world, group: int, *days: date, room: str = "大会議室") -> lot.EntryView:
    data = lot.EntryInput(group_id=group, month=MONTH, channel="counter",
                          wishes=[[(world.rooms[room], at(d, 18), at(d, 22))] for d in days])
    with write_session(world.engine) as s:
        return lot.take_entry(s, world.desk, data, now=TAKE)


def page_for(qtbot, engine, actor) -> LotteryPage:
    page = shown(qtbot, LotteryPage(AppContext(engine, actor)))
    qtbot.waitUntil(lambda: page.last_load is not None and not page.loading)
    return page


@pytest.mark.now("2026-12-05 10:00")
def test_a_desk_clerk_takes_an_entry_by_keys(qtbot, ctx, engine, world, prompts):
    page = page_for(qtbot, engine, world.desk)
    assert page.month() == MONTH and "申込 12月1日〜10日・抽選 12月15日" in page.cycle_label.text()
    assert page.take_button.isEnabled() and not page.draw_button.isEnabled()
    dlg = shown(qtbot, EntryDialog(ctx, MONTH))
    assert kw.unnamed(dlg) == []
    assert kw.focused() is dlg.group_picker.edit
    kw.type_text("ふくふく")
    kw.press(Qt.Key.Key_Return)  # picks the first group found, and only that
    assert dlg.group_picker.group_id == world.groups["fuku"] and dlg.isVisible()
    kw.press(Qt.Key.Key_1, ALT)  # 第1希望の部屋
    assert kw.focused() is dlg.wish_rows[0].room_combo
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is dlg.wish_rows[0].date_edit
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is dlg.wish_rows[0].period_combo
    kw.press(Qt.Key.Key_End)  # the evening
    kw.press(Qt.Key.Key_3, ALT)
    assert kw.focused() is dlg.wish_rows[2].room_combo
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and dlg.result() == EntryDialog.DialogCode.Accepted
    assert dlg.saved is not None and dlg.saved.entry_no == 1
    slot = dlg.saved.wishes[0].slots[0]
    assert slot.room_name == "大会議室" and slot.end.hour >= 21
    page.load()
    qtbot.waitUntil(lambda: not page.loading)
    assert page.model.rowCount() == 1
    assert page.model.cell(page.model.row(0), 0) == "1"
    assert page.model.cell(page.model.row(0), 1) == "福々子ども食堂"
    assert "申込 1件" in page.status_label.text()


@pytest.mark.now("2026-12-05 10:00")
def test_a_two_day_set_and_a_second_wish(qtbot, ctx, engine, world, prompts):
    dlg = shown(qtbot, EntryDialog(ctx, MONTH))
    dlg.group_picker.set_group(world.groups["rodoku"])
    first, second = dlg.wish_rows[0], dlg.wish_rows[1]
    first.date_edit.setDate(TUE)
    first.period_combo.setCurrentIndex(first.period_combo.count() - 1)
    first.pair_check.setChecked(True)
    assert not second.date_edit.isEnabled()  # （なし）
    second.room_combo.setCurrentIndex(2)  # 多目的交流ホール
    second.date_edit.setDate(date(2027, 3, 9))
    dlg.save_button.click()
    assert prompts.errors == [] and dlg.saved is not None
    w1, w2 = dlg.saved.wishes
    assert [s.start.date() for s in w1.slots] == [TUE, WED]
    assert w2.slots[0].room_name == "多目的交流ホール"


@pytest.mark.now("2026-12-12 10:00")
def test_an_entry_outside_the_window_is_refused_and_kept(qtbot, ctx, engine, world, prompts):
    page = page_for(qtbot, engine, world.desk)
    page.select_month(MONTH)
    qtbot.waitUntil(lambda: not page.loading)
    assert not page.take_button.isEnabled() and "12月1日〜12月10日" in page.take_button.toolTip()
    dlg = shown(qtbot, EntryDialog(ctx, MONTH))
    dlg.group_picker.set_group(world.groups["fuku"])
    dlg.note_edit.setText("電話で受付")
    kw.press(Qt.Key.Key_S, CTRL)
    assert dlg.isVisible() and dlg.saved is None
    assert any("抽選の申込は2026年12月1日から2026年12月10日まで" in t for t in prompts.error_texts)
    assert dlg.note_edit.text() == "電話で受付" and entries(engine) == 0


@pytest.mark.now("2026-12-05 10:00")
def test_no_group_is_a_warning_and_esc_asks_on_typed_input(qtbot, ctx, engine, world, prompts):
    dlg = shown(qtbot, EntryDialog(ctx, MONTH))
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.texts("warn") and dlg.isVisible()
    kw.press(Qt.Key.Key_N, ALT)
    kw.type_text("abc")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)
    assert any("入力内容を破棄しますか" in t for t in prompts.texts("confirm")) and dlg.isVisible()
    prompts.answer_confirm(True)
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and entries(engine) == 0


@pytest.mark.now("2026-12-05 10:00")
def test_the_dialog_has_no_tab_trap(qtbot, ctx, world):
    dlg = shown(qtbot, EntryDialog(ctx, MONTH))
    chain = kw.tab_chain(limit=200)
    kw.assert_no_trap(chain, must_reach=[dlg.group_picker.edit, dlg.channel_combo, dlg.wish_rows[0].room_combo,
                                         dlg.wish_rows[0].period_combo, dlg.wish_rows[2].room_combo,
                                         dlg.note_edit, dlg.save_button])


@pytest.mark.now("2026-12-05 10:00")
def test_withdraw_with_a_reason(qtbot, engine, world, prompts):
    v = take(world, world.groups["fuku"], TUE)
    page = page_for(qtbot, engine, world.desk)
    assert page.select_id(v.id) and page.withdraw_button.isEnabled()
    prompts.answer_text("団体の都合")
    page.table.setFocus()
    kw.press(Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: not page.loading and page.model.row(0).status == "withdrawn")
    assert page.model.row(0).withdraw_reason == "団体の都合"
    assert "取下げ" in page.model.cell(page.model.row(0), 6)
    assert "申込 0件（ほかに取下げ 1件）" in page.status_label.text()


@pytest.mark.now("2026-12-05 10:00")
def test_the_draw_is_off_before_the_draw_day(qtbot, engine, world):
    page = page_for(qtbot, engine, world.manager)
    assert not page.draw_button.isEnabled()
    assert "2026年12月15日から" in page.draw_button.toolTip()
    assert not page.replay_button.isEnabled()


@pytest.mark.now("2026-12-15 10:00")
def test_the_draw_is_off_for_the_desk(qtbot, engine, world):
    page = page_for(qtbot, engine, world.desk)
    page.select_month(MONTH)
    qtbot.waitUntil(lambda: not page.loading)
    assert not page.draw_button.isEnabled() and "管理者のみ" in page.draw_button.toolTip()


@pytest.mark.now("2026-12-15 10:00")
def test_a_managers_draw_fills_the_list_and_replays_the_same(qtbot, engine, world, prompts):
    a = take(world, world.groups["fuku"], TUE)
    b = take(world, world.groups["rodoku"], TUE)  # the same evening: one wins, one loses
    page = page_for(qtbot, engine, world.manager)
    page.select_month(MONTH)
    qtbot.waitUntil(lambda: not page.loading)
    assert page.model.rowCount() == 2 and page.draw_button.isEnabled()
    prompts.answer_confirm(True)
    page.table.setFocus()
    kw.press(Qt.Key.Key_F9)
    confirm = prompts.texts("confirm")[-1]
    assert "2027年3月分" in confirm and "申込 2件" in confirm and "シードは実施時に決まり、結果通知に印刷されます" in confirm
    qtbot.waitUntil(lambda: not page.loading and page.draw is not None
                    and {r.status for r in page.model.rows()} == {"won", "lost"})
    notice = prompts.infos[-1].text
    assert "当選 1件、落選 1件" in notice and page.draw.seed in notice
    won = next(r for r in page.model.rows() if r.status == "won")
    assert won.id in (a.id, b.id)
    number = page.model.cell(won, 7)
    assert number and number == won.won_slots[0].booking_number
    assert page.model.cell(won, 6).startswith("当選")
    assert "当選 1　落選 1" in page.status_label.text()
    assert not page.draw_button.isEnabled() and "実施済み" in page.draw_button.toolTip()
    assert not page.withdraw_button.isEnabled() and not page.take_button.isEnabled()
    page.replay_button.click()
    assert prompts.infos[-1].text == f"同じ結果になりました（シード {page.draw.seed}）。"


@pytest.mark.now("2026-12-15 10:00")
def test_declining_the_confirmation_draws_nothing(qtbot, engine, world, prompts):
    take(world, world.groups["fuku"], TUE)
    page = page_for(qtbot, engine, world.manager)
    prompts.answer_confirm(False)
    page.draw_button.click()
    with read_session(engine) as s:
        assert lot.draw_view(s, MONTH) is None


@pytest.mark.now("2026-12-05 10:00")
def test_ctrl_0_opens_the_lottery_page(window):
    kw.press("0", CTRL)
    assert window.current_page_key() == "lottery"
    assert window.pages["lottery"].isAncestorOf(kw.focused())


@pytest.fixture
def previews(monkeypatch):
    """The print previews opened (path, title), the files kept for the test to read."""
    from booking_app.ui.money import payment_dialog as pd

    shown: list[tuple[Path, str]] = []
    monkeypatch.setattr(pd, "preview_pdf", lambda _parent, path, *, title, suggested_name: shown.append((path, title)))
    yield shown
    for path, _title in shown:
        path.unlink(missing_ok=True)


def _is_pdf(path: Path) -> bool:
    return path.exists() and path.read_bytes()[:5] == b"%PDF-" and path.stat().st_size > 1000


@pytest.mark.now("2026-12-05 10:00")
def test_the_receipt_is_offered_after_an_entry_and_the_list_prints(qtbot, engine, world, prompts, previews):
    v = take(world, world.groups["fuku"], TUE, WED)
    page = page_for(qtbot, engine, world.desk)
    assert not page.results_button.isEnabled() and not page.public_button.isEnabled()
    prompts.answer_confirm(True)
    path = page.offer_receipt(v)
    assert "受付番号1で受け付けました" in prompts.texts("confirm")[-1] and "受付控を印刷しますか" in prompts.texts("confirm")[-1]
    assert path is not None and _is_pdf(path) and previews[-1][1] == "受付控　受付番号1　福々子ども食堂"
    prompts.answer_confirm(False)
    assert page.offer_receipt(v) is None and len(previews) == 1
    assert page.select_id(v.id) and page.receipt_button.isEnabled()
    page.receipt_button.click()
    page.list_button.click()
    assert [t for _p, t in previews[1:]] == ["受付控　受付番号1　福々子ども食堂", "抽選の申込一覧　2027年3月分"]
    assert all(_is_pdf(p) for p, _t in previews) and prompts.errors == []


@pytest.mark.now("2026-12-15 10:00")
def test_the_result_papers_print_after_the_draw(qtbot, engine, world, prompts, previews):
    take(world, world.groups["fuku"], TUE)
    take(world, world.groups["rodoku"], TUE)
    with write_session(engine) as s:
        lot.run_draw(s, world.manager, MONTH, now=datetime(2026, 12, 15, 10), seed="seed-1")
    page = page_for(qtbot, engine, world.desk)
    assert page.results_button.isEnabled() and page.public_button.isEnabled()
    page.results_button.click()
    page.public_button.click()
    assert [t for _p, t in previews] == ["抽選結果のお知らせ　2027年3月分", "抽選結果（掲示用）　2027年3月分"]
    assert all(_is_pdf(p) for p, _t in previews) and prompts.errors == []


@pytest.mark.now("2026-12-15 10:00")
def test_the_month_says_whether_its_draw_was_run(qtbot, engine, world):
    """Past the draw day a month reads 抽選待ち until the draw is run, then 抽選済: an overdue draw never
    looks done."""
    take(world, world.groups["fuku"], TUE)
    page = page_for(qtbot, engine, world.manager)
    label = lambda: page.month_combo.itemText(page.month_index(MONTH))  # noqa: E731
    assert label() == "2027年3月分（抽選待ち）"
    with write_session(engine) as s:
        lot.run_draw(s, world.manager, MONTH, now=datetime(2026, 12, 15, 10), seed="label")
    page.fill_months()
    assert label() == "2027年3月分（抽選済）"


@pytest.mark.now("2026-12-06 10:00")
def test_a_reprinted_receipt_names_the_clerk_who_took_the_entry(qtbot, engine, world, prompts, previews):
    """The desk took the entry; the manager reprints its 受付控 the next day: 受付者 is still the desk."""
    import shutil
    import subprocess

    v = take(world, world.groups["fuku"], TUE)
    page = page_for(qtbot, engine, world.manager)
    assert page.select_id(v.id)
    page.receipt_button.click()
    assert len(previews) == 1 and _is_pdf(previews[0][0]) and prompts.errors == []
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(previews[0][0]), "-"], check=True,
                          capture_output=True, text=True).stdout.replace(" ", "")
    assert world.desk.name.replace(" ", "") in text and world.manager.name.replace(" ", "") not in text


@pytest.mark.now("2026-12-05 10:00")
def test_a_wish_cut_in_the_list_is_whole_in_its_tooltip(qtbot, engine, world):
    """A two-day set in the hall is cut with 「…」 past WISH_MAX_W; its tooltip lists every slot in full."""
    data = lot.EntryInput(group_id=world.groups["fuku"], month=MONTH, channel="counter", note="鍵は事務所で", wishes=[
        [(world.rooms["多目的交流ホール"], at(TUE, 18), at(TUE, 22)),
         (world.rooms["多目的交流ホール"], at(WED, 18), at(WED, 22))],
        [(world.rooms["大会議室"], at(TUE, 18), at(TUE, 22))]])
    with write_session(world.engine) as s:
        lot.take_entry(s, world.desk, data, now=TAKE)
    page = page_for(qtbot, engine, world.desk)
    model = page.table.model()
    tip = model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines() == ["第1希望（2区分の組・全部か無し）", "多目的交流ホール 3/2(火) 18:00〜22:00",
                                "多目的交流ホール 3/3(水) 18:00〜22:00", "", "鍵は事務所で"]
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole).splitlines()[:2] == [
        "第2希望", "大会議室 3/2(火) 18:00〜22:00"]
    assert model.data(model.index(0, 5), Qt.ItemDataRole.ToolTipRole) == "鍵は事務所で"  # no 第3希望
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == "鍵は事務所で"
