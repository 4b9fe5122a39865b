"""The keys of a form dialog (入力する画面のキー操作), in one call: Enter and Ctrl+S save, Tab leaves every
table, note and date field, and Esc asks 「入力内容を破棄しますか？」 once something was typed.

Built on :mod:`booking_app.ui.keyboard` (the keys are named actions listed in キー操作一覧)::

    self.keys = form_keys(self, self.save_button, section="行事の追加・編集")
    ...
    def reject(self):
        if not self.keys.may_close(shared_prompts()):
            return
        super().reject()

The snapshot of the fields is taken when ``form_keys`` is called (the end of ``__init__``, once the dialog
is filled); an untouched dialog closes on Esc at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QDialog, QLabel, QPushButton, QWidget

from booking_app.ui.keyboard import InputSnapshot, free_tab_everywhere, may_discard, shortcut_action


_MNEMONIC = re.compile(r"\s*[(（]&(.)[)）]")


def label_name(text: str) -> str:
    """A label as a screen reader should say it: 「仮予約の保留期間(&H)」 → 「仮予約の保留期間」."""
    return _MNEMONIC.sub("", text).replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def name_buddies(root: QWidget) -> None:
    """Every field under ``root`` whose label carries a Japanese-style mnemonic (「名前(&N)」) is named by the
    label without it: Qt would read 「名前(N)」. Fields named explicitly keep their name."""
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is None or buddy.accessibleName():
            continue
        if _MNEMONIC.search(label.text()):
            buddy.setAccessibleName(label_name(label.text()))


class FormKeys:
    """What :func:`form_keys` set up on a dialog: the save key's action and the snapshot Esc compares with."""

    def __init__(self, dialog: QDialog, save_button: QAbstractButton | None, section: str,
                 extra: Callable[[], Any] | None):
        self.dialog = dialog
        self.save_button = save_button
        self.save_action = None
        if save_button is not None:
            if isinstance(save_button, QPushButton):
                # Enter in a one-line field saves. Off and on again: a button made default before its box was
                # in the dialog is not the dialog's main default, and loses it once Tab has passed over it.
                save_button.setDefault(False)
                save_button.setDefault(True)
            label = save_button.text().replace("&", "")

            def save() -> None:
                if save_button.isEnabled() and save_button.isVisible():
                    save_button.click()

            self.save_action = shortcut_action(dialog, label, "Ctrl+S", save, section=section, name="save_key")
            tip = save_button.toolTip()
            save_button.setToolTip(f"{tip}\nキー：Enter／Ctrl+S" if tip else "キー：Enter／Ctrl+S")
        free_tab_everywhere(dialog)  # tables, notes and date fields give Tab back
        name_buddies(dialog)
        self.snapshot = InputSnapshot(dialog, extra)

    def retake(self) -> None:
        """The fields as they are now count as untyped (after the dialog filled itself in later)."""
        self.snapshot.retake()

    def may_close(self, prompts: Any) -> bool:
        """True when Esc/キャンセル may close: nothing typed, or staff chose 「破棄する」."""
        return may_discard(self.dialog, prompts, self.snapshot)


def form_keys(dialog: QDialog, save_button: QAbstractButton | None, *, section: str,
              extra: Callable[[], Any] | None = None) -> FormKeys:
    """Enter/Ctrl+S on ``save_button``, Tab that leaves tables, notes and dates, and the snapshot for Esc."""
    return FormKeys(dialog, save_button, section, extra)


__all__ = ["FormKeys", "form_keys", "label_name", "name_buddies"]
