"""The audit viewer (操作履歴): filters, the before/after pane, paging, export for managers only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))

from factories import DAY, NOW, at, load_world  # noqa: E402

from booking_app.services import bookings as bsvc  # noqa: E402
from booking_app.ui.admin import audit_page as ap  # noqa: E402
from booking_app.ui.admin.audit_page import AFTER_BG, BEFORE_BG, AuditModel, AuditPage, ChangesModel  # noqa: E402
from booking_app.ui.context import AppContext  # noqa: E402

TODAY = NOW.date()
pytestmark = pytest.mark.now(TODAY)


@pytest.fixture
def world(engine):
    """Two bookings by the desk and a change of one of them by the manager (each with its entries)."""
    w = load_world(engine)
    a = w.book(at(DAY, 10), at(DAY, 12))
    w.book(at(DAY, 13), at(DAY, 15), booker_name="鈴木一郎")
    with w.write() as s:
        bsvc.update_booking(s, w.manager, a.id, bsvc.with_overrides(a.to_input(), attendees=8), now=NOW)
    return w


def _page(qtbot, ctx) -> AuditPage:
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def _column(page: AuditPage, col: int) -> list[str]:
    return [page.proxy.index(r, col).data() for r in range(page.proxy.rowCount())]


def _choose(combo, text: str) -> None:
    i = combo.findText(text)
    assert i >= 0, text
    combo.setCurrentIndex(i)


def test_lists_the_trail_newest_first_and_filters_by_staff(qtbot, ctx, world, qtmodeltester):
    page = _page(qtbot, ctx)
    qtmodeltester.check(page.model)
    assert page.model.headers() == ("日時", "担当者", "操作", "対象", "番号", "内容")
    n = page.proxy.rowCount()
    assert n >= 3 and page.count_label.text() == f"1〜{n}件目／全{n}件"
    assert _column(page, AuditModel.AT)[0] == "2026/11/25 09:00"
    assert "予約0000001を変更" in _column(page, AuditModel.SUMMARY)
    assert set(_column(page, AuditModel.STAFF)) == {world.desk.name, world.manager.name}

    _choose(page.staff_combo, world.manager.name)
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    staff = _column(page, AuditModel.STAFF)
    assert staff and set(staff) == {world.manager.name}
    assert ("変更", "予約", "0000001") in zip(_column(page, AuditModel.ACTION), _column(page, AuditModel.ENTITY),
                                       _column(page, AuditModel.NUMBER), strict=True)

    _choose(page.staff_combo, "すべて")
    _choose(page.entity_combo, "予約")
    _choose(page.action_combo, "登録")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert _column(page, AuditModel.NUMBER) == ["0000002", "0000001"]
    assert page.count_label.text() == "1〜2件目／全2件"


def test_keyword_searches_on_enter_and_the_period_narrows(qtbot, ctx, world):
    page = _page(qtbot, ctx)
    page.text_edit.setFocus()
    qtbot.keyClicks(page.text_edit, "0000002")
    qtbot.keyClick(page.text_edit, Qt.Key.Key_Return)
    summaries = _column(page, AuditModel.SUMMARY)
    assert summaries and all("0000002" in t for t in summaries)
    page.text_edit.clear()
    # A period that ends before the entries: nothing
    page.until_edit.setDate(page.until_edit.date().addDays(-1))
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert page.proxy.rowCount() == 0 and page.count_label.text() == "該当する操作履歴はありません"
    qtbot.mouseClick(page.all_period_radio, Qt.MouseButton.LeftButton)  # 全期間: searches at once
    assert page.proxy.rowCount() >= 3 and not page.since_edit.isEnabled()


def test_the_period_reads_in_both_calendars_and_refuses_a_start_after_the_end(qtbot, ctx, world, prompts):
    page = _page(qtbot, ctx)
    assert page.period.wareki_label.text() == "（令和8年10月25日〜令和8年11月25日）"  # the last 31 days
    shown = prompts.shown("show_error")
    listed = page.count_label.text()
    page.since_edit.setDate(page.until_edit.date().addDays(1))
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert shown == ["期間の開始日が終了日より後になっています。開始日か終了日を直してください。"]
    assert page.count_label.text() == listed and listed.endswith("件")  # the list stays as it was


def test_selecting_an_entry_shows_what_changed(qtbot, ctx, world, qtmodeltester):
    page = _page(qtbot, ctx)
    row = _column(page, AuditModel.SUMMARY).index("予約0000001を変更")
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.proxy.index(row, AuditModel.SUMMARY)).center())
    assert page.selected().action == "update"
    qtmodeltester.check(page.changes_model)
    m = page.changes_model
    assert m.headers() == ("項目", "変更前", "変更後")
    cells = [tuple(m.index(r, c).data() for c in range(3)) for r in range(m.rowCount())]
    assert ("人数", "5", "8") in cells
    assert all(b != a for _f, b, a in cells)  # only what changed
    r = [c[0] for c in cells].index("人数")
    assert m.index(r, ChangesModel.BEFORE).data(Qt.ItemDataRole.BackgroundRole).color() == BEFORE_BG
    assert m.index(r, ChangesModel.AFTER).data(Qt.ItemDataRole.BackgroundRole).color() == AFTER_BG
    assert m.index(r, ChangesModel.FIELD).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "センター長" in page.detail_title.text() and "予約の変更" in page.detail_title.text()

    # a creation: nothing before, every value after
    row = _column(page, AuditModel.SUMMARY).index(next(t for t in _column(page, AuditModel.SUMMARY)
                                                       if t.startswith("予約0000002を登録")))
    page.table.selectRow(row)
    cells = [tuple(m.index(r, c).data() for c in range(3)) for r in range(m.rowCount())]
    assert ("利用者名", "（なし）", "鈴木一郎") in cells and ("開始", "（なし）", "2026/12/02 13:00") in cells


def test_pages_through_many_entries(qtbot, ctx, world, monkeypatch):
    monkeypatch.setattr(ap, "PAGE_SIZE", 2)
    page = _page(qtbot, ctx)
    total = page.total
    assert total >= 5 and page.proxy.rowCount() == 2
    assert not page.prev_button.isEnabled() and page.next_button.isEnabled()
    first = _column(page, AuditModel.SUMMARY)
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.count_label.text() == f"3〜4件目／全{total}件"
    assert _column(page, AuditModel.SUMMARY) != first and page.prev_button.isEnabled()
    while page.next_button.isEnabled():
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.count_label.text().endswith(f"{total}件目／全{total}件")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)  # a new search starts at page 1
    assert _column(page, AuditModel.SUMMARY) == first


def test_export_is_for_managers_only(qtbot, ctx, world, prompts, tmp_path):
    page = _page(qtbot, ctx)
    assert not ctx.actor.is_manager and not page.export_button.isEnabled()
    assert "管理者のみ" in page.export_button.toolTip()

    target = tmp_path / "操作履歴.xlsx"
    prompts.save_path = target
    ctx.set_actor(world.manager)
    assert page.export_button.isEnabled()
    _choose(page.entity_combo, "予約")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    shown = page.proxy.rowCount()
    with qtbot.wait_signal(ctx.changed):
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert prompts.of("ask_save_path")[-1].text == "操作履歴_20261125.xlsx"
    assert prompts.infos == []  # said on the page, no notice to click away
    wb = load_workbook(target, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()  # read-only workbooks keep the file open until closed
    assert rows[0][:6] == ("日時", "担当者", "操作", "対象", "番号", "内容") and len(rows) == shown + 1
    assert {r[3] for r in rows[1:]} == {"予約"}
    assert page.message_label.text() == f"{shown}件を書き出しました：操作履歴.xlsx"
    # the export is itself in the trail (全期間, so the period shown does not matter), and the visible
    # page offers it at once
    page.all_period_radio.setChecked(True)
    _choose(page.entity_combo, "操作履歴")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert _column(page, AuditModel.ACTION) == ["書き出し"]
    assert _column(page, AuditModel.STAFF) == [world.manager.name]


def test_export_refused_by_the_service_shows_its_message(qtbot, engine, world, prompts, tmp_path):
    """Even if the button were reached as the desk, the service refuses and the page says why."""
    desk_ctx = AppContext(engine, world.desk)
    page = _page(qtbot, desk_ctx)
    prompts.save_path = tmp_path / "x.csv"
    op = page.export()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)  # written in the background, like other exports
    shown = prompts.error_texts
    assert shown and "管理者のみ" in shown[0] and not (tmp_path / "x.csv").exists()
    assert page.message_label.text() == ""


def test_detail_heading_says_no_word_twice(qtbot, ctx, world):
    """「料金の料金計算」 read oddly: the heading names the operation once, 「料金計算」."""
    from booking_app.services.common import audit

    with world.write() as s:
        audit(s, world.desk, "quote", "charge", None, "予約0000001の料金を更新（追加1件 ¥1,000、取消0件）", now=NOW)
    page = _page(qtbot, ctx)
    row = _column(page, AuditModel.SUMMARY).index("予約0000001の料金を更新（追加1件 ¥1,000、取消0件）")
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.proxy.index(row, AuditModel.SUMMARY)).center())
    head = page.detail_title.text().splitlines()[0]
    assert head.endswith("料金計算") and "料金の料金計算" not in head


def test_the_tamper_check_says_intact_then_names_the_first_broken_link(qtbot, ctx, world, sqlite_url):
    """「改ざんの確認」 (issue 14): the verdict on the page itself, green or red, no dialog to click away."""
    import sqlite3

    from sqlalchemy.engine import make_url

    page = _page(qtbot, ctx)
    assert page.verify_button.isEnabled() and not page.verify_label.isVisible()
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_check is not None, timeout=10_000)
    assert page.last_check.ok and "改ざんされていません" in page.verify_label.text()
    assert page.last_check.last_hash in page.verify_label.text() and page.verify_label.isVisible()
    # The owner of the file drops the guard and rewrites an entry: the check names it.
    con = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET summary = '書き換え' WHERE id = 2")
    finally:
        con.close()
    page.last_check = None
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_check is not None, timeout=10_000)
    assert not page.last_check.ok
    assert "操作履歴の連鎖が切れています：番号 2（" in page.verify_label.text()
    assert page.verify_button.isEnabled()
