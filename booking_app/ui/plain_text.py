"""User text is shown as text (利用者の文字は文字として表示).

Qt guesses: a QLabel, a message box or a tooltip whose text *looks like* HTML (``Qt.mightBeRichText``)
is rendered as HTML. A group named ``<span style="font-size:28pt;color:red">偽の警告</span>`` would then
shout a fake warning in red on every screen that names the group, and an ``<img src=…>`` would make Qt
read a file. So every widget that may show what someone typed (group, representative, insurance holder,
payer and staff names, purposes, notes, reasons) is told the format instead of letting Qt guess:

* labels: :func:`plain` / :func:`plain_label` (``Qt.TextFormat.PlainText``);
* a label that keeps our own markup (bold, colour, ``<br>``) is :func:`rich` and every piece of user
  text in it goes through :func:`esc`;
* message boxes: :func:`plain_box` (the main and the informative text), :func:`message_box`;
* tooltips (always guessed by Qt): :func:`tip`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace  # Qt.mightBeRichText lives in QtGui's Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

PLAIN = Qt.TextFormat.PlainText


def esc(text: object) -> str:
    """User text made safe to put inside our own rich text (``<``, ``>``, ``&`` and quotes escaped)."""
    return html.escape("" if text is None else str(text), quote=True)


def might_be_rich(text: str) -> bool:
    """Whether Qt would render ``text`` as HTML where it is left to guess (``Qt::mightBeRichText``)."""
    return bool(QtGuiNamespace.mightBeRichText(text))


def plain(label: QLabel) -> QLabel:
    """The label shows its text as typed, whatever it looks like (returned for chaining)."""
    label.setTextFormat(PLAIN)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A new QLabel that shows ``text`` as plain text."""
    label = QLabel(parent)
    label.setTextFormat(PLAIN)
    label.setText(text)
    return label


def rich(label: QLabel) -> QLabel:
    """The label renders our own markup; callers put user text in it only through :func:`esc`."""
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def tip(text: str | None) -> str | None:
    """A tooltip that shows ``text`` as typed.

    Qt renders a tooltip as rich text when it looks like HTML; such text is escaped and wrapped in a
    paragraph (line breaks kept), anything else is returned unchanged (Qt shows it as plain text).
    """
    if not text or not might_be_rich(text):
        return text
    return "<p style='white-space:pre-wrap'>" + esc(text) + "</p>"


def plain_box(box: QMessageBox) -> QMessageBox:
    """The message box shows its text and informative text as plain text (returned for chaining).

    Call after setInformativeText: Qt creates the informative label on first use and lets it guess.
    """
    box.setTextFormat(PLAIN)
    for label in box.findChildren(QLabel, "qt_msgbox_informativelabel"):
        label.setTextFormat(PLAIN)
    return box


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok) -> QMessageBox:
    """A QMessageBox (not yet executed) whose text is plain text."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(PLAIN)
    box.setText(text)
    return box


def information(parent: QWidget | None, title: str, text: str) -> None:
    """QMessageBox.information with the text shown as plain text."""
    message_box(parent, QMessageBox.Icon.Information, title, text).exec()


def warning(parent: QWidget | None, title: str, text: str) -> None:
    """QMessageBox.warning with the text shown as plain text."""
    message_box(parent, QMessageBox.Icon.Warning, title, text).exec()


def question(parent: QWidget | None, title: str, text: str) -> bool:
    """QMessageBox.question (はい／いいえ) with the text shown as plain text; True on はい."""
    box = message_box(parent, QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes
