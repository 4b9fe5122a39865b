"""A USB barcode/QR scanner (バーコードリーダー) at the desk, anywhere in the app.

A scanner is a keyboard that types very fast: reading a member card it types ``FKG:0012`` and Enter,
reading a booking slip ``FKB:123`` and Enter. :class:`ScannerFilter`, installed on the QApplication,
recognises such a burst (every key within ``max_interval`` of the previous one), swallows it so the
code never lands in whatever field had focus, and emits :attr:`~ScannerFilter.groupScanned` or
:attr:`~ScannerFilter.bookingScanned`.

People are never slowed down or swallowed: only a keystroke that could begin a code (``F``) is held,
for at most ``max_interval``; as soon as the next key comes late, does not fit, or the time runs out,
the held keys are delivered to where they were going, in order.

Real keyboard input reaches a window (``QWindow``) before any widget, so the filter watches key
events there only: each keystroke is seen exactly once, however far it then propagates among
widgets, and synthetic events sent straight to a widget (``QTest`` on a widget) are left alone.

With a Japanese IME switched on, the IME eats the keystrokes and commits ``ＦＫＧ：００１２`` at Enter;
that commit is recognised too (after NFKC folding) and swallowed.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent, QWindow

GROUP_PREFIX = "FKG:"  # booking_app.services.groups.CARD_PREFIX (a test keeps them equal)
BOOKING_PREFIX = "FKB:"  # booking slips (予約票)
DEFAULT_MAX_INTERVAL = 0.05  # seconds between a scanner's keystrokes; people type slower

# A scanner set up for a US keyboard on a Japanese (JIS) layout PC types ':' as '+'.
_SEPARATORS = ":+"
_MAX_PAYLOAD = 20
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MODIFIER_KEYS = {
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock,
}
_GROUP_CHARS = re.compile(r"[0-9A-Za-z\-_/.]")
_CODE_RE = re.compile(r"^FK([GB])[:+]([0-9A-Z\-_/.]{1,20})$")


def parse_code(text: str) -> tuple[str, str] | None:
    """('group', reg_no) or ('booking', digits) for a scanned code such as 'FKG:0012', else None.

    Full-width text (from an IME) and lower case (Caps Lock on) are accepted.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    lowered = folded[:2] == "fk"
    m = _CODE_RE.match(folded.upper())
    if not m:
        return None
    payload = folded[4:]
    if lowered:
        payload = payload.swapcase()  # Caps Lock inverted everything the scanner typed
    if m[1] == "B":
        return ("booking", payload) if payload.isdigit() and len(payload) <= 12 else None
    return "group", payload


@dataclass
class _Held:
    """A keystroke held back while it may still be part of a scan."""

    target: QObject
    event: QKeyEvent
    at: float


def _copy(event: QKeyEvent) -> QKeyEvent:
    # The original event lives on Qt's stack and is gone once delivery ends: keep our own copy.
    return QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(), event.isAutoRepeat(),
                     event.count())


class ScannerFilter(QObject):
    """Recognises a barcode/QR scanner (バーコードリーダー) typing a card or slip code.

    Args:
        parent: usually the QApplication.
        clock: seconds as a float (default ``time.monotonic``); tests pass a fake one.
        max_interval: the longest pause between two keystrokes of one scan, in seconds.
    """

    groupScanned = Signal(str)  # registration number (登録番号)
    bookingScanned = Signal(int)  # booking id (予約番号)

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic,
                 max_interval: float = DEFAULT_MAX_INTERVAL) -> None:
        super().__init__(parent)
        self._clock = clock
        self._max_interval = max_interval
        self._held: list[_Held] = []
        self._replaying = False
        self._enabled = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    # ------------------------------------------------------------------ public

    def isEnabled(self) -> bool:  # noqa: N802 - Qt naming
        return self._enabled

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802 - Qt naming
        """Switch recognition off (e.g. while a field expects codes typed as text); releases held keys."""
        if not enabled:
            self.flush()
        self._enabled = enabled

    @property
    def pending(self) -> str:
        """The text held back so far (empty when nothing is held)."""
        return "".join(h.event.text() for h in self._held)

    def flush(self) -> None:
        """Deliver every held keystroke to where it was going, in order."""
        self._timer.stop()
        held, self._held = self._held, []
        self._replaying = True
        try:
            for h in held:
                if shiboken6.isValid(h.target):
                    QCoreApplication.sendEvent(h.target, h.event)
        finally:
            self._replaying = False

    # ------------------------------------------------------------------ filtering

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if self._replaying or not self._enabled:
            return False
        etype = event.type()
        if etype == QEvent.Type.KeyPress and isinstance(obj, QWindow):
            return self._key_press(obj, event)  # type: ignore[arg-type]
        if (etype == QEvent.Type.InputMethod and isinstance(event, QInputMethodEvent)
                and obj is QGuiApplication.focusObject()):  # once, at the field being typed into
            return self._input_method(event)
        return False

    def _key_press(self, window: QObject, event: QKeyEvent) -> bool:
        key = event.key()
        if key in _MODIFIER_KEYS:
            return False  # Shift pressed for 'F' or ':' belongs to the stream but carries nothing
        now = self._clock()
        text = event.text()
        if self._held and now - self._held[-1].at > self._max_interval:
            self.flush()  # too slow for a scanner: a person is typing
        if self._held and key in _ENTER_KEYS:
            parsed = parse_code(self.pending)
            if parsed:
                self._held.clear()
                self._timer.stop()
                self._emit_later(*parsed)
                return True
        plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                          | Qt.KeyboardModifier.MetaModifier))
        if plain and len(text) == 1 and self._could_continue(self.pending + text):
            self._held.append(_Held(window, _copy(event), now))
            self._timer.start(max(1, int(self._max_interval * 1000) + 5))
            return True
        self.flush()
        return False

    @staticmethod
    def _could_continue(text: str) -> bool:
        """True while text may still grow into a code: 'F', 'FK', 'FKG', 'FKG:', 'FKG:00', …"""
        head, body = text[:4], text[4:]
        wanted = "FK?:"
        for i, ch in enumerate(head):
            if i == 2:
                if ch.upper() not in "GB":
                    return False
            elif i == 3:
                if ch not in _SEPARATORS:
                    return False
            elif ch.upper() != wanted[i]:
                return False
        if not body:
            return True
        if len(body) > _MAX_PAYLOAD:
            return False
        if head[2].upper() == "B":
            return body.isdigit() and len(body) <= 12
        return all(_GROUP_CHARS.fullmatch(ch) for ch in body)

    def _on_timeout(self) -> None:
        if not self._held:
            return
        waited = self._clock() - self._held[-1].at
        if waited > self._max_interval:
            self.flush()
        else:
            # The timer ran ahead of the clock (a fake one in tests): look again shortly.
            self._timer.start(max(1, int((self._max_interval - waited) * 1000) + 5))

    def _input_method(self, event: QInputMethodEvent) -> bool:
        parsed = parse_code(event.commitString())
        if not parsed or event.preeditString():
            return False
        self._emit_later(*parsed)
        return True  # the field never sees the committed code

    def _emit_later(self, kind: str, value: str) -> None:
        # Emitted from the event loop, not inside the key event: a slot may open a modal dialog.
        if kind == "booking":
            QTimer.singleShot(0, self, lambda: self.bookingScanned.emit(int(value)))
        else:
            QTimer.singleShot(0, self, lambda: self.groupScanned.emit(value))


def install_scanner(app: QCoreApplication, **kwargs) -> ScannerFilter:
    """Install the scanner filter on the application once and return it (the same one if called again)."""
    existing = app.findChild(ScannerFilter)
    if existing is not None:
        return existing
    scanner = ScannerFilter(app, **kwargs)
    app.installEventFilter(scanner)
    return scanner
