"""The questions and notices a screen puts to desk staff (確認・通知・保存先), in one place.

Pages never open a QMessageBox or a QFileDialog of their own: they ask ``ctx.prompts``::

    if not self.ctx.prompts.confirm(self, "加入を取り消す", "この加入を取り消します。よろしいですか？"):
        return
    path = self.ctx.prompts.ask_save_path(self, "名簿を書き出す", "保険名簿.xlsx", EXCEL_OR_CSV)

Every text is shown as plain text (a group name that looks like HTML stays text). Tests replace the
one object with :class:`RecordingPrompts` (``tests/ui/conftest.py`` does it for every UI test), which
records each call and answers from what the test set, so no modal dialog waits for a click; in the
spirit of qutebrowser's ``utils/message`` and its ``messagemock``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMessageBox, QWidget

from booking_app.domain.errors import DomainError
from booking_app.ui import errors, plain_text

EXCEL = "Excel (*.xlsx)"
CSV = "CSV (*.csv)"
EXCEL_OR_CSV = f"{EXCEL};;{CSV}"
PDF = "PDF (*.pdf)"


class Prompts:
    """The real dialogs, modal, each returning what staff chose."""

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        """A notice with 「OK」."""
        plain_text.information(parent, title, text)

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        """A warning with 「OK」 (for an error from a service use :meth:`show_error`)."""
        plain_text.warning(parent, title, text)

    def confirm(self, parent: QWidget | None, title: str, text: str, *, yes: str = "はい",
                no: str = "いいえ") -> bool:
        """A yes/no question; True when staff press ``yes``. ``no`` is the default button."""
        box = plain_text.message_box(parent, QMessageBox.Icon.Question, title, text,
                                     QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
        box.button(QMessageBox.StandardButton.No).setText(no)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def ask_save_path(self, parent: QWidget | None, title: str, suggested: str | Path,
                      filters: str = EXCEL) -> Path | None:
        """Where to write a file, or None when staff cancel. A bare file name is suggested in the
        home folder; a name typed without a suffix gets the chosen filter's (``.xlsx`` for Excel)."""
        start = Path(suggested)
        if not start.is_absolute():
            start = Path.home() / start
        path, chosen = QFileDialog.getSaveFileName(parent, title, str(start), filters)
        return with_suffix(path, chosen, filters) if path else None

    def ask_open_path(self, parent: QWidget | None, title: str, start: str | Path = "",
                      filters: str = "") -> Path | None:
        """A file to read, or None when staff cancel."""
        path, _ = QFileDialog.getOpenFileName(parent, title, str(start), filters)
        return Path(path) if path else None

    def ask_text(self, parent: QWidget | None, title: str, label: str, *, text: str = "",
                 ok: str = "OK", cancel: str = "やめる") -> str | None:
        """One line of text (a reason, a name), stripped; None when staff step back."""
        dlg = QInputDialog(parent)
        dlg.setWindowTitle(title)
        dlg.setLabelText(label)
        dlg.setTextValue(text)
        dlg.setOkButtonText(ok)
        dlg.setCancelButtonText(cancel)
        if dlg.exec() != QInputDialog.DialogCode.Accepted:
            return None
        return one_line(dlg.textValue())

    def ask_choice(self, parent: QWidget | None, title: str, text: str, choices: Sequence[tuple[str, str]],
                   *, back: str = "戻る", default: str | None = None) -> str | None:
        """One button per (key, label) and a ``back`` button; the key pressed, None on ``back``/Esc.

        ``default`` is the key of the button Enter presses (the usual next step); without one, Enter
        presses the first.
        """
        box = plain_text.message_box(parent, QMessageBox.Icon.Question, title, text,
                                     QMessageBox.StandardButton.NoButton)
        for key, label in choices:
            b = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
            b.setObjectName(f"choice_{key}")  # the answer is read back from the name, not the wrapper object
            if key == default:
                box.setDefaultButton(b)
        box.addButton(back, QMessageBox.ButtonRole.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        name = clicked.objectName() if clicked is not None else ""
        keys = {f"choice_{key}": key for key, _label in choices}
        return keys.get(name)

    def ask_number(self, parent: QWidget | None, title: str, label: str, *, value: int = 0,
                   minimum: int = 0, maximum: int = 1000) -> int | None:
        """A whole number (a head count) prefilled with ``value``; None when staff step back."""
        dlg = QInputDialog(parent)
        dlg.setWindowTitle(title)
        dlg.setInputMode(QInputDialog.InputMode.IntInput)
        dlg.setIntRange(minimum, maximum)
        dlg.setIntStep(1)
        dlg.setIntValue(value)
        dlg.setLabelText(label)
        dlg.setCancelButtonText("やめる")
        for shown in dlg.findChildren(QLabel):  # the label may quote a name as typed
            plain_text.plain(shown)
        return dlg.intValue() if dlg.exec() == QInputDialog.DialogCode.Accepted else None

    def show_error(self, parent: QWidget | None, exc: BaseException) -> None:
        """A service's refusal (DomainError, its Japanese message as-is) or a calm message for anything else."""
        errors.show_error(parent, exc)

    def attempt(self, parent: QWidget | None, action: Callable[[], object]) -> bool:
        """Run ``action`` (a write, a printout); True when it went through. A refusal (DomainError) is
        shown with :meth:`show_error` and gives False, so a page's button handler is one line."""
        try:
            action()
        except DomainError as exc:
            self.show_error(parent, exc)
            return False
        return True


def one_line(value: str) -> str:
    """A typed one-line answer as the services get it: stripped, without control characters (a pasted
    NUL would reach the audit text, which PostgreSQL refuses; one line never needs one)."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


def _suffixes(filters: str) -> list[str]:
    """'.xlsx', '.csv' out of 'Excel (*.xlsx);;CSV (*.csv)'."""
    return [f".{m}" for m in re.findall(r"\*\.(\w+)", filters)]


def with_suffix(path: str, chosen_filter: str = "", filters: str = "") -> Path:
    """``path`` as typed, with the chosen filter's suffix unless it already ends in one the dialog offers
    (``名簿`` + Excel → ``名簿.xlsx``; ``名簿.2026`` → ``名簿.2026.xlsx``; ``名簿.csv`` stays)."""
    p = Path(path)
    offered = _suffixes(filters or chosen_filter)
    if p.suffix and (not offered or p.suffix.lower() in offered):
        return p
    chosen = _suffixes(chosen_filter) or offered
    return p.with_name(p.name + chosen[0]) if chosen else p


@dataclass
class Prompted:
    """One question or notice a screen put, as the recorder saw it."""

    kind: str  # "info", "warn", "confirm", "ask_save_path", "ask_open_path", "ask_text", "ask_choice",
    #            "ask_number", "show_error"
    title: str
    text: str
    error: BaseException | None = None
    default: str | None = None  # ask_choice: the key of the button Enter presses


@dataclass
class RecordingPrompts(Prompts):
    """A stand-in for tests: records every call in ``calls`` and answers without a window.

    Answers: ``confirm_answers`` (a queue; when empty, ``confirm_default``), ``save_path`` /
    ``open_path`` (None = cancelled), ``text_answers`` (a queue; when empty, ``text_default``; an answer
    comes back as the real dialog gives it: stripped, no control characters), ``choice_answers`` (keys; when
    empty, ``choice_default``, None = 戻る), ``number_answers`` (when empty, ``number_default``; None = cancelled).
    """

    calls: list[Prompted] = field(default_factory=list)
    confirm_default: bool = True
    confirm_answers: deque[bool] = field(default_factory=deque)
    save_path: Path | None = None
    open_path: Path | None = None
    text_default: str | None = None
    text_answers: deque[str | None] = field(default_factory=deque)
    choice_default: str | None = None
    choice_answers: deque[str | None] = field(default_factory=deque)
    number_default: int | None = None
    number_answers: deque[int | None] = field(default_factory=deque)

    # ----- answers a test sets
    def answer_confirm(self, *answers: bool) -> RecordingPrompts:
        self.confirm_answers.extend(answers)
        return self

    def answer_text(self, *answers: str | None) -> RecordingPrompts:
        self.text_answers.extend(answers)
        return self

    def answer_choice(self, *keys: str | None) -> RecordingPrompts:
        self.choice_answers.extend(keys)
        return self

    def answer_number(self, *numbers: int | None) -> RecordingPrompts:
        self.number_answers.extend(numbers)
        return self

    # ----- what a test reads
    def of(self, kind: str) -> list[Prompted]:
        return [c for c in self.calls if c.kind == kind]

    @property
    def infos(self) -> list[Prompted]:
        return self.of("info")

    @property
    def errors(self) -> list[BaseException]:
        return [c.error for c in self.calls if c.kind == "show_error" and c.error is not None]

    @property
    def error_texts(self) -> list[str]:
        return [c.text for c in self.of("show_error")]

    def texts(self, kind: str | None = None) -> list[str]:
        return [c.text for c in self.calls if kind is None or c.kind == kind]

    def shown(self, *kinds: str) -> LiveTexts:
        """The texts of the calls of these kinds (all when none given), read afresh at every look:
        a fixture can hand it out once and a test compares it later (``assert shown == []``)."""
        return LiveTexts(self, kinds)

    def clear(self) -> None:
        self.calls.clear()

    # ----- the Prompts API
    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.calls.append(Prompted("info", title, text))

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        self.calls.append(Prompted("warn", title, text))

    def confirm(self, parent: QWidget | None, title: str, text: str, *, yes: str = "はい",
                no: str = "いいえ") -> bool:
        self.calls.append(Prompted("confirm", title, text))
        return self.confirm_answers.popleft() if self.confirm_answers else self.confirm_default

    def ask_save_path(self, parent: QWidget | None, title: str, suggested: str | Path,
                      filters: str = EXCEL) -> Path | None:
        self.calls.append(Prompted("ask_save_path", title, str(suggested)))
        return self.save_path

    def ask_open_path(self, parent: QWidget | None, title: str, start: str | Path = "",
                      filters: str = "") -> Path | None:
        self.calls.append(Prompted("ask_open_path", title, str(start)))
        return self.open_path

    def ask_text(self, parent: QWidget | None, title: str, label: str, *, text: str = "",
                 ok: str = "OK", cancel: str = "やめる") -> str | None:
        self.calls.append(Prompted("ask_text", title, label))
        answer = self.text_answers.popleft() if self.text_answers else self.text_default
        return None if answer is None else one_line(answer)

    def ask_choice(self, parent: QWidget | None, title: str, text: str, choices: Sequence[tuple[str, str]],
                   *, back: str = "戻る", default: str | None = None) -> str | None:
        self.calls.append(Prompted("ask_choice", title, text, default=default))
        return self.choice_answers.popleft() if self.choice_answers else self.choice_default

    def ask_number(self, parent: QWidget | None, title: str, label: str, *, value: int = 0,
                   minimum: int = 0, maximum: int = 1000) -> int | None:
        self.calls.append(Prompted("ask_number", title, label))
        return self.number_answers.popleft() if self.number_answers else self.number_default

    def show_error(self, parent: QWidget | None, exc: BaseException) -> None:
        self.calls.append(Prompted("show_error", errors.error_title(exc), _error_text(exc), exc))


class LiveTexts(Sequence[str]):
    """The recorder's texts of some kinds, as they are now (compares equal to a list of them)."""

    def __init__(self, recorder: RecordingPrompts, kinds: tuple[str, ...]):
        self._recorder = recorder
        self._kinds = kinds

    def _now(self) -> list[str]:
        return [c.text for c in self._recorder.calls if not self._kinds or c.kind in self._kinds]

    def __getitem__(self, i):  # type: ignore[override]
        return self._now()[i]

    def __len__(self) -> int:
        return len(self._now())

    def __eq__(self, other: object) -> bool:
        return self._now() == (list(other) if isinstance(other, (list, tuple, LiveTexts)) else other)

    def __repr__(self) -> str:
        return repr(self._now())


def _error_text(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


_shared: Prompts = Prompts()


def shared() -> Prompts:
    """The Prompts every AppContext uses unless given its own (tests install a recorder here)."""
    return _shared


def install(prompts: Prompts) -> Prompts:
    """Make ``prompts`` the shared one; returns the previous (tests put it back)."""
    global _shared
    previous, _shared = _shared, prompts
    return previous


__all__ = ["Prompts", "RecordingPrompts", "Prompted", "LiveTexts", "shared", "install", "with_suffix", "one_line",
           "EXCEL", "CSV", "EXCEL_OR_CSV", "PDF"]
