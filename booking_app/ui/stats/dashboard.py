"""The statistics dashboard (ダッシュボード): the year's users against the city's target, at a glance.

Headline cards (users vs target with the percentage, the pace needed from today against the current
pace and the projected year-end total, registered groups vs target), then Qt Charts: monthly users
against the same month last year, users by category and by room. Every number comes from
``services.stats`` (``progress.year_progress``, ``figures.monthly_users``, ``figures.users_by_room``); this
module only shows it.

Every terminal must show the same total within seconds of a change anywhere, so one
:class:`DataWatcher` per :class:`AppContext` polls the cheap ``data_version`` fingerprint every 3 s and
also forwards this terminal's own changes at once; the dashboard, the counter panel and the main
window's progress figure all listen to it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from datetime import date

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
import shiboken6
from PySide6.QtCore import QLocale, QMargins, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.figures import same_period
from booking_app.services.stats.figures import monthly_users, users_by_room
from booking_app.services.stats.progress import data_version, year_progress
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label

log = logging.getLogger(__name__)

POLL_MS = 3000  # how often another terminal's change is looked for
REFRESH_DELAY_MS = 100  # a burst of clicks at the counter costs one refresh, after the click is painted
# ctx.changed names that move the figures ("remote" = seen by polling data_version).
WATCHED = frozenset({"booking", "tally", "event", "month", "amendment", "profile", "group", "room", "remote"})

THIS_YEAR = QColor("#4a7fd4")
LAST_YEAR = QColor("#b8c4d6")
GOOD = QColor("#2e7d32")
BAD = QColor("#c62828")
CATEGORY_COLOR = QColor("#3f9d5a")
ROOM_COLOR = QColor("#e08a2e")


def fmt_int(n: int | float) -> str:
    return f"{round(n):,}"


def compare_text(months: Sequence) -> str:
    """'前年同期 19,732人（前年同期比 106.9%）': the year so far against last year's same days, the same
    figures as the statistics outputs' 前年同期比 (domain.figures.same_period)."""
    if not months:
        return ""
    this, last = same_period(months)
    if not last:
        return "前年同期の利用者はありません"
    return f"前年同期 {fmt_int(last)}人（前年同期比 {100 * this / last:.1f}%）"


def progress_text(p) -> str:
    """The small figure of the status bar: '利用者 12,345／29,000人（42.6%）'."""
    return f"利用者 {fmt_int(p.total)}／{fmt_int(p.target)}人（{p.pace.percent:.1f}%）"


# --- polling -------------------------------------------------------------------------------------------

class DataWatcher(QObject):
    """Tells views that counted data changed (データ変更の監視): here at once, elsewhere within 3 s.

    Views :meth:`subscribe` with a method name; each is called with the set of what changed
    (``{"remote"}`` when another terminal's change was seen through ``data_version``). The watcher
    checks that a view still exists before calling it: a Python callable connected to a Qt signal is
    not reliably dropped when the widget behind it is deleted, and calling it then crashes.
    ``updated`` is emitted as well, for anyone who only wants to know.
    """

    updated = Signal(object)

    def __init__(self, ctx: AppContext, interval_ms: int = POLL_MS):
        super().__init__(ctx)  # the context is reached through parent(): no reference cycle with it
        self.setObjectName("stats_data_watcher")
        self._version: str | None = None
        self._failed = False
        self._listeners: list[tuple[weakref.ref, str]] = []
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        ctx.changed.connect(self._on_local)
        self._version = self._read_version()

    @property
    def ctx(self) -> AppContext:
        return self.parent()

    def subscribe(self, receiver: QObject, method: str) -> None:
        """Call ``receiver.<method>(what)`` on every change while ``receiver`` exists."""
        self._listeners.append((weakref.ref(receiver), method))
        # The timer runs only while someone listens, and stops the moment the last view is destroyed:
        # the context may later be garbage-collected on any thread, and a QObject with a running
        # timer must not be deleted outside the GUI thread.
        receiver.destroyed.connect(self._forget)
        if not self.timer.isActive():
            self.timer.start()

    def _forget(self, gone: QObject | None = None) -> None:
        kept = []
        for ref, method in self._listeners:
            obj = ref()
            if obj is None or obj is gone or not shiboken6.isValid(obj):
                continue
            kept.append((ref, method))
        self._listeners = kept
        if not kept:
            self.timer.stop()

    def _alive(self) -> list[tuple[QObject, str]]:
        alive = []
        for ref, method in self._listeners:
            obj = ref()
            if obj is not None and shiboken6.isValid(obj):
                alive.append((obj, method))
        self._listeners = [(weakref.ref(o), m) for o, m in alive]
        return alive

    def _notify(self, what: set[str]) -> None:
        for obj, method in self._alive():
            if shiboken6.isValid(obj):  # an earlier listener may have deleted a later one
                getattr(obj, method)(what)
        self.updated.emit(what)

    def _read_version(self) -> str | None:
        try:
            version = self.ctx.read(data_version)
        except Exception as exc:  # the server away for a moment: try again at the next tick
            if not self._failed:
                log.warning("data_version could not be read: %s", exc)
            self._failed = True
            return None
        self._failed = False
        return str(version)

    def poll(self) -> bool:
        """Read the fingerprint; tell the views ``{"remote"}`` when it moved. True when it did."""
        if not self._alive():
            # Every view that listened is gone (window closed): stop querying the database.
            self.timer.stop()
            return False
        version = self._read_version()
        if version is None:
            return False
        moved = self._version is not None and version != self._version
        self._version = version
        if moved:
            self._notify({"remote"})
        return moved

    def _on_local(self, what) -> None:
        what = set(what or ())
        if not what or what & WATCHED:
            self._notify(what or {"all"})
        if self._listeners:
            # Views are fresh now; remember the fingerprint so the next poll does not refresh them a
            # second time for the same change (the terminal watcher, change_watch.py, also feeds
            # ctx.changed with other terminals' changes).
            self._version = self._read_version() or self._version


def watcher_for(ctx: AppContext) -> DataWatcher:
    """The one watcher of this context (created on first use, owned by the context)."""
    found = ctx.findChild(DataWatcher, "stats_data_watcher")
    return found if found is not None else DataWatcher(ctx)


# --- charts --------------------------------------------------------------------------------------------

JAPANESE = QLocale(QLocale.Language.Japanese, QLocale.Country.Japan)


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    # Figures on bars and axes with thousands separators (15,334), as everywhere else in the app.
    chart.setLocale(JAPANESE)
    chart.setLocalizeNumbers(True)
    f = QFont(chart.titleFont())
    f.setBold(True)
    f.setPointSizeF(max(f.pointSizeF(), 10.0))
    chart.setTitleFont(f)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # a refresh must not make bars dance
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundRoundness(4)
    return chart


def _view(chart: QChart, name: str) -> QChartView:
    view = QChartView(chart)
    view.setObjectName(name)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(200)
    return view


def _nice_max(value: float) -> float:
    """A round axis maximum above the biggest bar, with room for its label."""
    if value <= 0:
        return 10
    top = value * 1.18
    step = 10 ** max(len(str(int(top))) - 1, 0)
    return (int(top / step) + 1) * step


class MonthlyChart(QChartView):
    """月別の利用者数: this fiscal year's months against last year's same days (domain.figures.MonthRow).

    The rule of every statistics output: a month ahead has no bars (not 0 against last year's), the running
    month is labelled up to which day it counts and its last-year bar covers the same days.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("monthly_chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        chart = _chart("月別の利用者数（前年度の同じ期間との比較）")
        # A painted chart: a screen reader gets its title as the name and the figures as the description.
        self.setAccessibleName("月別の利用者数（前年度の同じ期間との比較）")
        self.setAccessibleDescription("数値はまだありません。")
        self.this_year = QBarSet("今年度")
        self.this_year.setColor(THIS_YEAR)
        self.last_year = QBarSet("前年度（同じ期間）")
        self.last_year.setColor(LAST_YEAR)
        for s in (self.this_year, self.last_year):
            s.append([0] * 12)
        self.series = QBarSeries()
        self.series.append(self.last_year)
        self.series.append(self.this_year)
        self.series.setBarWidth(0.8)
        chart.addSeries(self.series)
        self.axis_x = QBarCategoryAxis()
        self.axis_x.append([f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)])
        self.axis_x.setTruncateLabels(False)  # 「12月（16日まで）」 in full, on two lines
        self._rows: list = []
        self.axis_y = QValueAxis()
        self.axis_y.setLabelFormat("%.0f")  # with localised numbers "%d" prints nothing; "%.0f" prints 3,000
        self.axis_y.setTickCount(5)
        chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.axis_y, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.axis_x)
        self.series.attachAxis(self.axis_y)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setChart(chart)

    def set_rows(self, rows: Sequence) -> None:
        """MonthRow list April→March (services.stats.figures.monthly_users)."""
        by_month = {r.month: r for r in rows}
        self._rows = [by_month.get(m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
        top = 0
        labels = []
        for i, (m, r) in enumerate(zip((4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3), self._rows, strict=True)):
            now = r.total if r is not None else None
            before = r.last_year_comparable if r is not None else None
            self.this_year.replace(i, now or 0)  # a month ahead: no bar on either side
            self.last_year.replace(i, before or 0)
            top = max(top, now or 0, before or 0)
            upto = getattr(r, "upto", None)
            labels.append(f"{m}月" + (f"<br>({upto}日まで)" if upto else ""))  # the axis takes rich text
        if labels != self.axis_x.categories():
            self.axis_x.setCategories(labels)
        self.axis_y.setRange(0, _nice_max(top))
        self.axis_y.applyNiceNumbers()  # ticks at 0, 500, 1000… rather than 750, 2250
        self.setAccessibleDescription(self.figures_text())

    def figures_text(self) -> str:
        """The chart's figures as a sentence (its accessible description): 「4月 今年度 1,234人・前年度 1,100人。…」."""
        parts = []
        for m, r in zip((4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3), self._rows, strict=True):
            if r is None or r.total is None:
                parts.append(f"{m}月 まだ始まっていません")
                continue
            upto = getattr(r, "upto", None)
            head = f"{m}月（{upto}日まで）" if upto else f"{m}月"
            before = r.last_year_comparable
            parts.append(f"{head} 今年度 {r.total:,}人・前年度 " + (f"{before:,}人" if before is not None else "なし"))
        return "。".join(parts) + "。" if parts else "数値はまだありません。"

    def values(self) -> list[int | None]:
        """This year's figure per month, None for a month that has not begun."""
        return [r.total if r is not None else None for r in self._rows] or \
            [int(self.this_year.at(i)) for i in range(self.this_year.count())]

    def last_year_values(self) -> list[int | None]:
        return [r.last_year_comparable if r is not None else None for r in self._rows]

    def labels(self) -> list[str]:
        return list(self.axis_x.categories())


class HBarChart(QChartView):
    """A horizontal bar chart of named totals (利用区分別・部屋別), each bar labelled with its value."""

    def __init__(self, title: str, name: str, color: QColor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        chart = _chart(title)
        self.setAccessibleName(title)
        self.setAccessibleDescription("数値はまだありません。")
        chart.legend().setVisible(False)
        self.set = QBarSet(title)
        self.set.setColor(color)
        self.set.setLabelColor(QColor("#212121"))
        self.series = QHorizontalBarSeries()
        self.series.append(self.set)
        self.series.setBarWidth(0.75)
        self.series.setLabelsVisible(True)
        self.series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        self.series.setLabelsFormat("@value")
        chart.addSeries(self.series)
        self.axis_y = QBarCategoryAxis()
        self.axis_y.setTruncateLabels(False)  # '相談（メール）' in full, never '…'
        self.axis_x = QValueAxis()
        self.axis_x.setLabelFormat("%.0f")  # localised: 15,000
        self.axis_x.setTickCount(5)
        chart.addAxis(self.axis_y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        self.series.attachAxis(self.axis_y)
        self.series.attachAxis(self.axis_x)
        self.setChart(chart)
        self._names: list[str] = []

    def set_values(self, values: Mapping[str, int]) -> None:
        # The first key at the top: a horizontal bar axis counts from the bottom, hence reversed.
        names = list(values)[::-1]
        if names != self._names:
            self.axis_y.clear()
            self.axis_y.append(names or [""])
            self.set.remove(0, self.set.count())
            self.set.append([0] * max(len(names), 1))
            self._names = names
        for i, n in enumerate(names):
            self.set.replace(i, values[n])
        self.axis_x.setRange(0, _nice_max(max(values.values(), default=0)))
        self.axis_x.applyNiceNumbers()
        self.setAccessibleDescription(
            "。".join(f"{n} {v:,}人" for n, v in values.items()) + "。" if values else "数値はまだありません。")

    def values(self) -> dict[str, int]:
        return {n: int(self.set.at(i)) for i, n in enumerate(self._names)}


# --- the headline cards --------------------------------------------------------------------------------

def _card(name: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName(name)
    frame.setStyleSheet(f"QFrame#{name} {{ background: #f6f8fc; border: 1px solid #d0d7e2; border-radius: 6px; }}"
                        f"QFrame#{name} QLabel {{ background: transparent; border: none; }}")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(14, 8, 14, 8)
    lay.setSpacing(3)
    return frame, lay


def _label(name: str, *, size: float | None = None, bold: bool = False, color: str | None = None) -> QLabel:
    label = plain_label()
    label.setObjectName(name)
    f = QFont(label.font())
    if size is not None:
        f.setPointSizeF(size)
    f.setBold(bold)
    label.setFont(f)
    if color:
        label.setStyleSheet(f"color: {color};")
    return label


def _bar(name: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setObjectName(name)
    bar.setRange(0, 1000)  # tenths of a percent
    bar.setTextVisible(True)
    bar.setMinimumHeight(20)
    return bar


class Dashboard(QWidget):
    """ダッシュボード: this fiscal year's users against the target, the pace, the charts."""

    refreshed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.ctx = ctx
        self._dirty = True
        self.progress = None  # the last Progress shown
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self.watcher = watcher_for(ctx)
        self.watcher.subscribe(self, "_on_updated")

    @property
    def today(self) -> date:
        return self.ctx.today

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)

        cards = QHBoxLayout()
        cards.setSpacing(8)
        users, ul = _card("users_card")
        self.users_title = _label("users_title", bold=True)
        head = QHBoxLayout()
        self.total_label = _label("users_total", size=26, bold=True, color="#1f4e9c")
        self.percent_label = _label("users_percent", size=18, bold=True)
        head.addWidget(self.total_label)
        head.addStretch(1)
        head.addWidget(self.percent_label, 0, Qt.AlignmentFlag.AlignBottom)
        self.target_label = _label("users_target")
        self.compare_label = _label("users_compare", color="#505050")
        self.users_bar = _bar("users_bar")
        ul.addWidget(self.users_title)
        ul.addLayout(head)
        ul.addWidget(self.users_bar)
        ul.addWidget(self.target_label)
        ul.addWidget(self.compare_label)
        cards.addWidget(users, 5)

        pace, pl = _card("pace_card")
        pl.addWidget(_label("pace_title", bold=True))
        pace.findChild(QLabel, "pace_title").setText("目標までのペース")
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.needed_label = _label("pace_needed", size=13, bold=True)
        self.current_label = _label("pace_current", size=13, bold=True)
        self.projected_label = _label("pace_projected", size=13, bold=True)
        self.days_left_label = _label("days_left")
        for row, (caption, value) in enumerate((("必要なペース", self.needed_label),
                                                ("現在のペース", self.current_label),
                                                ("年度末の見込み", self.projected_label))):
            grid.addWidget(QLabel(caption), row, 0)
            grid.addWidget(value, row, 1)
        grid.setColumnStretch(1, 1)
        pl.addLayout(grid)
        pl.addWidget(self.days_left_label)
        cards.addWidget(pace, 4)

        groups, gl = _card("groups_card")
        gl.addWidget(_label("groups_title", bold=True))
        groups.findChild(QLabel, "groups_title").setText("登録団体")
        self.groups_label = _label("groups_value", size=18, bold=True, color="#1f4e9c")
        self.groups_bar = _bar("groups_bar")
        self.updated_label = _label("updated_at", color="#707070")
        gl.addWidget(self.groups_label)
        gl.addWidget(self.groups_bar)
        gl.addStretch(1)
        gl.addWidget(self.updated_label)
        cards.addWidget(groups, 3)
        outer.addLayout(cards)

        self.monthly_chart = MonthlyChart()
        outer.addWidget(self.monthly_chart, 5)
        bottom = QHBoxLayout()
        bottom.setSpacing(6)
        self.category_chart = HBarChart("利用区分別の利用者数", "category_chart", CATEGORY_COLOR)
        self.room_chart = HBarChart("部屋別の利用者数", "room_chart", ROOM_COLOR)
        bottom.addWidget(self.category_chart, 1)
        bottom.addWidget(self.room_chart, 1)
        outer.addLayout(bottom, 6)


    # ---------------------------------------------------------------- data

    def _on_updated(self, what) -> None:
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._dirty = True  # a hidden dashboard costs nothing; it catches up when shown

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._refresh_timer.start(0)

    def refresh(self) -> None:
        self._refresh_timer.stop()  # a refresh asked for directly covers the one pending
        today = self.today
        fy = jcal.fiscal_year(today)

        def load(s):
            return (year_progress(s, today=today), monthly_users(s, fy, today=today), users_by_room(s, fy))

        progress, months, rooms = self.ctx.read(load)
        self._dirty = False
        self.show_figures(progress, months, rooms)
        self.refreshed.emit()

    def show_figures(self, p, months: Sequence, rooms: Mapping[str, int]) -> None:
        self.progress = p
        pc = p.pace
        self.users_title.setText(f"今年度の利用者（{jcal.fiscal_year_label(p.fiscal_year)}）")
        self.total_label.setText(f"{fmt_int(p.total)}人")
        self.percent_label.setText(f"{pc.percent:.1f}%")
        self.users_bar.setValue(min(round(pc.percent * 10), 1000))
        self.users_bar.setFormat(f"{pc.percent:.1f}%")
        rest = max(p.target - p.total, 0)
        self.target_label.setText(f"目標 {fmt_int(p.target)}人　あと {fmt_int(rest)}人")
        ok = pc.projected >= p.target
        self.needed_label.setText(f"1日 {pc.needed_per_day:,.1f}人")
        self.current_label.setText(f"1日 {pc.current_per_day:,.1f}人")
        self.current_label.setStyleSheet(f"color: {(GOOD if pc.current_per_day >= pc.needed_per_day else BAD).name()};")
        self.projected_label.setText(f"{fmt_int(pc.projected)}人" + ("（目標達成）" if ok else "（目標に届かない見込み）"))
        self.projected_label.setStyleSheet(f"color: {(GOOD if ok else BAD).name()};")
        self.days_left_label.setText(f"年度末（3月31日）まで あと{pc.days_left}日・経過 {pc.days_elapsed}日")
        self.groups_label.setText(f"{p.groups_registered}団体／目標 {p.groups_target}")
        gp = 100.0 * p.groups_registered / p.groups_target if p.groups_target else 0.0
        self.groups_bar.setValue(min(round(gp * 10), 1000))
        self.groups_bar.setFormat(f"{gp:.1f}%")
        at = p.updated_at or clock.now()
        self.updated_label.setText(f"更新 {at:%H:%M:%S}")
        self.compare_label.setText(compare_text(months))
        self.monthly_chart.set_rows(months)
        self.category_chart.set_values(dict(p.by_category))
        self.room_chart.set_values(dict(rooms))


__all__ = ["Dashboard", "DataWatcher", "watcher_for", "progress_text", "compare_text", "POLL_MS"]
