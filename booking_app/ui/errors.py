"""Showing errors to desk staff (エラー表示).

A DomainError carries a Japanese message written for the desk, so it becomes the main text as-is with
a title that says what kind of problem it is. Anything else is a bug or an outage: staff get a calm
Japanese sentence and the technical details sit behind 「詳細を表示」, never a stack trace up front.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from booking_app.services import unit_of_work
from booking_app.ui.plain_text import plain_box
from booking_app.domain.errors import (
    Busy,
    ConflictError,
    DomainError,
    NotFound,
    PermissionDenied,
    RuleError,
    ValidationError,
)

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


SERVER_LOST_MESSAGE = ("データベースサーバーに接続できません。入力内容はこの画面に残っています。"
                       "サーバーが戻ったらもう一度［保存］を押してください。")


def is_connection_error(exc: BaseException) -> bool:
    """The database could not be reached (server restart, network): not a bug, nothing was saved."""
    return unit_of_work.is_connection_error(exc)


def error_title(exc: BaseException) -> str:
    """Dialog title for an exception, by its kind."""
    if is_connection_error(exc):
        return _tr("サーバーに接続できません")
    if isinstance(exc, Busy):
        return _tr("他の端末が処理中です")
    if isinstance(exc, ConflictError):
        return _tr("予約が重複しています")
    if isinstance(exc, RuleError):
        return _tr("規則外です")
    if isinstance(exc, ValidationError):
        return _tr("入力を確かめてください")
    if isinstance(exc, PermissionDenied):
        return _tr("権限がありません")
    if isinstance(exc, NotFound):
        return _tr("見つかりません")
    if isinstance(exc, DomainError):
        return _tr("確認してください")
    return _tr("エラーが発生しました")


def build_error_box(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    """The message box :func:`show_error` shows, not yet executed (tests inspect it)."""
    box = QMessageBox(parent)
    box.setWindowTitle(error_title(exc))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    if isinstance(exc, DomainError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(exc.message)
    elif is_connection_error(exc):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(_tr(SERVER_LOST_MESSAGE))
        box.setDetailedText(f"{type(exc).__name__}: {exc}")
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText(_tr("処理を完了できませんでした。もう一度お試しください。"
                        "繰り返し起きる場合は、システム管理者に下の詳細をお伝えください。"))
        box.setInformativeText(f"{type(exc).__name__}: {exc}")
        box.setDetailedText("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    # A service's message may quote a name someone typed: shown as text, never as HTML.
    return plain_box(box)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show exc to the user in a modal message box (blocks until closed)."""
    if is_connection_error(exc):
        log.warning("database unreachable: %s", exc)
    elif not isinstance(exc, DomainError):
        log.error("unexpected error shown to the user", exc_info=exc)
    build_error_box(parent, exc).exec()


def install_connection_error_hook() -> None:
    """Any screen's save that meets a lost server says so calmly instead of failing silently.

    A slot that raises is reported by PySide through ``sys.excepthook`` and simply stops: a dialog
    that did not reach ``accept()`` stays open with what was typed. Screens that catch only
    DomainError thus still give staff the 「サーバーに接続できません」 message; other errors go to
    the previous hook unchanged.
    """
    import sys

    previous = sys.excepthook
    if getattr(previous, "_fukufuku_connection_hook", False):
        return

    def hook(exc_type, exc, tb):
        if exc is not None and is_connection_error(exc):
            from PySide6.QtWidgets import QApplication

            show_error(QApplication.activeWindow(), exc)
            return
        previous(exc_type, exc, tb)

    hook._fukufuku_connection_hook = True
    sys.excepthook = hook
