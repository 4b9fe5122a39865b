"""The walk-in counter (来館者カウント) on 本日の予約: click = +1, +n, undo with a confirmation, and another
terminal's clicks arriving through the polled data_version. Modal questions are replaced (``confirm``).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.services.stats.ledger import walkin_categories
from booking_app.services.stats.tallies import add_tally, last_tallies, undo_tally
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import WalkInTally
from booking_app.ui.context import AppContext
from booking_app.ui.stats.counter_panel import CounterPanel, TalliesModel
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
TERMINAL = "受付1"
pytestmark = pytest.mark.now(TODAY)


@pytest.fixture
def ctx(engine, desk, monkeypatch):
    monkeypatch.setenv("BOOKING_APP_TERMINAL", TERMINAL)
    return AppContext(engine, desk)


@pytest.fixture
def panel(qtbot, ctx):
    w = CounterPanel(ctx)
    qtbot.addWidget(w)
    w.resize(300, 640)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def answers(prompts):
    """The confirmation before an undo, answered by the prompts recorder; the questions it was asked."""
    return prompts.shown("confirm"), prompts


def live_tallies(engine) -> list[tuple[str, int, str, str]]:
    with read_session(engine) as s:
        rows = s.scalars(select(WalkInTally).where(WalkInTally.undone_at.is_(None)).order_by(WalkInTally.id))
        return [(t.category, t.count, t.terminal, str(t.at.date())) for t in rows]


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_one_click_counts_one_visitor(qtbot, panel, ctx):
    lounge, phone = panel.buttons["交流スペース"], panel.buttons["相談（電話）"]
    assert list(panel.buttons) == list(ctx.read(walkin_categories)) and len(panel.buttons) >= 8
    assert lounge.count_label.text() == "0" and panel.total_label.text() == "本日 0人"
    click(qtbot, lounge)
    click(qtbot, lounge)
    click(qtbot, phone)
    assert live_tallies(ctx.engine) == [("交流スペース", 1, TERMINAL, "2026-11-25")] * 2 + \
        [("相談（電話）", 1, TERMINAL, "2026-11-25")]
    assert lounge.count_label.text() == "2" and phone.count_label.text() == "1"
    assert panel.total_label.text() == "本日 3人"
    # The newest click on top of the list: time, category, +n, staff.
    m = panel.model
    assert m.rowCount() == 3
    assert [m.data(m.index(0, c)) for c in (1, 2, 3)] == ["相談（電話）", "+1", "受付スタッフ"]
    assert len(m.data(m.index(0, 0))) == 5 and m.data(m.index(0, 0))[2] == ":"
    # What the ledger says after a fresh load is what the buttons showed.
    panel.refresh()
    assert lounge.count == 2 and phone.count == 1 and panel.model.rowCount() == 3


def test_a_click_does_not_reload_the_panel(qtbot, panel, monkeypatch):
    calls = []
    monkeypatch.setattr(panel, "refresh", lambda: calls.append(1))
    click(qtbot, panel.buttons["見学"])
    assert panel.buttons["見学"].count == 1 and calls == []


def test_plus_n_counts_a_group_of_walk_ins(qtbot, panel, ctx):
    panel.many_category.setCurrentIndex(panel.many_category.findText("印刷機"))
    panel.many_spin.selectAll()
    qtbot.keyClicks(panel.many_spin, "12")
    assert panel.many_spin.value() == 12 and panel.many_button.text() == "+12 追加"
    click(qtbot, panel.many_button)
    assert live_tallies(ctx.engine) == [("印刷機", 12, TERMINAL, "2026-11-25")]
    assert panel.buttons["印刷機"].count_label.text() == "12" and panel.total_label.text() == "本日 12人"
    assert panel.model.data(panel.model.index(0, 2)) == "+12"


def test_undo_takes_back_this_terminals_last_tally_after_asking(qtbot, panel, ctx, answers):
    asked, prompts = answers
    click(qtbot, panel.buttons["交流スペース"])
    click(qtbot, panel.buttons["相談（来所）"])
    prompts.answer_confirm(False)
    click(qtbot, panel.undo_button)
    assert len(asked) == 1 and "相談（来所） +1" in asked[0]
    assert len(live_tallies(ctx.engine)) == 2  # やめる: nothing undone
    click(qtbot, panel.undo_button)  # then the recorder's default: yes
    assert live_tallies(ctx.engine) == [("交流スペース", 1, TERMINAL, "2026-11-25")]
    assert panel.buttons["相談（来所）"].count_label.text() == "0" and panel.total_label.text() == "本日 1人"
    m = panel.model
    assert m.data(m.index(0, 2)) == "+1（取消）" and m.data(m.index(0, 2), Qt.ItemDataRole.FontRole).strikeOut()
    # The next undo takes the tally before it, never one already undone.
    click(qtbot, panel.undo_button)
    assert "交流スペース +1" in asked[-1] and live_tallies(ctx.engine) == []


def test_undo_leaves_other_terminals_and_staff_alone(qtbot, panel, ctx, answers, monkeypatch):
    asked, prompts = answers
    errors = prompts.shown("show_error")
    manager = actor_for(ctx.engine, "manager")
    with write_session(ctx.engine) as s:
        add_tally(s, manager, "見学", 2, now=datetime(2026, 11, 25, 9, 5), terminal="受付2")
    panel.refresh()
    click(qtbot, panel.undo_button)
    assert asked == [] and errors and "取り消せるカウントがありません" in errors[0]
    assert live_tallies(ctx.engine) == [("見学", 2, "受付2", "2026-11-25")]


def test_another_terminals_click_arrives_with_the_poll(qtbot, panel, ctx):
    with write_session(ctx.engine) as s:  # another desk PC, not through this window's context
        add_tally(s, actor_for(ctx.engine, "manager"), "情報コーナー", 3,
                  now=datetime(2026, 11, 25, 10, 0), terminal="受付2")
    assert panel.buttons["情報コーナー"].count == 0
    assert panel.watcher.poll()  # what the 3-second timer does
    assert panel.buttons["情報コーナー"].count_label.text() == "3"
    assert panel.model.data(panel.model.index(0, 3)) == "センター長"
    assert not panel.watcher.poll()  # nothing new: no refresh


def test_counter_sits_on_the_today_page(qtbot, ctx):
    from booking_app.ui.booking.today_list import TodayListPage

    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1216, 700)
    page.show()
    qtbot.waitExposed(page)
    assert isinstance(page.counter_panel, CounterPanel)
    assert page.counter_panel.geometry().left() > page.table.geometry().right()  # on the right of the list
    click(qtbot, page.counter_panel.buttons["交流スペース"])
    assert page.counter_panel.buttons["交流スペース"].count == 1


def test_tallies_model(qtmodeltester, ctx):
    with write_session(ctx.engine) as s:
        a = add_tally(s, ctx.actor, "交流スペース", 1, now=datetime(2026, 11, 25, 9), terminal=TERMINAL)
        add_tally(s, ctx.actor, "見学", 4, now=datetime(2026, 11, 25, 10), terminal=TERMINAL)
        undo_tally(s, ctx.actor, a.id, now=datetime(2026, 11, 25, 9, 1))
    model = TalliesModel()
    model.set_rows(ctx.read(lambda s: last_tallies(s, day=TODAY)))
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.data(model.index(1, 2)) == "+1（取消）"
    assert model.data(model.index(0, 0)) == "10:00"
