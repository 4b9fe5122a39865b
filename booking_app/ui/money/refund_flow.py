"""還付 at the counter: cancelling a booking that has paid charges (booking dialog's 「予約を取消…」).

After the reason is typed, :func:`cancel_paid_booking` shows what the refund rules give for each receipt
that paid the booking (rate, yen and why, services.refunding.refund_preview) and asks how the money goes
back (現金・振込 …); 「やめる」 leaves the booking as it was. Then one unit of work cancels the booking and
writes the refunds (services.refunding.cancel_with_refund), and it offers to print the 還付明細書 through
the app's print preview (payment_dialog.preview_pdf, as receipts are printed).

A booking with nothing paid is not this module's: :func:`cancel_paid_booking` answers None and the dialog
cancels as before (and a series asks which dates). A paid booking of a series is cancelled on its own
date only: each paid date has its own refund and slip.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QWidget

from booking_app import clock
from booking_app.domain.documents import RefundDoc
from booking_app.domain.errors import DomainError
from booking_app.domain.fees import yen
from booking_app.services import refunding
from booking_app.ui.context import AppContext
from booking_app.ui.money import payment_dialog as pd

# How the money goes back; cash first, the usual answer at the counter.
METHOD_CHOICES = (("cash", "現金で返金"), ("transfer", "振込で返金"), ("card", "カード返金"), ("qr", "QR返金"),
                  ("other", "その他"))


def reason_label(ctx: AppContext) -> str:
    """The cancel's reason question, naming the reasons the refund rules refund in full (typed as listed)."""
    from booking_app.services.centre import get_profile

    full = ctx.read(lambda s: get_profile(s).refunds.full_reasons)
    label = "取消の理由（例：団体の都合、雨天中止）"
    if full:
        label += f"\n支払済みの予約で「{'」「'.join(full)}」と入力すると、いつでも全額還付です。"
    return label


def decision_text(lines: list[refunding.RefundLine], *, series: bool = False) -> str:
    """The refund decision as the question shows it: one paragraph per receipt, then the total."""
    parts = []
    for line in lines:
        parts.append(f"領収書 {line.receipt_no}（{line.payer_name} 様）\n"
                     f"　お支払 {yen(line.paid)} → 還付 {line.rate}%：{yen(line.amount)}\n"
                     f"　{line.why_text}")
    total = sum(line.amount for line in lines)
    text = "この予約は支払済みです。取り消すと還付の規則により次のとおり返金します。\n\n" + "\n\n".join(parts)
    if len(lines) > 1:
        text += f"\n\n還付の合計：{yen(total)}"
    if total == 0:
        text += "\n\n返金する額はありませんが、還付の記録（¥0）と理由は残り、明細書を印刷できます。"
    if series:
        text += "\n\n繰り返し予約のうち、この日の予約だけを取り消します。"
    return text + "\n\n還付の方法を選んでください。"


def render_refund_pdf(doc: RefundDoc) -> Path:
    """Render a 還付明細書 to a fresh temporary PDF (the preview deletes it when closed)."""
    from booking_app.reports.refund_pdf import render_refund

    fd, name = tempfile.mkstemp(prefix=f"refund_{doc.refund_no}_", suffix=".pdf")
    os.close(fd)
    render_refund(doc, Path(name))
    return Path(name)


def show_refund_slip(parent: QWidget | None, ctx: AppContext, refund_id: int) -> Path:
    """The 還付明細書 of one refund in the print preview; the temporary PDF's path."""
    doc = ctx.read(lambda s: refunding.refund_doc(s, refund_id))
    path = render_refund_pdf(doc)
    pd.preview_pdf(parent, path, title=f"還付明細書 {doc.refund_no}", suggested_name=f"還付明細書_{doc.refund_no}.pdf")
    return path


def cancel_paid_booking(parent: QWidget | None, ctx: AppContext, booking_id: int, reason: str, *,
                        version: int | None = None, series: bool = False) -> bool | None:
    """Cancel a paid booking with its refunds, asking the method first.

    None: nothing was paid (the caller cancels the usual way); False: staff stepped back, nothing written;
    True: cancelled and refunded. A refusal of the services (closed day, no reason …) propagates as
    DomainError for the caller to show."""
    today = clock.today()
    lines = ctx.read(lambda s: refunding.refund_preview(s, booking_id, today=today, reason=reason))
    if not lines:
        return None
    method = ctx.prompts.ask_choice(parent, "予約の取消と還付", decision_text(lines, series=series), METHOD_CHOICES,
                                    back="やめる", default="cash")
    if method is None:
        return False
    now = clock.now()
    result = ctx.write(lambda s, a: refunding.cancel_with_refund(s, a, booking_id, reason, method=method, now=now,
                                                                 expected_version=version),
                       changes={"booking", "receipt"})
    numbers = "・".join(r.refund_no for r in result.refunds)
    if ctx.prompts.confirm(parent, "還付明細書",
                           f"予約を取り消し、還付 {yen(result.total)} を記録しました（{numbers}）。\n"
                           "還付明細書を印刷しますか。", yes="印刷する", no="印刷しない"):
        for r in result.refunds:
            try:
                show_refund_slip(parent, ctx, r.id)
            except DomainError as exc:  # the refund stands; only the printing failed
                ctx.prompts.show_error(parent, exc)
    return True


__all__ = ["METHOD_CHOICES", "reason_label", "decision_text", "render_refund_pdf", "show_refund_slip", "cancel_paid_booking"]
