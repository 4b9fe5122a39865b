"""The list page scaffold (一覧画面の骨組み): a filter bar, a table, a status line and action buttons.

Every list page is the same machine: read plain rows for a filter, show them, keep the selected row
when it is still listed, and offer only the actions that make sense for the selection. A page says
what differs and nothing else::

    class ReceiptsPage(ListPage):
        REFRESH_ON = frozenset({"receipt"})

        def __init__(self, ctx, parent=None):
            super().__init__(ctx, ReceiptsModel(), name="receipts_page", table_name="receipts_table", parent=parent)
            self.filter_bar.addWidget(self.search_edit)
            self.void_button = self.add_action("取消・返金…", "void_button", self.void_selected,
                                               enabled=lambda r: r is not None and not r.voided)

        def current_filter(self):
            return self.search_edit.text().strip()

        def fetch(self, session, text):          # on the worker thread, its own session
            return pay_svc.list_receipts(session, text=text)

``load(filter)`` reads in the background (``ui.workers``); a newer load supersedes an older one still
running, whose rows are dropped. Tests wait with ``qtbot.waitUntil(lambda: not page.loading)``.
Tab moves on from the table to the buttons (``setTabKeyNavigation(False)``): the table is one stop, and
focus passing through it selects nothing (``keyboard.keep_selection_on_focus``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QSortFilterProxyModel
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from booking_app.services import unit_of_work
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import keep_selection_on_focus
from booking_app.ui.plain_text import plain_label
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import action_button, list_table, select_row_by_id, selected_row
from booking_app.ui.workers import Op

_CURRENT: Any = object()  # load() without a filter: the filter bar's current one


def has_row(row: Any) -> bool:
    """The default rule for an action button: something is selected."""
    return row is not None


def always(_row: Any) -> bool:
    return True


class ListPage(QWidget):
    """A filter bar over a table over a status line over a row of action buttons."""

    REFRESH_ON: frozenset[str] = frozenset()  # ctx.changed names that make the list read again
    LOAD_ON_SHOW = True  # read when first shown (the main window builds every page at start)

    def __init__(self, ctx: AppContext, model: RowsTableModel, *, name: str, table_name: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.ctx = ctx
        self.model = model
        model.setParent(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.table = list_table(table_name or f"{name}_table")
        self.table.setModel(self.proxy)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
        keep_selection_on_focus(self.table)  # Tab in selects nothing; the first ↓ the first row
        self.filter_bar = QHBoxLayout()
        self.status_label = plain_label()
        self.status_label.setObjectName("status_label")
        self.status_bar = QHBoxLayout()
        self.status_bar.addWidget(self.status_label, 1)
        self.button_bar = QHBoxLayout()
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(self.filter_bar)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(self.status_bar)
        self.layout_.addLayout(self.button_bar)

        self._actions: list[tuple[QPushButton, Callable[[Any], bool]]] = []
        self._generation = 0
        self._loaded_once = False
        self._dirty = False
        self.last_load: Op | None = None
        self.last_filter: Any = None
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        ctx.changed.connect(self._on_changed)
        ctx.actor_changed.connect(lambda _a: self.update_actions())

    # ---------------------------------------------------------------- what a page says

    def current_filter(self) -> Any:
        """The filter bar's choice, passed to :meth:`fetch` (plain values only: it crosses threads)."""
        return None

    def fetch(self, session: Session, filter: Any) -> Any:
        """Read the rows for ``filter`` (worker thread, its own session). Rows, or anything :meth:`rows_of` takes."""
        raise NotImplementedError

    def rows_of(self, result: Any) -> Sequence[Any]:
        """The rows out of what :meth:`fetch` returned (a page returning rows and totals picks the rows)."""
        return result

    def loaded(self, result: Any, filter: Any) -> None:
        """After the rows are shown: titles, counts, the empty-list message (GUI thread)."""

    def add_action(self, text: str, name: str, slot: Callable[[], object], *,
                   enabled: Callable[[Any], bool] = has_row, tip: str = "", stretch_before: bool = False) -> QPushButton:
        """A button in the action row, enabled when ``enabled(selected row or None)`` says so."""
        if stretch_before:
            self.button_bar.addStretch(1)
        b = action_button(text, name, slot, tip)
        self.button_bar.addWidget(b)
        self._actions.append((b, enabled))
        b.setEnabled(enabled(self.selected()))
        return b

    # ---------------------------------------------------------------- what the scaffold does

    def load(self, filter: Any = _CURRENT, *, select: int | None = None) -> Op:
        """Read the list for ``filter`` (default: the filter bar's) in the background and show it; ``select``:
        the id of the row to select once shown (a row just made), else the selected row stays selected."""
        f = self.current_filter() if filter is _CURRENT else filter
        self._generation += 1
        generation = self._generation
        self._loaded_once = True
        self._dirty = False
        engine = self.ctx.engine

        def current() -> bool:
            # a newer load is on its way, or the page was closed while this one read
            return shiboken6.isValid(self) and generation == self._generation

        def done(result: Any) -> None:
            if current():
                self.show_result(result, f, select=select)

        def failed(exc: BaseException) -> None:
            if current():
                self.ctx.prompts.show_error(self, exc)

        fetch = self.fetch
        self.last_load = Op(self, lambda: unit_of_work.read(engine, lambda s: fetch(s, f))) \
            .success(done).failure(failed).run_in_background()
        return self.last_load

    def refresh(self) -> Op:
        """Read again with the filter bar's choice (on a change, on showing; the main window calls it too)."""
        return self.load()

    def show_result(self, result: Any, filter: Any, *, select: int | None = None) -> None:
        """Put fetched rows on screen, keeping the selected row (or selecting ``select``) when it is listed."""
        keep = select if select is not None else getattr(self.selected(), "id", None)
        self.last_filter = filter
        self.model.set_rows(self.rows_of(result))
        if keep is not None:
            self.select_id(keep)
        self.loaded(result, filter)
        self.update_actions()

    @property
    def loading(self) -> bool:
        return self.last_load is not None and not self.last_load.done

    def selected(self) -> Any | None:
        return selected_row(self.table, self.proxy, self.model)

    def select_id(self, row_id: int) -> bool:
        return select_row_by_id(self.table, self.proxy, self.model, row_id)

    def update_actions(self) -> None:
        row = self.selected()
        for button, enabled in self._actions:
            button.setEnabled(bool(enabled(row)))

    def _on_changed(self, what: Any) -> None:
        if self.REFRESH_ON and what and not (set(what) & self.REFRESH_ON):
            return
        if not self.REFRESH_ON and what:
            return
        if self.isVisible():
            self.refresh()
        else:
            self._dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if (self.LOAD_ON_SHOW and not self._loaded_once) or self._dirty:
            self.refresh()


__all__ = ["ListPage", "has_row", "always"]
