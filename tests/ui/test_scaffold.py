"""The shared page scaffold: ctx.prompts and its recorder, ctx.today, ListPage, export_file."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QLabel, QMessageBox

from booking_app.domain.errors import DomainError, ValidationError
from booking_app.ui import prompts as prompts_module
from booking_app.ui.context import AppContext
from booking_app.ui.export_op import export_file
from booking_app.ui.list_page import ListPage
from booking_app.ui.prompts import Prompts, RecordingPrompts, with_suffix
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import run_modal

NOW = "2026-11-25 10:00"
pytestmark = pytest.mark.now(NOW)


# ---------------------------------------------------------------- prompts and today

def test_every_context_asks_the_recorder(ctx, prompts):
    assert ctx.prompts is prompts
    assert AppContext(ctx.engine, ctx.actor).prompts is prompts
    prompts.answer_confirm(False)
    assert ctx.prompts.confirm(None, "確認", "消しますか？") is False
    assert ctx.prompts.confirm(None, "確認", "もう一度") is True  # the default once the queue is empty
    ctx.prompts.info(None, "完了", "保存しました。")
    ctx.prompts.show_error(None, ValidationError("氏名を入力してください。", field="氏名"))
    assert [c.kind for c in prompts.calls] == ["confirm", "confirm", "info", "show_error"]
    assert prompts.texts("info") == ["保存しました。"]
    assert prompts.error_texts == ["氏名を入力してください。"]
    assert prompts.ask_save_path(None, "保存", "a.xlsx") is None  # cancelled unless the test says where


def test_a_context_may_carry_its_own_prompts(ctx, prompts):
    own = RecordingPrompts()
    ctx.prompts = own
    ctx.prompts.info(None, "t", "x")
    assert own.infos and not prompts.infos


def test_the_real_prompts_are_put_back_after_a_test():
    assert isinstance(prompts_module.shared(), RecordingPrompts)  # this test too runs under the fixture


def test_ctx_today_is_the_clocks_pinned_day(ctx):
    assert ctx.today == date(2026, 11, 25)


HTML = '<b style="color:red">偽の警告</b>'


def test_the_real_prompts_show_plain_text_and_default_to_no(qtbot, monkeypatch):
    """The real dialogs, built and inspected without a click: every text is plain (a name someone typed
    stays text), 「いいえ」 is the default, and what comes back is what staff chose or typed."""
    real = Prompts()
    boxes: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box) or QMessageBox.StandardButton.No)
    assert real.confirm(None, "無断キャンセル", HTML, yes="無断キャンセルにする", no="やめる") is False
    assert real.ask_choice(None, "取消の範囲", HTML, [("one", "この日のみ"), ("all", "すべて")]) is None
    confirm, choice = boxes
    for box in boxes:
        assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == HTML
    assert confirm.defaultButton() is confirm.button(QMessageBox.StandardButton.No)
    assert [confirm.button(b).text() for b in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No)] \
        == ["無断キャンセルにする", "やめる"]
    assert [b.text() for b in choice.buttons()] == ["この日のみ", "すべて", "戻る"]

    asked: list[QInputDialog] = []

    def type_in(dlg: QInputDialog) -> QInputDialog.DialogCode:
        asked.append(dlg)
        if dlg.inputMode() == QInputDialog.InputMode.TextInput:
            dlg.setTextValue("  雨天中止\x00 ")
        return QInputDialog.DialogCode.Accepted

    monkeypatch.setattr(QInputDialog, "exec", type_in)
    assert real.ask_text(None, "予約の取消", "取消の理由") == "雨天中止"  # stripped, no control character
    assert real.ask_number(None, "利用済（人数入力）", f"{HTML}\n実際の利用人数", value=12) == 12
    labels = [w for w in asked[1].findChildren(QLabel) if HTML in w.text()]
    assert labels and all(w.textFormat() == Qt.TextFormat.PlainText for w in labels)


def test_the_recorder_answers_choices_numbers_and_text_as_the_real_ones_return_them(prompts):
    prompts.answer_choice("skip").answer_number(9).answer_text(" 団体の都合\x00")
    assert prompts.ask_choice(None, "t", "x", [("skip", "除外")]) == "skip"
    assert prompts.ask_choice(None, "t", "x", [("skip", "除外")]) is None  # then 戻る
    assert prompts.ask_number(None, "t", "人数", value=3) == 9
    assert prompts.ask_number(None, "t", "人数") is None
    assert prompts.ask_text(None, "t", "理由") == "団体の都合"
    assert [c.kind for c in prompts.calls] == ["ask_choice"] * 2 + ["ask_number"] * 2 + ["ask_text"]


def test_attempt_shows_a_refusal_and_says_whether_it_went_through(prompts):
    done: list[str] = []
    assert prompts.attempt(None, lambda: done.append("書いた")) is True and done == ["書いた"]

    def refused() -> None:
        raise ValidationError("取消の理由を入力してください。", field="reason")

    assert prompts.attempt(None, refused) is False
    assert prompts.error_texts == ["取消の理由を入力してください。"]
    with pytest.raises(ZeroDivisionError):  # a bug is not a refusal: it is not swallowed
        prompts.attempt(None, lambda: 1 / 0)


class _Answered(QDialog):
    """A dialog that is answered at once (no modal waits for a click)."""

    def __init__(self, code: QDialog.DialogCode):
        super().__init__()
        self.code = code

    def exec(self) -> int:  # type: ignore[override]
        return self.code


def test_run_modal_answers_from_the_dialog_and_says_a_refusal(qtbot, prompts):
    made: list[_Answered] = []

    def make(code):
        made.append(_Answered(code))
        return made[-1]

    assert run_modal(None, prompts, lambda: make(QDialog.DialogCode.Accepted), lambda d, ok: ("保存", ok),
                     refused=None) == ("保存", True)
    assert run_modal(None, prompts, lambda: make(QDialog.DialogCode.Rejected), lambda d, ok: ok,
                     refused=None) is False

    def gone():
        raise ValidationError("この予約は削除されています。", field="予約")

    assert run_modal(None, prompts, gone, lambda d, ok: ok, refused="なし") == "なし"
    assert prompts.error_texts == ["この予約は削除されています。"]


def test_a_typed_name_gets_the_chosen_suffix():
    assert with_suffix("/tmp/名簿", "Excel (*.xlsx)") == Path("/tmp/名簿.xlsx")
    assert with_suffix("/tmp/名簿", "CSV (*.csv)") == Path("/tmp/名簿.csv")
    assert with_suffix("/tmp/名簿.csv", "Excel (*.xlsx)", "Excel (*.xlsx);;CSV (*.csv)") == Path("/tmp/名簿.csv")
    assert with_suffix("/tmp/名簿.2026", "Excel (*.xlsx)", "Excel (*.xlsx);;CSV (*.csv)") == Path("/tmp/名簿.2026.xlsx")
    assert with_suffix("/tmp/名簿.XLSX", "Excel (*.xlsx)") == Path("/tmp/名簿.XLSX")


# ---------------------------------------------------------------- ListPage

class _Model(RowsTableModel):
    HEADERS = ("番号", "名前")

    def cell(self, item, col):
        return (item.id, item.name)[col]


ROWS = [SimpleNamespace(id=i, name=n, closed=(i == 2)) for i, n in ((1, "あおば会"), (2, "さくら会"), (3, "<b>偽</b>"))]


class _Page(ListPage):
    REFRESH_ON = frozenset({"group"})

    def __init__(self, ctx):
        super().__init__(ctx, _Model(), name="demo_page")
        self.text = ""
        self.fetched_on: list[str] = []
        self.open_button = self.add_action("開く", "open_button", lambda: None)
        self.close_button = self.add_action("閉じる", "close_button", lambda: None,
                                            enabled=lambda r: r is not None and not r.closed)

    def current_filter(self):
        return self.text

    def fetch(self, session, text):
        self.fetched_on.append(threading.current_thread().name)
        return [r for r in ROWS if text in r.name]

    def loaded(self, rows, text):
        self.status_label.setText(f"{len(rows)}件")


def test_list_page_loads_off_the_gui_thread_and_enables_actions_by_selection(qtbot, ctx):
    page = _Page(ctx)
    qtbot.addWidget(page)
    assert not page.open_button.isEnabled() and not page.close_button.isEnabled()
    page.load()
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert page.model.rowCount() == 3 and page.status_label.text() == "3件"
    assert page.fetched_on and page.fetched_on[0] != threading.main_thread().name
    page.table.selectRow(1)  # さくら会, closed
    assert page.open_button.isEnabled() and not page.close_button.isEnabled()
    page.table.selectRow(0)
    assert page.close_button.isEnabled()
    page.text = "会"
    page.load()
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert page.model.rowCount() == 2 and page.selected().id == 1  # the selection is kept


def test_a_newer_load_wins_over_an_older_one_still_running(qtbot, ctx):
    page = _Page(ctx)
    qtbot.addWidget(page)
    page.load("さくら")
    last = page.load("あおば")
    qtbot.waitUntil(lambda: last.done, timeout=10_000)
    assert [page.model.row(i).name for i in range(page.model.rowCount())] == ["あおば会"]


def test_list_page_reads_on_first_show_and_on_its_changes(qtbot, ctx):
    page = _Page(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10_000)
    n = len(page.fetched_on)
    ctx.changed.emit({"booking"})  # not this page's
    assert not page.loading and len(page.fetched_on) == n
    ctx.changed.emit({"group"})
    qtbot.waitUntil(lambda: len(page.fetched_on) == n + 1 and not page.loading, timeout=10_000)


def test_tab_leaves_the_table(qtbot, ctx):
    page = _Page(ctx)
    qtbot.addWidget(page)
    assert page.table.tabKeyNavigation() is False


def test_a_failed_load_is_shown_through_prompts(qtbot, ctx, prompts):
    class Broken(_Page):
        def fetch(self, session, text):
            raise DomainError("一覧を読めませんでした。もう一度お試しください。")

    page = Broken(ctx)
    qtbot.addWidget(page)
    page.load()
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert prompts.error_texts == ["一覧を読めませんでした。もう一度お試しください。"]


# ---------------------------------------------------------------- export_file

def test_export_writes_in_the_background_and_says_where(qtbot, ctx, prompts, tmp_path):
    prompts.save_path = tmp_path / "名簿.xlsx"
    threads = []

    def write(path: Path) -> int:
        threads.append(threading.current_thread().name)
        path.write_text("x", encoding="utf-8")
        return 3

    op = export_file(None, ctx, title="名簿を書き出す", suggested="名簿.xlsx", write=write,
                     done=lambda n, p: f"{n}行を書き出しました。\n{p}")
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert op.path == tmp_path / "名簿.xlsx" and op.path.exists()
    assert threads[0] != threading.main_thread().name
    assert prompts.texts("info") == [f"3行を書き出しました。\n{tmp_path / '名簿.xlsx'}"]


def test_export_cancelled_writes_nothing(ctx, prompts):
    assert export_file(None, ctx, title="t", suggested="a.xlsx", write=lambda p: 1 / 0, done=str) is None
    assert [c.kind for c in prompts.calls] == ["ask_save_path"]


def test_export_to_a_locked_file_says_what_to_do(qtbot, ctx, prompts, tmp_path):
    prompts.save_path = tmp_path / "a.xlsx"

    def write(path: Path) -> None:
        raise PermissionError(13, "Permission denied")

    op = export_file(None, ctx, title="t", suggested="a.xlsx", write=write, done=lambda r, p: "")
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert len(prompts.errors) == 1 and "別の名前で保存してください" in prompts.error_texts[0]


def test_shown_texts_follow_the_calls(ctx, prompts):
    shown = prompts.shown("show_error", "info")
    assert shown == [] and not shown
    ctx.prompts.info(None, "t", "保存しました。")
    ctx.prompts.confirm(None, "t", "よろしいですか？")
    ctx.prompts.show_error(None, DomainError("権限がありません。管理者に依頼してください。"))
    assert shown == ["保存しました。", "権限がありません。管理者に依頼してください。"] and "管理者" in shown[-1]


def test_load_can_select_a_row_just_made(qtbot, ctx):
    page = _Page(ctx)
    qtbot.addWidget(page)
    op = page.load(select=3)
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert page.selected().id == 3 and page.close_button.isEnabled()


def test_an_op_without_a_failure_handler_shows_its_error_through_the_shared_prompts(qtbot, prompts):
    from booking_app.ui.workers import Op

    def work():
        raise DomainError("ファイルが見つかりません。選び直してください。")

    op = Op(None, work).run_in_background()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert prompts.error_texts == ["ファイルが見つかりません。選び直してください。"]


def test_a_page_closed_while_its_list_or_file_is_written_is_left_alone(qtbot, ctx, prompts, tmp_path):
    import shiboken6

    page = _Page(ctx)
    op = page.load()
    shiboken6.delete(page)  # staff closed the window while the list was read
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert prompts.calls == []

    owner = _Page(ctx)
    prompts.save_path = tmp_path / "名簿.xlsx"
    remembered = []
    export = export_file(owner, ctx, title="名簿を書き出す", suggested="名簿.xlsx",
                         write=lambda path: path.write_text("x", encoding="utf-8"),
                         done=lambda _n, path: f"書き出しました。\n{path}", on_done=lambda _n, p: remembered.append(p))
    shiboken6.delete(owner)
    qtbot.waitUntil(lambda: export.done, timeout=10_000)
    assert remembered == [] and prompts.texts("info") == [f"書き出しました。\n{tmp_path / '名簿.xlsx'}"]
