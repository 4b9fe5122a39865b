"""取込の上限 in settings (issue 15): a manager changes the limits and the next import obeys them."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.domain.errors import ValidationError
from booking_app.services import centre, imports
from booking_app.services.import_limits import DEFAULTS, MB, ImportLimits, get_import_limits
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry
from booking_app.ui.context import AppContext
from booking_app.ui.settings.import_limits_settings import ImportLimitsWidget
from tests.pinning import DEFAULT_NOW

pytestmark = pytest.mark.now(DEFAULT_NOW)


@pytest.fixture
def ctx(sqlite_url):
    engine = make_engine(sqlite_url)
    with write_session(engine) as s:
        centre.ensure_initial_data(s)
        staff = {x.role: x.as_actor() for x in centre.list_staff(s)}
    c = AppContext(engine, staff["manager"])
    c.staff = staff
    yield c
    engine.dispose()


def type_into(qtbot, spin, value: int) -> None:
    """Select the spin box's text and type the number, as a person does."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), str(value))
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)


def test_manager_lowers_the_row_limit_and_the_next_import_is_refused_naming_it(qtbot, ctx, tmp_path):
    w = ImportLimitsWidget(ctx)
    qtbot.addWidget(w)
    assert (w.max_mb.value(), w.max_rows.value(), w.max_columns.value(), w.max_cell_chars.value()) == \
        (20, 50_000, 100, 2_000)
    assert w.max_mb.suffix() == " MB" and w.max_rows.suffix() == " 行" and w.max_columns.suffix() == " 列" \
        and w.max_cell_chars.suffix() == " 文字"
    type_into(qtbot, w.max_rows, 100)
    type_into(qtbot, w.max_mb, 5)
    qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
    assert w.note.text() == "取込の上限を保存しました。"
    with read_session(ctx.engine) as s:
        assert get_import_limits(s) == ImportLimits(5 * MB, 100, 100, 2_000)
        assert s.scalars(select(AuditEntry.summary).where(AuditEntry.entity == "import_limits")).one()

    path = tmp_path / "台帳.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["利用日", "部屋", "団体名", "目的", "開始", "終了"]]
                                + [["2020/01/01", "大会議室", f"会{i}", "会議", "9:00", "12:00"] for i in range(101)])
    with pytest.raises(ValidationError) as caught:
        imports.import_bookings_file(ctx.engine, ctx.actor, path, dry_run=True)
    assert "上限は 100行" in caught.value.message and "取込の上限" in caught.value.message

    qtbot.mouseClick(w.defaults_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
    with read_session(ctx.engine) as s:
        assert get_import_limits(s) == DEFAULTS


def test_desk_staff_see_the_limits_read_only(qtbot, ctx):
    ctx.set_actor(ctx.staff["desk"])
    w = ImportLimitsWidget(ctx)
    qtbot.addWidget(w)
    assert not w.save_button.isEnabled() and not w.max_rows.isEnabled()
    assert "管理者" in w.note.text()
    ctx.set_actor(ctx.staff["manager"])
    assert w.save_button.isEnabled() and w.note.text() == ""


def test_a_refused_save_is_shown_and_nothing_stored(qtbot, ctx, prompts):
    shown = prompts.shown("show_error")
    w = ImportLimitsWidget(ctx)
    qtbot.addWidget(w)
    ctx.set_actor(ctx.staff["desk"])  # the role changed under an open screen: the service decides
    w.save()
    assert shown and "管理者のみ" in shown[0]
    with read_session(ctx.engine) as s:
        assert get_import_limits(s) == DEFAULTS
