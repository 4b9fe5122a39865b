"""利用票 (usage slips) as a PDF in the preview: the one renderer of the booking pages (:func:`slip_pdf`),
and the booking dialog's 「保存後に利用票を印刷」 (:func:`print_saved_slips`).

The choice is remembered per PC (QSettings). More slips than SLIPS_IN_FOREGROUND are made off the GUI
thread: one slip takes a few tens of ms, a year of weekly dates a second or more. The booking is saved
whatever happens here; a failure only says the slip could not be made.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from booking_app import clock
from booking_app.domain.documents import SlipDoc
from booking_app.domain.errors import NotFound
from booking_app.services.common import Actor
from booking_app.services import slips as slip_svc
from booking_app.services import unit_of_work
from booking_app.services.lookups import live_series_booking_ids
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.money import payment_dialog  # its preview_pdf, looked up at call time (tests replace it)
from booking_app.ui.workers import Op

PRINT_SLIP_KEY = "booking/print_slip_after_save"
SLIPS_IN_FOREGROUND = 3
NO_SLIPS = "印刷する利用票がありません。"


def print_slip_remembered() -> bool:
    return bool(QSettings().value(PRINT_SLIP_KEY, True, type=bool))


def remember_print_slip(on: bool) -> None:
    QSettings().setValue(PRINT_SLIP_KEY, bool(on))


def slip_pdf(engine, actor, gather: Callable[[Session, Actor], Sequence[SlipDoc]]) -> tuple[Path, list[str]] | None:
    """The slips ``gather(session, actor)`` reads, rendered to a temp PDF: (path, booking numbers), or None
    when there are none.

    ``gather`` records the print run in the audit trail as ``actor``'s, so it runs in a write transaction
    of its own (this runs on a worker thread as well); the rendering follows after it, no write lock held.
    """
    # Start-up: reportlab takes ~0.3 s to import (python -X importtime -c "import booking_app.reports.slip_pdf"),
    # so it is loaded with the first slip, not with the booking pages.
    from booking_app.reports.slip_pdf import render_slips

    docs = unit_of_work.write(engine, lambda session: gather(session, actor))
    if not docs:
        return None
    fd, name = tempfile.mkstemp(prefix="slips_", suffix=".pdf")
    os.close(fd)
    render_slips(docs, Path(name), layout="A5")
    return Path(name), [d.booking_no for d in docs]


def make_slip_pdf(engine, actor, booking_ids: Sequence[int] = (), series_id: int | None = None):
    """The slips of the bookings (or of every live date of the series) in a temp PDF; see :func:`slip_pdf`."""

    def gather(session: Session, actor: Actor):
        ids = list(booking_ids)
        if series_id is not None:
            ids = live_series_booking_ids(session, series_id, clock.today())
        return slip_svc.print_slips(session, actor, ids)

    return slip_pdf(engine, actor, gather)


def show_slip_preview(parent: QWidget | None, path, numbers: Sequence[str]) -> None:
    if len(numbers) == 1:
        title, name = f"利用票 {numbers[0]}", f"利用票_{numbers[0]}.pdf"
    else:
        title = f"利用票 {numbers[0]} ほか{len(numbers) - 1}件"
        name = f"利用票_{numbers[0]}_ほか{len(numbers) - 1}件.pdf"
    payment_dialog.preview_pdf(parent, path, title=title, suggested_name=name)


def print_saved_slips(owner: QWidget | None, ctx: AppContext, booking_ids: Sequence[int],
                      series_id: int | None, count: int) -> Op | None:
    """The slips of what was just saved (a series: every live date, in one PDF), in the preview of ``owner``.

    ``count`` is how many bookings were saved: up to SLIPS_IN_FOREGROUND are made at once; more on the
    worker thread, whose Op is returned (tests wait on it); None when done in the foreground.
    """
    ids = list(booking_ids)

    def work():
        return make_slip_pdf(ctx.engine, ctx.actor, ids, series_id)

    def done(result) -> None:
        if result is None:
            ctx.prompts.show_error(owner, NotFound(NO_SLIPS))
            return
        show_slip_preview(owner, *result)

    def failed(exc: BaseException) -> None:
        ctx.prompts.show_error(owner, exc)

    if count <= SLIPS_IN_FOREGROUND:
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - the booking is saved; only the slip failed
            failed(exc)
            return None
        done(result)
        return None
    return Op(owner, work).success(done).failure(failed) \
        .with_progress("利用票を作成しています…").run_in_background()


__all__ = ["slip_pdf", "make_slip_pdf", "print_saved_slips", "print_slip_remembered", "remember_print_slip",
           "show_slip_preview"]
