"""Issue 14 from the screens: each print or export of personal data made from a page records exactly one
audit row, as the staff member on duty, with the action and entity the services tests check."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.store.engine import read_session
from booking_app.store.models import AuditEntry
from booking_app.ui.groups import groups_page as gp
from booking_app.ui.insurance import insurance_page as ip
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.stats import stats_page as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from factories import at, load_world  # noqa: E402

pytestmark = pytest.mark.now(date(2026, 11, 25))  # slips of the next day, cards valid to this fiscal year's end
DAY = date(2026, 11, 26)


def rows(engine) -> list[tuple]:
    with read_session(engine) as s:
        return [(e.action, e.entity, e.entity_id, e.staff_id, e.after.get("rows")) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["print", "export"])).order_by(AuditEntry.id))]


@pytest.fixture
def previews(monkeypatch) -> list[str]:
    """The previews the pages would open (their titles); the temporary PDFs are removed."""
    titles: list[str] = []

    def fake(parent, path, *, title, suggested_name):
        titles.append(title)
        Path(path).unlink()

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return titles


def test_slips_from_the_day_list_and_after_saving_are_audited(qtbot, ctx, engine, previews):
    from booking_app.ui.booking.slips import make_slip_pdf
    from booking_app.ui.booking.today_list import TodayListPage

    world = load_world(engine)
    one = world.book(at(DAY, 10), at(DAY, 12)).id
    world.book(at(DAY, 13), at(DAY, 15))
    me = ctx.actor.id
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(DAY)
    page.show()
    assert page.select_booking(one)
    qtbot.mouseClick(page.slip_button, Qt.MouseButton.LeftButton)  # 利用票印刷
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert rows(engine) == [("print", "booking", one, me, 1)]
    page.set_day(date(2026, 11, 25))
    qtbot.mouseClick(page.tomorrow_slips_button, Qt.MouseButton.LeftButton)  # 翌日の利用票
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert rows(engine)[1:] == [("print", "booking", None, me, 2)] and len(previews) == 2

    path, numbers = make_slip_pdf(engine, ctx.actor, [one])  # the booking dialog's 保存後に利用票
    path.unlink()
    assert rows(engine)[2:] == [("print", "booking", one, me, 1)] and len(numbers) == 1


def test_a_member_card_from_the_groups_page_is_audited(qtbot, ctx, engine, monkeypatch, prompts):
    world = load_world(engine)
    gid = world.make_group("ふくふく太鼓の会", valid_until=date(2027, 3, 31), reg_no="0012")
    opened: list[str] = []
    monkeypatch.setattr(gp.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    page = gp.GroupsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_group(gid)
    qtbot.mouseClick(page.card_button, Qt.MouseButton.LeftButton)
    assert prompts.error_texts == []
    assert len(opened) == 1
    Path(opened[0]).unlink()
    assert rows(engine) == [("print", "member_group", gid, ctx.actor.id, 1)]


def test_the_enrolment_list_from_the_insurance_page_is_audited(qtbot, ctx, engine, previews, prompts):
    page = ip.InsurancePage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.print_enrolment_list("volunteer") is not None
    assert prompts.error_texts == []
    assert rows(engine) == [("print", "insurance_enrolment", None, ctx.actor.id, 0)] and len(previews) == 1


def test_the_statistics_export_from_the_stats_page_is_audited(qtbot, ctx, engine, prompts, tmp_path):
    target = tmp_path / "統計.csv"
    prompts.save_path = target
    page = sp.StatsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_tab("export")
    page.format_radios["csv"].click()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    with qtbot.wait_signal(page.last_op.finished, timeout=20_000):
        pass
    assert prompts.error_texts == []
    assert target.is_file()
    assert rows(engine) == [("export", "statistics", None, ctx.actor.id, None)]


def test_a_statistics_file_that_cannot_be_written_leaves_no_audit_row(qtbot, ctx, engine, prompts, tmp_path):
    blocked = tmp_path / "統計.xlsx"
    blocked.mkdir()  # a folder where the file should go: the write fails after the figures are gathered
    prompts.save_path = blocked
    page = sp.StatsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_tab("export")
    page.format_radios["xlsx"].click()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    with qtbot.wait_signal(page.last_op.finished, timeout=20_000):
        pass
    assert [t.startswith("ファイルに書き出せませんでした") for t in prompts.error_texts] == [True]
    assert rows(engine) == []


def test_the_insurance_roster_export_is_audited_and_a_failed_one_is_not(qtbot, ctx, engine, manager, prompts,
                                                                        tmp_path):
    ctx.set_actor(manager)  # the roster holds personal data: managers only
    page = ip.InsurancePage(ctx)
    qtbot.addWidget(page)
    page.show()
    blocked = tmp_path / "保険名簿.xlsx"
    blocked.mkdir()
    prompts.save_path = blocked
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert [t.startswith("ファイルに書き出せませんでした") for t in prompts.error_texts] == [True]
    assert rows(engine) == []

    target = tmp_path / "保険名簿.csv"
    prompts.save_path = target
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert target.is_file() and len(prompts.error_texts) == 1
    assert rows(engine) == [("export", "insurance_enrolment", None, manager.id, 0)]
