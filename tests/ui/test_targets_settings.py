"""年度目標: targets per fiscal year set in settings move the dashboard's target; other years keep theirs."""

from datetime import date

import pytest
from PySide6.QtCore import Qt

from booking_app.domain.errors import PermissionDenied
from booking_app.services import centre
from booking_app.services.stats import progress as stats
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.ui.context import AppContext
from booking_app.ui.settings.targets_settings import TargetsWidget


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


def test_manager_sets_this_years_targets_and_the_dashboard_follows(qtbot, ctx):
    w = TargetsWidget(ctx)
    qtbot.addWidget(w)
    fy = w.fiscal_year()
    assert (w.users.value(), w.groups.value()) == (29000, 260) and "既定" in w.source.text()
    w.users.setValue(30000)
    w.groups.setValue(265)
    qtbot.mouseClick(w.save_button, Qt.MouseButton.LeftButton)
    with read_session(ctx.engine) as s:
        assert centre.targets_for(s, fy).users == 30000
        assert centre.targets_for(s, fy + 1).users == 29000  # another year keeps the plan's figure
        p = stats.year_progress(s, today=date(fy, 11, 25))
    assert (p.target, p.groups_target) == (30000, 265)
    assert "設定した" in w.source.text()


def test_desk_staff_cannot_set_targets(qtbot, ctx):
    ctx.set_actor(ctx.staff["desk"])
    w = TargetsWidget(ctx)
    qtbot.addWidget(w)
    assert not w.save_button.isEnabled() and "管理者" in w.note.text()
    with pytest.raises(PermissionDenied), write_session(ctx.engine) as s:
        centre.save_targets(s, ctx.actor, 2026, 1, 1)
