"""Writing a file off the GUI thread (書き出し): one way for every page's export.

Ask where through ``ctx.prompts``, run the writer on the worker (``ui.workers.Op``, a progress dialog
after ~400 ms), then say on the GUI thread what was written, or why not, in Japanese::

    export_file(self, self.ctx, title="保険の名簿を書き出す", suggested=f"保険名簿_{label}.xlsx",
                filters=EXCEL_OR_CSV, write=lambda path: write_roster(engine, actor, fy, path),
                done=lambda n, path: f"{label}の名簿（{n}行）を書き出しました。\\n{path}")

``write(path)`` runs on the worker thread: it must not touch widgets and opens its own session from an
engine (``unit_of_work.write(engine, fn)``), never the page's. Its result goes to ``done(result, path)``
(the notice's text; None for no notice) and ``on_done(result, path)`` (the page's own follow-up, e.g.
remembering the path or saying it on the page).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from booking_app.domain.errors import DomainError
from booking_app.ui.context import AppContext
from booking_app.ui.prompts import EXCEL
from booking_app.ui.workers import Op


class ExportOp(Op):
    """An Op that knows the file it writes."""

    def __init__(self, parent: QWidget | None, fn: Callable[[], Any], path: Path):
        super().__init__(parent, fn)
        self.path = path


def file_error(exc: BaseException) -> BaseException:
    """An OSError (a locked file, a full or read-only disk) as a DomainError saying what to do; others as they are."""
    if isinstance(exc, OSError):
        return DomainError(f"ファイルに書き出せませんでした（{exc.strerror or exc}）。"
                           "ファイルを開いていれば閉じるか、別の場所か別の名前で保存してください。")
    return exc


def export_file(parent: QWidget | None, ctx: AppContext, *, title: str, suggested: str | Path,
                write: Callable[[Path], Any], done: Callable[[Any, Path], str | None], filters: str = EXCEL,
                progress: str = "書き出しています…", on_done: Callable[[Any, Path], None] | None = None,
                on_failed: Callable[[BaseException], None] | None = None,
                path: Path | None = None) -> ExportOp | None:
    """Ask for the file (unless ``path`` is given), write it in the background, report. None when cancelled.

    The returned Op carries ``path``; tests wait on ``op.finished`` or ``qtbot.waitUntil(lambda: op.done)``.
    """
    target = path if path is not None else ctx.prompts.ask_save_path(parent, title, suggested, filters)
    if target is None:
        return None
    chosen: Path = target

    def alive() -> bool:
        """The page is still open (staff may close it while the file is written)."""
        return parent is None or shiboken6.isValid(parent)

    def succeeded(result: Any) -> None:
        if on_done is not None and alive():
            on_done(result, chosen)
        text = done(result, chosen)
        if text:  # a page that says it on the page itself returns None: no notice to click away
            ctx.prompts.info(parent if alive() else None, title, text)

    def failed(exc: BaseException) -> None:
        if on_failed is not None and alive():
            on_failed(exc)
        ctx.prompts.show_error(parent if alive() else None, file_error(exc))

    op = ExportOp(parent, lambda: write(chosen), chosen)
    op.success(succeeded).failure(failed).with_progress(progress).run_in_background()
    return op


__all__ = ["ExportOp", "export_file", "file_error"]
