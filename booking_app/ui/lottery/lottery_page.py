"""The lottery page (抽選): one lottery month's cycle, its entries, taking and withdrawing them, the draw.

A month selector (the month whose entries are taken now, and the months before and after it), the cycle's
dates in one line, the entries in 受付番号 order (団体, 第1〜第3希望 in short, 状態, the 仮予約 number of a
win), a status line with the counts and the action buttons: 申込を受ける… (F2), 取下げ… (F3), 抽選を実施…
(管理者, F9: from the draw day, once), 抽選の検証 (re-run from the stored seed), and the papers through the
print preview: 受付控 (the selected entry; offered after an entry is taken), 申込一覧, and after the draw the
結果通知 (a sheet per group) and the 掲示用 list (numbers only). Every answer comes from ``services.lottery``
and ``services.lottery_docs``; this page only shows it and asks.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from booking_app import clock
from booking_app.domain import lottery_rules as lr
from booking_app.domain.errors import DomainError
from booking_app.reports import lottery_pdf
from booking_app.services import lottery as lot
from booking_app.services import lottery_docs
from booking_app.services.centre import get_profile
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import bind_key
from booking_app.ui.list_page import ListPage
from booking_app.ui.lottery.entry_dialog import EntryDialog
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.plain_text import plain_label
from booking_app.ui.table_model import RIGHT, RowsTableModel

SECTION = "抽選"
WEEKDAYS = "月火水木金土日"
WISH_MAX_W = 260  # pixels: three wishes, 状態 and 仮予約 fit 1366 px beside the page list


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _md_w(d: date) -> str:
    return f"{d.month}/{d.day}({WEEKDAYS[d.weekday()]})"


def wish_text(wish: lot.WishView | None) -> str:
    """A wish in short: 「大会議室 3/2(火) 18:00〜22:00」, a 2-day set 「… ＋3/3(水)」."""
    if wish is None or not wish.slots:
        return ""
    first = wish.slots[0]
    text = f"{first.room_name} {_md_w(first.start.date())} {first.start:%H:%M}〜{first.end:%H:%M}"
    more = [s for s in wish.slots[1:]]
    if more:
        text += "＋" + "・".join(_md_w(s.start.date()) for s in more)
    return text


def wish_tip(rank: int, wish: lot.WishView) -> str:
    """The whole wish for the list's tooltip, one slot a line: the list cuts a long one (a two-day set) with 「…」."""
    head = f"第{rank}希望" + (f"（{len(wish.slots)}区分の組・全部か無し）" if len(wish.slots) > 1 else "")
    return "\n".join([head] + [f"{s.room_name} {_md_w(s.start.date())} {s.start:%H:%M}〜{s.end:%H:%M}"
                                for s in wish.slots])


def cycle_text(c: lr.LotteryCycle) -> str:
    """The month's cycle in one line (申込 12月1日〜10日・抽選 12月15日・確定期限 12月29日・先着 12月20日〜)."""
    close = f"{c.entry_close.day}日" if c.entry_close.month == c.entry_open.month else _md(c.entry_close)
    return (f"申込 {_md(c.entry_open)}〜{close}・抽選 {_md(c.draw)}・当選の確定期限 {_md(c.confirm_by)}・"
            f"先着 {_md(c.first_come_from)}〜")


class EntriesModel(RowsTableModel):
    HEADERS = ("受付番号", "団体", "受付", "第1希望", "第2希望", "第3希望", "状態", "仮予約")

    def cell(self, v: lot.EntryView, col: int) -> Any:
        if col == 0:
            return str(v.entry_no)
        if col == 1:
            return v.group_name
        if col == 2:
            return lot.CHANNELS.get(v.channel, v.channel)
        if 3 <= col <= 5:
            rank = col - 2
            return wish_text(next((w for w in v.wishes if w.rank == rank), None))
        if col == 6:
            return v.status_label + (f"（第{v.won_rank}希望）" if v.won_rank else "")
        if col == 7:
            return "・".join(s.booking_number for s in v.won_slots if s.booking_number)
        return None

    def alignment(self, v: Any, col: int) -> Any:
        return RIGHT if col == 0 else None

    def foreground(self, v: lot.EntryView, col: int) -> Any:
        if col == 6:
            from PySide6.QtGui import QColor

            return {"won": QColor("#1a7f37"), "lost": QColor("#b42318"), "withdrawn": QColor("#777777")}.get(v.status)
        return None

    def tooltip(self, v: lot.EntryView, col: int) -> str:
        about = f"取下げ（理由：{v.withdraw_reason}）" if v.status == "withdrawn" else v.note
        wish = next((w for w in v.wishes if w.rank == col - 2), None) if 3 <= col <= 5 else None
        if wish is not None and wish.slots:
            return wish_tip(wish.rank, wish) + (f"\n\n{about}" if about else "")
        return about


class LotteryPage(ListPage):
    """抽選の画面."""

    REFRESH_ON = frozenset({"lottery_entry", "lottery_draw", "booking", "profile"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, EntriesModel(), name="lottery_page", table_name="lottery_table", parent=parent)
        self.table.setAccessibleName("抽選の申込の一覧")
        self.draw: lot.DrawView | None = None
        self.last_pdf: Path | None = None
        self.rules = lr.LotteryRules()
        self.month_combo = QComboBox()
        self.month_combo.setObjectName("month_combo")
        self.month_combo.setAccessibleName("抽選の対象月")
        month_label = QLabel("対象月(&M)")
        month_label.setBuddy(self.month_combo)
        self.cycle_label = plain_label()
        self.cycle_label.setObjectName("cycle_label")
        self.filter_bar.addWidget(month_label)
        self.filter_bar.addWidget(self.month_combo)
        self.filter_bar.addSpacing(12)
        self.filter_bar.addWidget(self.cycle_label, 1)

        self.take_button = self.add_action("申込を受ける…", "take_entry_button", self.take_entry,
                                           enabled=lambda _r: self._can_take())
        self.withdraw_button = self.add_action("取下げ…", "withdraw_button", self.withdraw_selected,
                                               enabled=lambda r: r is not None and r.status == "entered"
                                               and self.draw is None)
        self.receipt_button = self.add_action("受付控を印刷", "print_receipt_button", self.print_receipt,
                                              enabled=lambda r: r is not None,
                                              tip="選んだ申込の受付控（団体に渡す控え、A5）")
        self.list_button = self.add_action("申込一覧を印刷", "print_list_button", self.print_list,
                                           enabled=lambda _r: self.model.rowCount() > 0,
                                           tip="この月の申込の一覧（受付番号順、A4横）", stretch_before=True)
        self.results_button = self.add_action("結果通知を印刷", "print_results_button", self.print_results,
                                              enabled=lambda _r: self.draw is not None,
                                              tip="団体ごとの抽選結果のお知らせ（抽選の後）")
        self.public_button = self.add_action("掲示用の結果を印刷", "print_public_button", self.print_public,
                                             enabled=lambda _r: self.draw is not None,
                                             tip="受付番号と当選・落選だけの掲示用の一覧（団体名なし、抽選の後）")
        self.button_bar.addSpacing(16)
        self.draw_button = self.add_action("抽選を実施…", "draw_button", self.run_draw,
                                           enabled=lambda _r: self._draw_refusal() is None)
        self.replay_button = self.add_action("抽選の検証", "replay_button", self.replay,
                                             enabled=lambda _r: self.draw is not None,
                                             tip="保存したシードで抽選をやり直し、同じ結果になるか確かめます")
        bind_key(self, self.take_button, "F2", section=SECTION)
        bind_key(self, self.withdraw_button, "F3", section=SECTION)
        bind_key(self, self.draw_button, "F9", section=SECTION)
        self.month_combo.currentIndexChanged.connect(lambda _i: self._month_changed())
        self.fill_months()
        ctx.changed.connect(self._profile_changed)

    # ---------------------------------------------------------------- months

    def fill_months(self) -> None:
        """The month whose entries are taken today (or would be this month) and the ones either side."""
        self.rules = lr.lottery_rules(self.ctx.read(get_profile))
        today = self.ctx.today
        target = lr.target_month(self.rules, today)
        base = target or lr.month_start(lr.add_months(today, self.rules.months_ahead))  # months are their 1st
        keep = self.month_combo.currentData()
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        months = (lr.add_months(base, -1), base, lr.add_months(base, 1))
        drawn = self.ctx.read(lambda s: {m for m in months if lot.draw_view(s, m) is not None})
        for m in months:
            c = lr.cycle(self.rules, m)
            # Past the draw day the label says whether the draw was run: an overdue draw must not read as done.
            state = ("抽選済" if m in drawn else "申込受付中" if c.entry_open <= today <= c.entry_close
                     else "抽選待ち" if today >= c.draw else "申込前" if today < c.entry_open else "締切後")
            self.month_combo.addItem(f"{m.year}年{m.month}月分（{state}）", m)
        i = self.month_index(keep) if keep is not None else -1
        self.month_combo.setCurrentIndex(i if i >= 0 else 1)
        self.month_combo.blockSignals(False)
        self._show_cycle()

    def month(self) -> date:
        m = self.month_combo.currentData()
        return m if m is not None else lr.add_months(self.ctx.today, self.rules.months_ahead)

    def month_index(self, month: date) -> int:
        """The month's row in the selector, or -1 (compared by value: QComboBox.findData does not match a
        Python date it stored)."""
        first = lr.month_start(month)
        return next((i for i in range(self.month_combo.count()) if self.month_combo.itemData(i) == first), -1)

    def select_month(self, month: date) -> None:
        i = self.month_index(month)
        if i >= 0:
            self.month_combo.setCurrentIndex(i)

    def _month_changed(self) -> None:
        self._show_cycle()
        self.draw = None
        self.load()

    def _show_cycle(self) -> None:
        self.cycle_label.setText(cycle_text(lr.cycle(self.rules, self.month())))

    def _profile_changed(self, what: Any) -> None:
        if what and "profile" in set(what):
            self.fill_months()

    # ---------------------------------------------------------------- ListPage

    def current_filter(self) -> date:
        return self.month()

    def fetch(self, session: Session, month: date) -> tuple[list[lot.EntryView], lot.DrawView | None]:
        return lot.list_entries(session, month), lot.draw_view(session, month)

    def rows_of(self, result: Any) -> list[lot.EntryView]:
        return result[0]

    def loaded(self, result: Any, month: date) -> None:
        entries, self.draw = result
        live = [e for e in entries if e.status != "withdrawn"]
        withdrawn = len(entries) - len(live)
        text = f"{month.year}年{month.month}月分：申込 {len(live)}件"
        if withdrawn:
            text += f"（ほかに取下げ {withdrawn}件）"
        if self.draw is not None:
            d = self.draw
            text += (f"　当選 {d.won}　落選 {d.lost}　抽選 {d.drawn_at:%Y/%m/%d %H:%M} {d.drawn_by}"
                     f"（シード {d.seed}）")
        elif not entries:
            text += "　まだ申込はありません"
        self.status_label.setText(text)
        self.table.resizeColumnsToContents()
        # A long wish (a two-day set in the hall) must not push 状態 and 仮予約 off a 1366-pixel screen: the
        # wishes are cut with 「…」 past WISH_MAX_W (the whole text is in the printed entry list).
        for col in range(EntriesModel.HEADERS.index("第1希望"), EntriesModel.HEADERS.index("第3希望") + 1):
            if self.table.columnWidth(col) > WISH_MAX_W:
                self.table.setColumnWidth(col, WISH_MAX_W)
        self.update_tips()

    def update_actions(self) -> None:
        super().update_actions()
        self.update_tips()

    def update_tips(self) -> None:
        why = self._draw_refusal()
        self.draw_button.setToolTip((why + "\n" if why else "") + "キー：F9")
        c = lr.cycle(self.rules, self.month())
        self.take_button.setToolTip(
            ("" if self._can_take() else f"{self.month().month}月分の申込は{_md(c.entry_open)}〜{_md(c.entry_close)}です\n")
            + "キー：F2")

    # ---------------------------------------------------------------- rules of the buttons

    def _can_take(self) -> bool:
        c = lr.cycle(self.rules, self.month())
        return c.entry_open <= self.ctx.today <= c.entry_close and self.draw is None

    def _draw_refusal(self) -> str | None:
        """Why 抽選を実施 is off (the tooltip), or None when it may be pressed."""
        month = self.month()
        if not self.ctx.actor.is_manager:
            return "抽選の実施は管理者のみ行えます"
        if self.draw is not None:
            return f"{month.year}年{month.month}月分の抽選は実施済みです（同じ月の抽選は一度だけ）"
        when = lr.draw_date(self.rules, month)
        if self.ctx.today < when:
            return f"{month.year}年{month.month}月分の抽選は{when.year}年{_md(when)}からです"
        return None

    # ---------------------------------------------------------------- actions

    def take_entry(self) -> None:
        dlg = EntryDialog(self.ctx, self.month(), self)
        if dlg.exec() != EntryDialog.DialogCode.Accepted or dlg.saved is None:
            return
        v = dlg.saved
        self.load(select=v.id)
        self.offer_receipt(v)

    def offer_receipt(self, v: lot.EntryView) -> Path | None:
        """After an entry is taken: its number, and the 受付控 to hand over (or read out on the phone)."""
        if self.ctx.prompts.confirm(self, "抽選の申込",
                                    f"受付番号{v.entry_no}で受け付けました（{v.group_name}）。\n受付控を印刷しますか？",
                                    yes="印刷する", no="印刷しない"):
            return self._print_receipt_of(v)
        return None

    # ---------------------------------------------------------------- papers

    def print_receipt(self) -> Path | None:
        v = self.selected()
        return self._print_receipt_of(v) if v is not None else None

    def _print_receipt_of(self, v: lot.EntryView) -> Path | None:
        eid = v.id  # its 受付者 is who took the entry, whoever reprints it
        return self._preview(lambda s: lottery_docs.entry_receipt_doc(s, eid),
                             lottery_pdf.write_entry_receipt, f"lottery_receipt_{v.entry_no}_",
                             f"受付控　受付番号{v.entry_no}　{v.group_name}", f"抽選受付控_{v.entry_no}.pdf")

    def print_list(self) -> Path | None:
        month, now = self.month(), clock.now()
        return self._preview(lambda s: lottery_docs.entry_list_doc(s, month, printed_at=now),
                             lottery_pdf.write_entry_list, "lottery_list_",
                             f"抽選の申込一覧　{month.year}年{month.month}月分",
                             f"抽選申込一覧_{month:%Y%m}.pdf")

    def print_results(self) -> Path | None:
        month = self.month()
        return self._preview(lambda s: lottery_docs.result_docs(s, month), lottery_pdf.write_result_sheet,
                             "lottery_results_", f"抽選結果のお知らせ　{month.year}年{month.month}月分",
                             f"抽選結果通知_{month:%Y%m}.pdf")

    def print_public(self) -> Path | None:
        month = self.month()
        return self._preview(lambda s: lottery_docs.public_list_doc(s, month), lottery_pdf.write_public_list,
                             "lottery_public_", f"抽選結果（掲示用）　{month.year}年{month.month}月分",
                             f"抽選結果_掲示用_{month:%Y%m}.pdf")

    def _preview(self, read: Callable[[Session], Any], render: Callable[[Any, Any], object], prefix: str,
                 title: str, suggested: str) -> Path | None:
        """Read the paper's data, render it to a temporary PDF and open the print preview; an error is
        shown and leaves no file."""
        path = ""
        try:
            doc = self.ctx.read(read)
            fd, path = tempfile.mkstemp(prefix=prefix, suffix=".pdf")
            os.close(fd)
            render(Path(path), doc)
        except Exception as exc:  # noqa: BLE001 - a report bug must not stop the desk
            if path:
                os.remove(path)
            self.ctx.prompts.show_error(self, exc)
            return None
        self.last_pdf = Path(path)
        pd.preview_pdf(self, Path(path), title=title, suggested_name=suggested)
        return Path(path)

    def withdraw_selected(self) -> None:
        v = self.selected()
        if v is None:
            return
        reason = self.ctx.prompts.ask_text(self, "申込の取下げ",
                                           f"受付番号{v.entry_no}（{v.group_name}）の申込を取り下げます。\n"
                                           "記録は消えずに「取下げ」として残ります。\n\n取下げの理由：",
                                           ok="取り下げる")
        if reason is None:
            return
        now = clock.now()
        if self.ctx.prompts.attempt(self, lambda: self.ctx.write(
                lambda s, a: lot.withdraw_entry(s, a, v.id, reason, now=now), changes={"lottery_entry"})):
            self.load(select=v.id)

    def run_draw(self) -> None:
        month = self.month()
        count = sum(1 for v in self.model.rows() if v.status == "entered")
        if not self.ctx.prompts.confirm(
                self, "抽選の実施",
                f"{month.year}年{month.month}月分の抽選を実施します（申込 {count}件）。\n"
                "シードは実施時に決まり、結果通知に印刷されます。\n"
                "同じ月の抽選は一度だけで、やり直せません。実施しますか？", yes="抽選する", no="やめる"):
            return
        now = clock.now()
        try:
            view = self.ctx.write(lambda s, a: lot.run_draw(s, a, month, now=now),
                                  changes={"lottery_draw", "lottery_entry", "booking"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self.draw = view
        self.load()
        self.ctx.prompts.info(self, "抽選の実施",
                              f"{month.year}年{month.month}月分の抽選を実施しました：申込 {view.entries}件、"
                              f"当選 {view.won}件、落選 {view.lost}件。\nシード {view.seed}\n"
                              f"当選は仮予約になりました（確定期限 {_md(lr.confirm_by(self.rules, month))}）。")

    def replay(self) -> None:
        month = self.month()
        try:
            same = self.ctx.read(lambda s: lot.replay_draw(s, month))
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        seed = self.draw.seed if self.draw is not None else ""
        if same:
            self.ctx.prompts.info(self, "抽選の検証", f"同じ結果になりました（シード {seed}）。")
        else:
            self.ctx.prompts.warn(self, "抽選の検証",
                                  f"保存したシード {seed} でやり直すと、記録された結果と一致しません。"
                                  "抽選後に申込の記録が変わった可能性があります。操作履歴を確かめてください。")

    # ---------------------------------------------------------------- focus

    def focus_first(self) -> None:
        """Ctrl+0: the list when it has rows, else the month."""
        if self.model.rowCount() > 0:
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.month_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_search(self) -> None:
        """Ctrl+F: the month selector (the page's filter)."""
        self.month_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)


__all__ = ["LotteryPage", "EntriesModel", "wish_text", "wish_tip", "cycle_text"]
