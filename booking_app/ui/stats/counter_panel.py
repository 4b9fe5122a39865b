"""The walk-in counter (来館者カウント) docked beside 本日の予約: one click = one visitor.

Desk staff click it all day, so a click writes one tally and updates the one number on that button;
nothing else is reloaded. Other terminals' clicks arrive through the shared :class:`DataWatcher`
(``data_version`` polled every 3 s). 取消 undoes the last tally this terminal's staff member made today,
after a confirmation; an undone tally stays in the list, struck through, as it stays in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain.errors import DomainError
from booking_app.services.stats.ledger import walkin_categories
from booking_app.services.stats.tallies import add_tally, last_tallies, tally_counts, undo_tally
from booking_app.services.terminal import terminal_name
from booking_app.ui.context import AppContext
from booking_app.ui.stats.dashboard import watcher_for
from booking_app.ui.table_model import RIGHT, RowsTableModel
from booking_app.ui.plain_text import plain_label

RECENT_LIMIT = 20
UNDONE = QColor("#9e9e9e")


# --- the recent tallies --------------------------------------------------------------------------------

def _hm(at: datetime) -> str:
    return f"{at:%H:%M}"


class TalliesModel(RowsTableModel):
    """The last tallies of the day (最近のカウント), newest first: time, category, n, staff."""

    HEADERS = ("時刻", "区分", "人数", "担当")

    def set_rows(self, rows: Sequence) -> None:
        super().set_rows(list(rows)[:RECENT_LIMIT])

    def prepend(self, tally) -> None:
        """A tally made here: inserted at the top without reloading the list."""
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, tally)
        self.endInsertRows()
        if len(self._rows) > RECENT_LIMIT:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            self._rows.pop()
            self.endRemoveRows()

    def replace(self, tally) -> None:
        """The same tally after a change (undone): its row repainted."""
        for i, t in enumerate(self._rows):
            if t.id == tally.id:
                self._rows[i] = tally
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))
                return

    def cell(self, t, col: int):
        if col == 0:
            return _hm(t.at)
        if col == 1:
            return t.category
        if col == 2:
            return f"+{t.count}" + ("（取消）" if t.undone_at is not None else "")
        return t.staff_name

    def foreground(self, t, col: int):
        return QBrush(UNDONE) if t.undone_at is not None else None

    def alignment(self, t, col: int):
        return RIGHT if col == 2 else None

    def tooltip(self, t, col: int):
        tip = f"{t.at:%H:%M:%S}　{t.category} +{t.count}　{t.staff_name}"
        if getattr(t, "terminal", ""):
            tip += f"（{t.terminal}）"
        if t.undone_at is not None:
            tip += f"\n{t.undone_at:%H:%M}に取消"
        return tip

    def item_data(self, t, col: int, role: int):
        if role == Qt.ItemDataRole.FontRole and t.undone_at is not None:
            f = QFont()
            f.setStrikeOut(True)
            return f
        return super().item_data(t, col, role)


# --- the panel -----------------------------------------------------------------------------------------

class CounterButton(QPushButton):
    """One walk-in category: its name and today's count in big figures; a click counts one visitor."""

    def __init__(self, category: str, index: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.category = category
        self.setObjectName(f"walkin_{index}")
        self.setMinimumHeight(58)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(f"{category}：クリックで1人追加")
        # What a screen reader says: what is counted (the face is two labels, not the button's text).
        self.setAccessibleName(f"来所者を数える：{category}")
        self.setAccessibleDescription("押すと1人追加します")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 3, 6, 3)
        lay.setSpacing(0)
        self.name_label = QLabel(category)
        self.count_label = QLabel("0")
        big = QFont(self.count_label.font())
        big.setPointSizeF(max(big.pointSizeF(), 9.0) * 1.7)
        big.setBold(True)
        self.count_label.setFont(big)
        self.count_label.setStyleSheet("color: #1f4e9c;")
        for label in (self.name_label, self.count_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # The whole face is one button: the labels must not swallow the click.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            lay.addWidget(label)
        self.count = 0

    def set_count(self, n: int) -> None:
        self.count = n
        self.count_label.setText(f"{n:,}")
        self.setAccessibleDescription(f"本日 {n:,}人。押すと1人追加します")

    def sizeHint(self) -> QSize:
        hint = self.layout().sizeHint()
        return QSize(max(hint.width() + 4, 120), max(hint.height() + 4, 58))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class CounterPanel(QWidget):
    """来館者カウント: a big button per walk-in category, +n, 取消, and the last tallies."""

    tallied = Signal(object)  # the TallyView just written or undone here

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("counter_panel")
        self.ctx = ctx
        self._writing = False
        self._shown_day: date | None = None
        self.terminal = terminal_name()
        # The settings may add categories; the buttons follow the service's list.
        self.categories = tuple(ctx.read(walkin_categories))
        self._build()
        self.watcher = watcher_for(ctx)
        self.watcher.subscribe(self, "_on_updated")
        self.refresh()

    @property
    def today(self) -> date:
        return self.ctx.today

    def _now(self) -> datetime:
        return clock.now()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 4, 4)
        lay.setSpacing(6)
        head = QHBoxLayout()
        title = QLabel("来館者カウント")
        f = QFont(title.font())
        f.setBold(True)
        f.setPointSizeF(max(f.pointSizeF(), 9.0) * 1.2)
        title.setFont(f)
        self.total_label = plain_label()
        self.total_label.setObjectName("walkin_total")
        self.total_label.setFont(f)
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.total_label)
        lay.addLayout(head)

        grid = QGridLayout()
        grid.setSpacing(5)
        self.buttons: dict[str, CounterButton] = {}
        for i, cat in enumerate(self.categories):
            b = CounterButton(cat, i)
            b.clicked.connect(lambda _c=False, c=cat: self.add(c, 1))
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[cat] = b
        lay.addLayout(grid)

        many = QHBoxLayout()
        many.setSpacing(4)
        self.many_category = QComboBox()
        self.many_category.setObjectName("walkin_many_category")
        self.many_category.addItems(list(self.categories))
        # The longest category (「相談（メール）」) shows whole, whatever the panel's width.
        self.many_category.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.many_spin = QSpinBox()
        self.many_spin.setObjectName("walkin_many_count")
        self.many_spin.setRange(1, 999)
        self.many_spin.setValue(5)
        self.many_spin.setSuffix("人")
        self.many_spin.setAccessibleName("まとめて数える人数")
        self.many_category.setAccessibleName("まとめて数える区分")
        self.many_button = QPushButton()
        self.many_button.setObjectName("walkin_many_add")
        self.many_button.setToolTip("団体で来た人などをまとめて数えます")
        self.many_button.clicked.connect(self.add_many)
        self.many_spin.valueChanged.connect(self._update_many_text)
        self._update_many_text()
        many.addWidget(self.many_category, 1)
        many.addWidget(self.many_spin)
        many.addWidget(self.many_button)
        lay.addLayout(many)

        self.undo_button = QPushButton("取消（この端末の直前の1件）")
        self.undo_button.setObjectName("walkin_undo")
        self.undo_button.setToolTip("押し間違えたとき、自分がこの端末で最後に数えた1件を取り消します")
        self.undo_button.clicked.connect(self.undo_last)
        lay.addWidget(self.undo_button)

        recent = QLabel("最近のカウント")
        recent.setStyleSheet("color: #505050;")
        lay.addWidget(recent)
        self.model = TalliesModel(self)
        self.recent_view = QTableView()
        self.recent_view.setObjectName("walkin_recent")
        self.recent_view.setModel(self.model)
        self.recent_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.recent_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.recent_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.recent_view.verticalHeader().setVisible(False)
        self.recent_view.verticalHeader().setDefaultSectionSize(22)
        self.recent_view.setWordWrap(False)
        hh = self.recent_view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.recent_view, 1)

    def tab_order(self) -> list[QWidget]:
        """The panel's controls in the order Tab visits them (the page chains them after its own)."""
        return [*self.buttons.values(), self.many_category, self.many_spin, self.many_button, self.undo_button]

    def _update_many_text(self, *_):
        self.many_button.setText(f"+{self.many_spin.value()} 追加")

    # ---------------------------------------------------------------- data

    def _on_updated(self, what) -> None:
        if self._writing:
            return  # this panel's own click: the number is already updated
        if "remote" in what or "tally" in what or "all" in what or self._shown_day != self.today:
            self.refresh()

    def refresh(self) -> None:
        """Today's counts and last tallies from the ledger (start, another terminal's click, midnight)."""
        day = self.today

        def load(s):
            return tally_counts(s, day), last_tallies(s, day=day, limit=RECENT_LIMIT)

        counts, recent = self.ctx.read(load)
        self._shown_day = day
        for cat, b in self.buttons.items():
            b.set_count(counts.get(cat, 0))
        self.model.set_rows(recent)
        self._update_total(counts)

    def counts(self) -> dict[str, int]:
        return {cat: b.count for cat, b in self.buttons.items()}

    def _update_total(self, counts: dict[str, int] | None = None) -> None:
        total = sum((counts or self.counts()).values())
        self.total_label.setText(f"本日 {total:,}人")

    def _write(self, fn):
        self._writing = True
        try:
            return self.ctx.write(fn, changes={"tally"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        finally:
            self._writing = False

    # ---------------------------------------------------------------- actions

    def add(self, category: str, count: int = 1):
        """Count ``count`` visitors of ``category``: one write, the one number updated."""
        if self._shown_day != self.today:
            self.refresh()  # the first click after midnight starts the new day's counts
        now, terminal = self._now(), self.terminal
        view = self._write(lambda s, a: add_tally(s, a, category, count, now=now, terminal=terminal))
        if view is None:
            return None
        b = self.buttons.get(category)
        if b is not None:
            b.set_count(b.count + view.count)
        self.model.prepend(view)
        self._update_total()
        self.tallied.emit(view)
        return view

    def add_many(self):
        return self.add(self.many_category.currentText(), self.many_spin.value())

    def last_own_tally(self):
        """The newest tally of today not undone, made on this terminal by the staff member on duty."""
        for t in self.model.rows():
            if t.undone_at is None and t.staff_id == self.ctx.actor.id and t.terminal == self.terminal:
                return t
        return None

    def undo_last(self):
        t = self.last_own_tally()
        if t is None:
            # The list may be stale (e.g. only the last 20 are shown): reload once.
            self.refresh()
            t = self.last_own_tally()
        if t is None:
            self.ctx.prompts.show_error(self, DomainError("取り消せるカウントがありません（この端末で本日あなたが数えたものだけ取り消せます）。"))
            return None
        if not self.ctx.prompts.confirm(self, "カウントの取消", f"{_hm(t.at)}の「{t.category} +{t.count}」を取り消しますか？",
                                        yes="取り消す", no="やめる"):
            return None
        now = self._now()
        view = self._write(lambda s, a: undo_tally(s, a, t.id, now=now))
        if view is None:
            return None
        b = self.buttons.get(t.category)
        if b is not None:
            b.set_count(max(b.count - t.count, 0))
        if getattr(view, "id", None) == t.id:
            self.model.replace(view)
        else:  # undo_tally returned nothing useful: reload the list, it is one small query
            self.refresh()
        self._update_total()
        self.tallied.emit(view)
        return view


__all__ = ["CounterPanel", "CounterButton", "TalliesModel"]
