"""Help → キー操作一覧 (the key sheet): every key the desk has, read from the actions themselves, printable.

The window's and pages' keys are its ``QAction``s (``ui.keyboard`` makes every one of them, with the section
it belongs to), so the sheet cannot list a key that does not exist or miss one a page adds. Keys that live
inside a control (arrows in the calendar grid, Enter in a list) and the rules every dialog follows are not
actions; they are the short fixed list below, kept next to the code that reads them.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import GLOBAL_SECTION, SECTION_PROPERTY, key_text, keyed_actions, shortcut_action
from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import named_button

# Keys read inside a control rather than through an action (section, key, what it does).
IN_CONTROL_KEYS: tuple[tuple[str, str, str], ...] = (
    ("予約カレンダー（日・週）", "← → ↑ ↓", "カーソルを動かす（部屋・日／30分）"),
    ("予約カレンダー（日・週）", "Shift+↑ ↓", "選択を広げる"),
    ("予約カレンダー（日・週）", "Enter / Insert", "選んだ枠で予約を作る／予約の上なら開く"),
    ("予約カレンダー（日・週）", "PageUp / PageDown", "前の日・次の日（週表示は週）"),
    ("予約カレンダー（日・週）", "Home / End", "その列の最初・最後の枠へ"),
    ("予約カレンダー（日・週）", "Esc", "選択をやめる"),
    ("一覧（共通）", "↑ ↓", "行を選ぶ"),
    ("一覧（共通）", "Enter", "選んだ行を開く"),
    ("一覧（共通）", "Tab / Shift+Tab", "一覧から次・前の項目へ"),
    ("入力画面（共通）", "Tab / Shift+Tab", "次・前の項目へ"),
    ("入力画面（共通）", "Alt+下線の文字", "その項目へ移る"),
    ("入力画面（共通）", "Ctrl+S", "保存する"),
    ("入力画面（共通）", "Enter", "太枠のボタン（保存・領収など）を押す（備考欄では改行）"),
    ("入力画面（共通）", "Esc", "閉じる（入力があれば「入力内容を破棄しますか？」と確認）"),
    ("利用票・会員証の読み取り", "スキャナー", "どの画面でも読み取れます（利用票→本日の予約、会員証→団体）"),
)


# How a key is written on the sheet: arrows as arrows, one word for the two Enter keys.
_KEY_WORDS = {"Down": "↓", "Up": "↑", "Left": "←", "Right": "→", "PgUp": "PageUp", "PgDown": "PageDown",
              "Return": "Enter", "Ins": "Insert", "Del": "Delete", "Esc": "Esc"}


def sheet_key(action) -> str:
    """The keys of an action as written on the sheet (``Enter`` once for Return and Enter, ``↓`` for Down)."""
    shown: list[str] = []
    for seq in action.shortcuts():
        parts = [_KEY_WORDS.get(p, p) for p in key_text(seq).split("+")]
        text = "+".join(parts)
        if text not in shown:
            shown.append(text)
    return " / ".join(shown)


def _label(action) -> str:
    """An action's text without its mnemonic: 「終了(&X)」 → 「終了」."""
    text = action.text().replace("…", "")
    return re.sub(r"\(&?\w\)$", "", text).replace("&", "")


def key_rows(window: QWidget, section_order: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(section, key, what it does) for every keyed action under ``window``, one row per key: 全体 first,
    then the sections in ``section_order`` (the pages, as in the list on the left), then any other section
    in the order its actions were made, then the in-control keys."""
    by_section: dict[str, list[tuple[str, str]]] = {GLOBAL_SECTION: []}
    for name in section_order or []:
        by_section.setdefault(name, [])
    seen: set[tuple[str, str]] = set()
    for action in keyed_actions(window):
        section = action.property(SECTION_PROPERTY) or GLOBAL_SECTION
        keys = sheet_key(action)
        if (section, keys) in seen:
            continue
        seen.add((section, keys))
        by_section.setdefault(section, []).append((keys, _label(action)))
    rows = [(section, key, text) for section, items in by_section.items() for key, text in items]
    return rows + [r for r in IN_CONTROL_KEYS if (r[0], r[1]) not in seen]


def write_sheet_pdf(rows: list[tuple[str, str, str]], centre: str = "") -> Path:
    """The sheet as a temporary PDF (the preview deletes it when closed)."""
    # Imported on first use, like the other report writers: reportlab stays out of the start-up.
    from booking_app.reports.key_sheet_pdf import write_key_sheet

    fd, name = tempfile.mkstemp(prefix="key_sheet_", suffix=".pdf")
    os.close(fd)
    write_key_sheet(Path(name), rows, centre=centre)
    return Path(name)


def preview(parent: QWidget, path: Path) -> None:
    """The print preview of the sheet (tests replace it so nothing blocks)."""
    # Imported on first use: the preview pulls in QtPdf, which the start does not need.
    from booking_app.ui.printing.print_preview import PdfPreviewDialog

    PdfPreviewDialog.show_pdf(parent, path, title="キー操作一覧", suggested_name="キー操作一覧.pdf",
                              delete_on_close=True)


class KeySheetDialog(QDialog):
    """キー操作一覧: the table of keys, 印刷… (Ctrl+P) and 閉じる."""

    def __init__(self, parent: QWidget, ctx: AppContext):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("key_sheet")
        self.setWindowTitle("キー操作一覧")
        self.resize(640, 620)
        window = parent.window()
        self.rows = key_rows(window, list(getattr(window, "page_titles", lambda: [])()))
        note = plain_label("ボタンや一覧の操作はキーでもできます。印刷してパソコンの横に置いてください。")
        note.setWordWrap(True)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setObjectName("key_table")
        self.table.setAccessibleName("キー操作の一覧表")
        self.table.setHorizontalHeaderLabels(["区分", "キー", "操作"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        for r, (section, key, text) in enumerate(self.rows):
            for c, value in enumerate((section, key, text)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.print_button = named_button("印刷…", "print_key_sheet")
        self.print_button.clicked.connect(self.print_sheet)
        shortcut_action(self, "キー操作一覧を印刷", QKeySequence.StandardKey.Print, self.print_sheet,
                        section="キー操作一覧", name="print_key_sheet_action")
        self.print_button.setToolTip(f"キー：{key_text(QKeySequence(QKeySequence.StandardKey.Print))}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("閉じる")
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.last_pdf: Path | None = None

    def print_sheet(self) -> None:
        self.last_pdf = write_sheet_pdf(self.rows, centre="しものせき市民活動センター")
        preview(self, self.last_pdf)

    @classmethod
    def start(cls, parent: QWidget, ctx: AppContext) -> KeySheetDialog:
        """Open it beside the window (not blocking: staff may try a key while reading)."""
        dlg = cls(parent, ctx)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg
