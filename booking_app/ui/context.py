"""What every screen needs: the database, the staff member on duty, and a change broadcast.

Screens never open sessions on their own account in the middle of a user action: they call
``ctx.write(fn)`` / ``ctx.read(fn)``, which run one unit of work, and then ``ctx.changed`` tells every
view what changed so each decides whether to refresh (views stay independent of one another).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from booking_app import clock
from booking_app.services.common import Actor
from booking_app.services.unit_of_work import Engine, Session, read_session, write_session
from booking_app.ui import prompts as prompts_module
from booking_app.ui.prompts import Prompts

T = TypeVar("T")


class AppContext(QObject):
    """Shared by the main window and every dialog; tests build one on a temp database."""

    # what changed: a set of entity names such as {"booking"}, {"profile"}, {"staff"}
    changed = Signal(object)
    actor_changed = Signal(object)
    engine_changed = Signal(object)  # another person signed in with their own database login

    def __init__(self, engine: Engine, actor: Actor, *, db_label: str = "", prompts: Prompts | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine
        self.actor = actor
        self.db_label = db_label
        self.demo = False  # a demo database: the login and lock screens show the demo password
        self._prompts = prompts

    @property
    def prompts(self) -> Prompts:
        """Questions and notices to staff (ui/prompts.py); the shared one unless this context was given its own."""
        return self._prompts if self._prompts is not None else prompts_module.shared()

    @prompts.setter
    def prompts(self, value: Prompts | None) -> None:
        self._prompts = value

    @property
    def today(self) -> date:
        """Today by the app's clock (booking_app/clock.py): every screen's "today"."""
        return clock.today()

    def set_actor(self, actor: Actor) -> None:
        self.actor = actor
        self.actor_changed.emit(actor)

    def switch_login(self, engine: Engine, actor: Actor) -> None:
        """担当者の切り替え on PostgreSQL: each person acts through their own database login, so the next
        person brings their own engine; the previous person's connections are closed."""
        old, self.engine = self.engine, engine
        if old is not engine:
            self.engine_changed.emit(engine)
        self.set_actor(actor)
        if old is not engine:
            old.dispose()

    def read(self, fn: Callable[[Session], T]) -> T:
        with read_session(self.engine) as session:
            return fn(session)

    def write(self, fn: Callable[[Session, Actor], T], *, changes: set[str] | frozenset[str] = frozenset({"booking"})) -> T:
        """Run one unit of work as the staff member on duty; DomainError propagates to the caller."""
        with write_session(self.engine) as session:
            result = fn(session, self.actor)
        if changes:
            self.changed.emit(set(changes))
        return result
