"""Screenshots taken by the app itself (画面写真): the pictures of docs/user-guide.md.

``fukufuku-desk --demo --today 2026-11-25 --screenshot FILE.png --page today`` shows a page of the main
window before the picture; ``--dialog NAME`` opens one of a few dialogs on top (non-modally, so nothing
waits for a click) and photographs the dialog instead. Several targets at once (``--page today,groups
--dialog booking``) need ``--screenshot`` to be a folder and write ``<name>.png`` for each, so one start of
the demo (the slow part, several seconds) gives every picture of the guide (docs/make_screenshots.sh).

Only public methods of the pages and dialogs are used, the way a person would get there, so a picture
shows what staff really see. Qt and the dialogs are imported inside the functions: the command line checks
the options (:func:`check_options`) without building anything, so a mistyped ``--page`` is answered at once
(importing this module takes ~30 ms; the dialogs and services it photographs take 1.1-1.4 s more, measured
with ``python -c "import booking_app.ui.screenshots; import …"`` on the 2-core test machine, 2026-12-07).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from booking_app import clock
from booking_app.domain.errors import ValidationError

# The main window's pages (MainWindow.PAGES, repeated so the options are checked without Qt).
PAGE_KEYS = ("calendar", "today", "search", "groups", "receipts", "insurance", "settings", "stats", "audit",
             "lottery")

# name -> what it shows; the page it is opened over when only the dialog is asked for.
DIALOGS: dict[str, tuple[str, str]] = {
    "booking": ("予約の登録（表示中の日の空き時間で）", "calendar"),
    "payment": ("支払・領収書（未収金のある予約）", "today"),
    "group-check": ("団体ページで団体を確認したところ", "groups"),
    "login": ("ログイン", "calendar"),
    "lock": ("画面ロック", "calendar"),
    "about": ("バージョン情報", "calendar"),
    "receipts-all": ("領収書ページ（全期間）", "receipts"),
    "cashup": ("領収書ページの日計表タブ（デモでは前日・デモの端末）", "receipts"),
    "accidents": ("保険ページの事故報告タブ", "insurance"),
    "keys": ("キー操作一覧（ヘルプ → キー操作一覧、F1）", "calendar"),
    "waitlist": ("キャンセル待ち（本日の予約の「キャンセル待ち」から、空いた枠の一覧）", "today"),
}

# A free slot of this length is looked for on the shown day for the booking dialog.
BOOKING_SLOT = timedelta(hours=2)
_DEAD = {"cancelled", "no_show", "expired", "skipped"}


@dataclass(frozen=True)
class Shot:
    """One picture: the page shown underneath, the dialog on top (or None), the file it goes to."""

    page: str | None
    dialog: str | None
    path: Path


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def plan_shots(screenshot: str | Path, page: str | None, dialog: str | None) -> list[Shot]:
    """The pictures asked for; ValidationError (Japanese) for an unknown name, or a file given for several.

    One target (or none): ``screenshot`` is the PNG file, and a page and a dialog together mean "this
    dialog over this page". More than one: ``screenshot`` is a folder, ``<page>.png`` / ``<dialog>.png``.
    """
    pages, dialogs = _split(page), _split(dialog)
    for p in pages:
        if p not in PAGE_KEYS:
            raise ValidationError(f"画面「{p}」はありません（指定できるもの：{'、'.join(PAGE_KEYS)}）。")
    for d in dialogs:
        if d not in DIALOGS:
            raise ValidationError(f"ダイアログ「{d}」はありません（指定できるもの：{'、'.join(DIALOGS)}）。")
    target = Path(screenshot)
    if len(pages) <= 1 and len(dialogs) <= 1:
        if target.is_dir():
            name = dialogs[0] if dialogs else (pages[0] if pages else "calendar")
            target = target / f"{name}.png"
        return [Shot(pages[0] if pages else None, dialogs[0] if dialogs else None, target)]
    if target.suffix.lower() == ".png":
        raise ValidationError("複数の画面を撮るときは --screenshot に保存先のフォルダを指定してください"
                              f"（「{target}」はファイル名です）。")
    return ([Shot(p, None, target / f"{p}.png") for p in pages]
            + [Shot(None, d, target / f"{d}.png") for d in dialogs])


def check_options(screenshot, page: str | None, dialog: str | None) -> None:
    """For the command line: --page / --dialog only with --screenshot, and only known names."""
    if screenshot is None:
        if page or dialog:
            raise ValidationError("--page と --dialog は --screenshot と一緒に指定してください。")
        return
    plan_shots(screenshot, page, dialog)


# --------------------------------------------------------------------------- preparing one picture


def prepare_screenshot(window, ctx, page: str | None, dialog: str | None):
    """Show page (and open dialog over it); the widget to photograph.

    A dialog is left open (non-modal); :func:`close_shot` closes it after the picture.
    """
    if dialog is not None and dialog not in DIALOGS:
        raise ValidationError(f"ダイアログ「{dialog}」はありません。")
    key = page or (DIALOGS[dialog][1] if dialog else None)
    if key is not None:
        if key not in window.PAGES:
            raise ValidationError(f"画面「{key}」はありません。")
        window.show_page(key)
    if dialog is None:
        return window
    return _DIALOG_MAKERS[dialog](window, ctx)


def close_shot(window, widget) -> None:
    """Close the dialog a picture was taken of (nothing to do for the main window itself)."""
    if widget is not None and widget is not window:
        widget.hide()
        widget.deleteLater()


def take_screenshots(window, ctx, screenshot: str, page: str | None, dialog: str | None,
                     grab: Callable[[object, str], bool]) -> bool:
    """Every picture asked for, one after the other in this window; True when all were saved."""
    ok = True
    for shot in plan_shots(screenshot, page, dialog):
        # A missing folder is created, as every command that writes a file does.
        shot.path.parent.mkdir(parents=True, exist_ok=True)
        widget = prepare_screenshot(window, ctx, shot.page, shot.dialog)
        try:
            saved = grab(widget, str(shot.path))
        finally:
            close_shot(window, widget)
        if not saved:  # never a silent exit 1: say which picture and where
            print(f"エラー：画面の画像を保存できませんでした：{shot.path}", file=sys.stderr)
        ok = saved and ok
    return ok


def _show(dialog):
    dialog.setModal(False)
    dialog.show()
    dialog.raise_()
    return dialog


def _shown_day(window) -> date:
    page = window.pages.get("calendar")
    return page.date() if hasattr(page, "date") else clock.today()


def _free_slot(window) -> tuple[int | None, datetime, datetime]:
    """A room and a two-hour slot with nothing booked on the calendar's day (afternoon first)."""
    day = _shown_day(window)
    page = window.pages.get("calendar")
    view = getattr(page, "day_view", None)
    rooms = view.room_ids() if view is not None else []
    live = [b for b in (view.bookings() if view is not None else []) if b.status not in _DEAD]
    # Afternoon and evening first (half-hour steps), then the morning.
    starts = [time(h, m) for h in (*range(13, 21), *range(9, 13)) for m in (0, 30)]
    for t in starts:
        start = datetime.combine(day, t)
        end = start + BOOKING_SLOT
        for room_id in rooms:
            if not any(b.room_id == room_id and b.start < end and start < b.end for b in live):
                return room_id, start, end
    start = datetime.combine(day, time(13, 0))
    return (rooms[0] if rooms else None), start, start + BOOKING_SLOT


def _booking(window, ctx):
    from booking_app.ui.booking.booking_dialog import BookingDialog

    room_id, start, end = _free_slot(window)
    dlg = BookingDialog(ctx, window, room_id=room_id, start=start, end=end)
    # A registered group as the booker, chosen the way staff do: type its number, press Enter.
    page = window.pages.get("calendar")
    view = getattr(page, "day_view", None)
    member = next((b for b in (view.bookings() if view is not None else []) if b.group_reg_no), None)
    if member is not None:
        dlg.group_edit.setText(member.group_reg_no)
        dlg.group_edit.textEdited.emit(member.group_reg_no)
        dlg.group_edit.returnPressed.emit()
        dlg.completer.popup().hide()
        dlg.purpose_edit.setText("定例会")
        dlg.attendees_spin.setValue(10)
    return _show(dlg)


def _payment(window, ctx):
    from booking_app.services import payments as pay_svc
    from booking_app.services.bookings import get_booking
    from booking_app.ui.money.payment_dialog import PaymentDialog

    day = clock.today()

    def pick(s):
        charges = [c for c in pay_svc.open_charges(s) if c.booking_id is not None]
        dated = [(get_booking(s, c.booking_id).start.date(), c.booking_id) for c in charges[-200:]]
        same_day = [bid for d, bid in dated if d == day]
        return same_day[0] if same_day else (dated[-1][1] if dated else None)

    booking_id = ctx.read(pick)
    return _show(PaymentDialog(ctx, window, booking_id=booking_id))


def _group_check(window, ctx):
    page = window.pages["groups"]
    if hasattr(page, "search_edit"):
        from booking_app.services import groups as group_svc

        today = clock.today()
        rows = ctx.read(lambda s: group_svc.search_groups(s, "", today=today))
        # A group in good standing, looked up by the start of its kana as at the counter (several hits).
        chosen = next((r for r in rows if r.status == "active" and r.kana), rows[0] if rows else None)
        if chosen is not None:
            page.search_edit.setText(chosen.kana[:2] if chosen.kana else (chosen.reg_no or chosen.name))
            page.run_search(select_id=chosen.id)
    return window


def _login(window, ctx):
    from booking_app.ui.access.login_dialog import LoginDialog

    dlg = LoginDialog(ctx.engine, demo=bool(getattr(ctx, "demo", False)), parent=window)
    return _show(dlg)


def _lock(window, ctx):
    from booking_app.ui.access.lock_screen import LockOverlay

    # Rendered without being shown: shown, the overlay would take the whole application's input.
    overlay = LockOverlay(window, ctx, demo=bool(getattr(ctx, "demo", False)))
    overlay.staff_label.setText(window.staff_button.text())
    overlay.setGeometry(window.geometry())
    overlay.resize(window.size())
    return overlay


def _about(window, ctx):
    from booking_app.ui.about_dialog import AboutDialog

    return _show(AboutDialog(window))


def _keys(window, ctx):
    from booking_app.ui.key_sheet import KeySheetDialog

    return _show(KeySheetDialog(window, ctx))


def _receipts_all(window, ctx):
    area = window.pages["receipts"]
    page = getattr(area, "receipts", None)
    if page is not None and hasattr(page, "all_days_check"):
        page.all_days_check.setChecked(True)  # today has none yet in the demo: every receipt, newest first
    return window


def _cashup(window, ctx):
    from PySide6.QtCore import QDate

    area = window.pages["receipts"]
    page = getattr(area, "cashup", None)
    if page is None:
        return window
    area.setCurrentWidget(page)
    from booking_app.demo.seeder import TERMINAL
    if getattr(ctx, "demo", False) and TERMINAL:
        # The demo's money was taken at its own terminal up to yesterday: show that day's cash-up.
        day = clock.today() - timedelta(days=1)
        page.terminal_combo.setCurrentText(TERMINAL)
        page.date_edit.setDate(QDate(day.year, day.month, day.day))
        page.refresh_button.click()
    return window


def _waitlist(window, ctx):
    """The waiting list of the first slot the today page lists as freed (the demo has some)."""
    from booking_app.services import waitlist as wl_svc
    from booking_app.ui.waitlist.dialog import WaitlistDialog

    now = clock.now()
    freed = ctx.read(lambda s: wl_svc.freed_slots(s, now.date(), now))
    if not freed:
        raise ValidationError("キャンセル待ちのある空いた枠がありません（--dialog waitlist）。", "dialog")
    slot = freed[0].slot
    return _show(WaitlistDialog(ctx, slot.room_id, slot.start, slot.end, window))


def _accidents(window, ctx):
    page = window.pages["insurance"]
    if hasattr(page, "show_accidents"):
        page.show_accidents()
    return window


_DIALOG_MAKERS = {"booking": _booking, "payment": _payment, "group-check": _group_check, "login": _login,
                  "lock": _lock, "about": _about, "receipts-all": _receipts_all, "cashup": _cashup,
                  "accidents": _accidents, "keys": _keys, "waitlist": _waitlist}

__all__ = ["DIALOGS", "PAGE_KEYS", "Shot", "check_options", "close_shot", "plan_shots", "prepare_screenshot",
           "take_screenshots"]
