"""Background operations (バックグラウンド処理): one small runner for every slow action.

In the spirit of Anki's ``QueryOp``: a function runs on a worker thread, its result or exception
comes back on the GUI thread through a queued signal, and a progress dialog appears only when the
job takes longer than ~400 ms (short jobs stay silent, so the screen does not flicker).

The function must not touch widgets and must open its own session from ``ctx.engine``
(``read_session(engine)``/``write_session(engine)``): a SQLAlchemy session belongs to one thread.

    Op(self, lambda: make_pdf(engine, ids, out)) \\
        .success(lambda path: PdfPreviewDialog.show_pdf(self, path, ...)) \\
        .with_progress("利用票を作成しています…") \\
        .run_in_background()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from booking_app.ui import prompts

PROGRESS_DELAY_MS = 400

_pool: QThreadPool | None = None
_running: set[Op] = set()  # keeps Python references alive until the result is delivered


def thread_pool() -> QThreadPool:
    """The single worker every Op shares: database work is serialised, never run side by side."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


def wait_for_ops(msecs: int = 10_000) -> bool:
    """Block until the worker is idle (tests and application shutdown)."""
    return thread_pool().waitForDone(msecs)


class _Bridge(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the call into the GUI event loop."""

    done = Signal(object, object)  # result, exception


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], bridge: _Bridge):
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._bridge = bridge

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to the failure callback, never lost in the thread
            self._bridge.done.emit(None, exc)
        else:
            self._bridge.done.emit(result, None)


class Op(QObject):
    """A background operation (処理) with ``success``/``failure`` callbacks on the GUI thread.

    ``finished`` is emitted after the callbacks ran (tests wait on it). Cancel is cooperative:
    ``cancel_event`` is set when staff press 中止, and a long function may check it.
    """

    finished = Signal(object, object)  # result, exception

    def __init__(self, parent: QWidget | None, fn: Callable[[], Any]):
        super().__init__(None)  # not owned by the widget: a closing dialog must not kill the delivery
        self._parent = parent
        self._fn = fn
        self._on_success: Callable[[Any], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._progress_label: str | None = None
        self._cancellable = False
        self._progress: QProgressDialog | None = None
        self._timer: QTimer | None = None
        self.cancel_event = threading.Event()
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # ----- builder
    def success(self, fn: Callable[[Any], None]) -> Op:
        self._on_success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> Op:
        self._on_failure = fn
        return self

    def with_progress(self, label: str = "処理しています…", *, cancellable: bool = False) -> Op:
        self._progress_label = label
        self._cancellable = cancellable
        return self

    def run_in_background(self) -> Op:
        _running.add(self)
        if self._progress_label is not None:
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._show_progress)
            self._timer.start(PROGRESS_DELAY_MS)
        thread_pool().start(_Runnable(self._fn, self._bridge))
        return self

    # ----- GUI thread
    def _show_progress(self) -> None:
        if self.done:
            return
        parent = self._parent if self._parent is None or shiboken6.isValid(self._parent) else None
        dlg = QProgressDialog(self._progress_label or "", "中止" if self._cancellable else "", 0, 0, parent)
        dlg.setWindowTitle("処理中")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        if not self._cancellable:
            dlg.setCancelButton(None)
        dlg.canceled.connect(self.cancel_event.set)
        dlg.show()
        self._progress = dlg

    @property
    def progress_shown(self) -> bool:
        return self._progress is not None

    def _deliver(self, result: Any, exc: BaseException | None) -> None:
        self.done = True
        self.result, self.error = result, exc
        if self._timer is not None:
            self._timer.stop()
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        try:
            if exc is None:
                if self._on_success is not None:
                    self._on_success(result)
            elif self._on_failure is not None:
                self._on_failure(exc)
            else:
                alive = self._parent is None or shiboken6.isValid(self._parent)
                prompts.shared().show_error(self._parent if alive else None, exc)
        finally:
            _running.discard(self)
            self.finished.emit(result, exc)


def run_op(parent: QWidget | None, fn: Callable[[], Any], *, on_success: Callable[[Any], None] | None = None,
           on_failure: Callable[[BaseException], None] | None = None, progress: str | None = None) -> Op:
    """Shorthand: ``run_op(self, fn, on_success=..., progress='…')``."""
    op = Op(parent, fn)
    if on_success is not None:
        op.success(on_success)
    if on_failure is not None:
        op.failure(on_failure)
    if progress is not None:
        op.with_progress(progress)
    return op.run_in_background()


__all__ = ["Op", "run_op", "thread_pool", "wait_for_ops", "PROGRESS_DELAY_MS"]
