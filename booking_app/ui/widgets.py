"""Small widget factories shared by the desk's pages, so every list and button behaves alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QAbstractItemView, QDialog, QLabel, QPushButton, QTableView, QWidget

from booking_app.domain.errors import DomainError
from booking_app.ui.plain_text import plain_label
from booking_app.ui.prompts import Prompts

D = TypeVar("D", bound=QDialog)
T = TypeVar("T")

TITLE_SCALE = 1.3  # a page's heading against the body text


def list_table(name: str) -> QTableView:
    """A read-only table that selects whole rows, one at a time (the desk's lists)."""
    t = QTableView()
    t.setObjectName(name)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().setVisible(False)
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    return t


def action_button(text: str, name: str, slot: Callable[[], object], tip: str = "") -> QPushButton:
    """A page's action button: named for tests, tall enough for a touch screen, calling slot()."""
    b = QPushButton(text)
    b.setObjectName(name)
    b.setMinimumHeight(32)
    if tip:
        b.setToolTip(tip)
    b.clicked.connect(lambda _c=False: slot())
    return b


def named_button(text: str, name: str) -> QPushButton:
    """A plain button with the object name tests and the user guide refer to (connect it yourself)."""
    b = QPushButton(text)
    b.setObjectName(name)
    return b


def page_title(name: str = "title") -> QLabel:
    """A page's heading: bold, TITLE_SCALE times the body size, plain text (it may quote a name as typed)."""
    label = plain_label()
    label.setObjectName(name)
    f = label.font()
    f.setPointSizeF(f.pointSizeF() * TITLE_SCALE)
    f.setBold(True)
    label.setFont(f)
    return label


def selected_row(table: QTableView, proxy, model):
    """The row object under the table's selection, through a sort/filter proxy; None when nothing is selected."""
    sm = table.selectionModel()
    idx = sm.selectedRows() if sm else []
    if not idx:
        return None
    return model.row(proxy.mapToSource(idx[0]).row())


def select_row_by_id(table: QTableView, proxy, model, row_id: int) -> bool:
    """Select the row whose ``id`` is row_id (as it appears after sorting); False when it is not listed."""
    for r in range(model.rowCount()):
        if model.row(r).id == row_id:
            table.selectRow(proxy.mapFromSource(model.index(r, 0)).row())
            return True
    return False


def run_modal(parent: QWidget | None, prompts: Prompts, make: Callable[[], D], answer: Callable[[D, bool], T], *,
              refused: T) -> T:
    """A dialog's entry point in one place: build it with ``make()`` (a refusal while reading what it shows
    is said through ``prompts`` over ``parent`` and gives ``refused``), run it modally, and give
    ``answer(dialog, accepted)``; the dialog is deleted afterwards either way."""
    try:
        dlg = make()
    except DomainError as exc:
        prompts.show_error(parent, exc)
        return refused
    try:
        accepted = dlg.exec() == QDialog.DialogCode.Accepted
        return answer(dlg, accepted)
    finally:
        dlg.deleteLater()
