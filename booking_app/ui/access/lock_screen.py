"""The lock screen (画面ロック): the desk PC left alone locks itself.

The counter PC stands where visitors can see and reach it. After some minutes without a key or a
mouse event the main window is covered by :class:`LockOverlay`, an application-modal frameless window
laid exactly over the main window: being modal it blocks every click, key and shortcut of the app
(a child widget over the window would still let keyboard shortcuts and Tab reach the pages), and it
is opaque so the day's names and phone numbers are hidden. The staff member on duty unlocks with
their password; anyone else logs in instead and becomes the one on duty.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError
from booking_app.domain.roles import role_label
from booking_app.services import auth
from booking_app.services.db_login import sign_in
from booking_app.ui.context import AppContext
from booking_app.ui.access.login_dialog import (
    ERROR_STYLE,
    HINT_STYLE,
    LoginDialog,
    password_field,
    signed_in_base_url,
    switch_database_login,
)

IDLE_MINUTES_KEY = "lock/idle_minutes"
DEFAULT_IDLE_MINUTES = 10

# Input that shows somebody is at the desk.
_ACTIVITY = {
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.InputMethod,
}


def idle_minutes_setting() -> int:
    """Minutes without input before the screen locks (QSettings); 0 = never."""
    value = QSettings().value(IDLE_MINUTES_KEY, DEFAULT_IDLE_MINUTES)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


class LockOverlay(QDialog):
    """画面ロック中: covers the main window until the password is typed."""

    unlocked = Signal()

    def __init__(self, window: QWidget, ctx: AppContext, *, demo: bool = False):
        super().__init__(window, Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("lock_overlay")
        self.ctx = ctx
        self._window = window
        self._demo = demo
        self._may_close = False
        self.setModal(True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        # A locked PC must still let Windows log off or shut down: the session's end may close us.
        QApplication.instance().commitDataRequest.connect(self._allow_close)
        self.setStyleSheet("QDialog#lock_overlay { background: #33415c; }"
                           "QFrame#lock_card { background: white; border-radius: 8px; }")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame()
        card.setObjectName("lock_card")
        card.setMinimumWidth(460)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)

        lay = QVBoxLayout(card)
        lay.setContentsMargins(28, 24, 28, 24)
        lay.setSpacing(10)
        title = QLabel(self.tr("画面ロック中"))
        title.setObjectName("lock_title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("QLabel { font-size: 18pt; font-weight: bold; color: #33415c; }")
        lay.addWidget(title)
        self.staff_label = QLabel()
        self.staff_label.setTextFormat(Qt.TextFormat.PlainText)  # a staff name is data, never markup
        self.staff_label.setObjectName("lock_staff")
        self.staff_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_label.setStyleSheet("QLabel { font-size: 12pt; }")
        lay.addWidget(self.staff_label)
        prompt = QLabel(self.tr("パスワードを入力するとロックを解除します。"))
        lay.addWidget(prompt)
        self.password = password_field("lock_password")
        self.password.setAccessibleName(self.tr("パスワード"))
        prompt.setBuddy(self.password)
        lay.addWidget(self.password)
        self.error_label = QLabel()
        self.error_label.setObjectName("lock_error")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        lay.addWidget(self.error_label)
        self.demo_hint = QLabel(self.tr("デモ用パスワード：{pw}").format(pw=auth.DEMO_PASSWORD))
        self.demo_hint.setStyleSheet(HINT_STYLE)
        self.demo_hint.setVisible(demo)
        lay.addWidget(self.demo_hint)
        buttons = QHBoxLayout()
        self.switch_button = QPushButton(self.tr("別の担当者でログイン"))
        self.switch_button.setObjectName("switch_button")
        self.switch_button.setAutoDefault(False)
        self.switch_button.clicked.connect(self.switch_staff)
        self.unlock_button = QPushButton(self.tr("ロック解除"))
        self.unlock_button.setObjectName("unlock_button")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        lay.addLayout(buttons)

    # ----- showing and hiding
    def cover(self) -> None:
        """Lay the overlay over the main window and take the input."""
        actor = self.ctx.actor
        self.staff_label.setText(
            self.tr("担当者：{name}（{role}）").format(name=actor.name, role=role_label(actor.role)))
        self.password.clear()
        self.error_label.setVisible(False)
        self._may_close = False
        self.fit_window()
        self.show()
        self.raise_()
        self.activateWindow()
        self.password.setFocus()

    def fit_window(self) -> None:
        window = self._window
        self.setGeometry(window.frameGeometry() if window.isVisible() else window.geometry())

    def _allow_close(self, *_args) -> None:
        self._may_close = True

    def _release(self) -> None:
        self._may_close = True
        self.hide()
        self.unlocked.emit()

    # Escape, Alt+F4 and the like must not open the lock.
    def reject(self) -> None:
        if self._may_close:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._may_close:
            super().closeEvent(event)
        else:
            event.ignore()

    # ----- the two ways out
    def _error(self, text: str) -> None:
        # QA: word wrap split 「…ロックされま／す）」; the remark in brackets goes on a line of its own.
        self.error_label.setText(text.replace("。（", "。\n（"))
        self.error_label.setVisible(True)
        self.password.clear()
        self.password.setFocus()

    def try_unlock(self) -> bool:
        password = self.password.text()
        if not password:
            self._error(self.tr("パスワードを入力してください。"))
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a password check takes ~0.6 s
        try:
            base_url = signed_in_base_url(self.ctx.engine)
            if base_url is None:
                auth.verify_current(self.ctx.engine, self.ctx.actor, password)
            else:
                # PostgreSQL: the server checks the password of the login on duty (a fresh connection,
                # closed at once); the app never holds a password hash for a database login.
                engine, _actor = sign_in(base_url, self.ctx.engine.url.username or "", password)
                engine.dispose()
        except DomainError as exc:
            QApplication.restoreOverrideCursor()
            self._error(exc.message)
            return False
        except BaseException:
            QApplication.restoreOverrideCursor()
            raise
        QApplication.restoreOverrideCursor()
        self._release()
        return True

    def switch_staff(self) -> bool:
        switched = switch_database_login(self, self.ctx)  # PostgreSQL: the next person's own login
        if switched is not None:
            if not switched:
                self.password.setFocus()
                return False
            self._release()
            return True
        actor = LoginDialog.get(self, self.ctx.engine, demo=self._demo)
        if actor is None:
            self.password.setFocus()
            return False
        if actor != self.ctx.actor:
            self.ctx.set_actor(actor)
        self._release()
        return True


class IdleLock(QObject):
    """Locks the main window after ``idle_minutes`` without input (installed on the QApplication).

    ``interval_ms`` overrides the minutes (tests use a few milliseconds). 0 minutes = never by
    itself; :meth:`lock` (ファイル→画面をロック) still works.
    """

    locked = Signal()
    unlocked = Signal()

    def __init__(self, window: QWidget, ctx: AppContext, *, idle_minutes: int | None = None,
                 interval_ms: int | None = None, demo: bool = False, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self.ctx = ctx
        self.demo = demo
        self.overlay: LockOverlay | None = None
        self._installed_on: QObject | None = None
        minutes = idle_minutes_setting() if idle_minutes is None else idle_minutes
        self.interval_ms = interval_ms if interval_ms is not None else minutes * 60_000
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        if self.interval_ms > 0:
            self.timer.setInterval(self.interval_ms)
            self.timer.start()
        window.idle_lock = self  # so ファイル→画面をロック finds this lock

    @property
    def is_locked(self) -> bool:
        return self.overlay is not None and self.overlay.isVisible()

    def install(self, app: QApplication | None = None) -> None:
        app = app or QApplication.instance()
        app.installEventFilter(self)
        self._installed_on = app

    def uninstall(self) -> None:
        if self._installed_on is not None:
            self._installed_on.removeEventFilter(self)
            self._installed_on = None
        self.timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _ACTIVITY:
            if not self.is_locked and self.interval_ms > 0:
                self.timer.start()
        elif obj is self.window and kind in (QEvent.Type.Move, QEvent.Type.Resize) and self.is_locked:
            self.overlay.fit_window()
        return False

    def lock(self) -> None:
        """Cover the window now (the idle timer, or ファイル→画面をロック)."""
        self.timer.stop()
        if self.is_locked:
            return
        if self.overlay is None:
            self.overlay = LockOverlay(self.window, self.ctx, demo=self.demo)
            self.overlay.unlocked.connect(self._on_unlocked)
        self.overlay.cover()
        self.locked.emit()

    def _on_unlocked(self) -> None:
        if self.interval_ms > 0:
            self.timer.start()
        self.unlocked.emit()


def lock_now(window: QWidget, ctx: AppContext) -> IdleLock:
    """Lock the window at once, with its IdleLock (one that never fires by itself if none is installed)."""
    lock = getattr(window, "idle_lock", None)
    if lock is None:
        lock = IdleLock(window, ctx, idle_minutes=0, demo=bool(getattr(ctx, "demo", False)))
    lock.lock()
    return lock
