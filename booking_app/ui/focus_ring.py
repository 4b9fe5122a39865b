"""A focus ring you can see from the other side of the counter (フォーカス枠).

Fusion marks the focused button or field with a thin, pale outline, and the Windows styles with a dotted
rectangle inside the button; a clerk who works by keyboard loses track of where the next key goes. One
:class:`QFocusFrame` follows the focus through every window and paints a 2-pixel dark-blue frame just
outside the focused control, whatever the style. It is one small widget moved on focus changes, so it costs
nothing while painting lists (a style proxy would run Python for every primitive of every cell).

Painted widgets that draw their own focus (the calendar grid, with its cell cursor) set the dynamic
property ``own_focus_frame`` and are left alone; so are menus and pop-up lists.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QFocusFrame, QMenu, QWidget

FOCUS_COLOR = QColor("#0b57d0")
FOCUS_WIDTH = 2
OWN_FRAME_PROPERTY = "own_focus_frame"


class FocusRing(QFocusFrame):
    """The frame itself: QFocusFrame places it around the widget (outside it, over its neighbours)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(FOCUS_COLOR, FOCUS_WIDTH))
            p.setBrush(Qt.BrushStyle.NoBrush)
            half = FOCUS_WIDTH // 2
            r: QRect = self.rect().adjusted(half, half, -half - 1, -half - 1)
            p.drawRoundedRect(r, 3, 3)
        finally:
            p.end()


def wants_ring(w: QWidget | None) -> bool:
    if w is None or isinstance(w, QMenu) or w.isWindow():
        return False
    if w.property(OWN_FRAME_PROPERTY):
        return False
    popup = w.window()
    return not (popup is not None and popup.windowType() == Qt.WindowType.Popup)


class FocusRingKeeper(QObject):
    """Moves one ring to whichever widget has the focus (QApplication.focusChanged)."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.ring: FocusRing | None = None
        app.focusChanged.connect(self._moved)

    def _moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.ring is not None and not shiboken6.isValid(self.ring):
            self.ring = None  # it went with the widget it was framing (a closed dialog)
        if not wants_ring(new):
            if self.ring is not None:
                self.ring.setWidget(None)
                self.ring.hide()
            return
        assert new is not None
        # A combo box's or spin box's inner line edit: ring the whole control.
        target = new
        parent = new.parentWidget()
        if parent is not None and parent.focusProxy() is new:
            target = parent
        if self.ring is None:
            self.ring = FocusRing()
        self.ring.setWidget(target)
        self.ring.show()
        self.ring.raise_()


_keeper: FocusRingKeeper | None = None


def uninstall() -> None:
    """Take the ring away again (tests that look at it leave the next test without one)."""
    global _keeper
    if _keeper is not None and shiboken6.isValid(_keeper):
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.disconnect(_keeper._moved)
        if _keeper.ring is not None and shiboken6.isValid(_keeper.ring):
            _keeper.ring.setWidget(None)
            _keeper.ring.deleteLater()
        _keeper.deleteLater()
    _keeper = None


def install(app: QApplication) -> FocusRingKeeper:
    """Show the desk's focus ring in every window of ``app`` (once)."""
    global _keeper
    if _keeper is None or not shiboken6.isValid(_keeper):
        _keeper = FocusRingKeeper(app)
    return _keeper
