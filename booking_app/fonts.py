"""The bundled IPAex Japanese fonts (``resources/fonts/``), for Qt widgets and ReportLab PDFs.

The app never relies on system fonts, so receipts and screens look the same on every machine.
Qt is imported only inside :func:`register_qt_fonts`, so this module imports without Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

FontKind = Literal["gothic", "mincho"]

_FILES: dict[FontKind, str] = {"gothic": "ipaexg.ttf", "mincho": "ipaexm.ttf"}
#: ReportLab font names (also the family names the font files declare).
REPORTLAB_NAMES: dict[FontKind, str] = {"gothic": "IPAexGothic", "mincho": "IPAexMincho"}

_qt_family: str | None = None


def fonts_dir() -> Path:
    """``resources/fonts`` of the source tree, or of a PyInstaller bundle (``sys._MEIPASS``)."""
    meipass = getattr(sys, "_MEIPASS", None)
    base = Path(meipass) if meipass else Path(__file__).resolve().parents[1]
    return base / "resources" / "fonts"


def font_path(kind: FontKind = "gothic") -> Path:
    """Path of the bundled font file: ``'gothic'`` (IPAexゴシック) or ``'mincho'`` (IPAex明朝)."""
    try:
        name = _FILES[kind]
    except KeyError:
        raise ValueError(f"unknown font kind {kind!r}; expected 'gothic' or 'mincho'") from None
    path = fonts_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled font missing: {path}")
    return path


def register_qt_fonts() -> str:
    """Add both fonts to Qt's application font database; return the gothic family name.

    Needs a ``QGuiApplication``/``QApplication`` to exist already. Safe to call repeatedly.
    """
    global _qt_family
    from PySide6.QtGui import QFontDatabase

    if _qt_family is not None and _qt_family in QFontDatabase.families():
        return _qt_family
    families: dict[str, str] = {}
    for kind in _FILES:
        font_id = QFontDatabase.addApplicationFont(str(font_path(kind)))
        if font_id < 0:
            raise RuntimeError(f"Qt could not load font {font_path(kind)}")
        names = QFontDatabase.applicationFontFamilies(font_id)
        families[kind] = names[0] if names else REPORTLAB_NAMES[kind]
    _qt_family = families["gothic"]
    return _qt_family


def register_reportlab_fonts() -> None:
    """Register 'IPAexGothic' and 'IPAexMincho' with ReportLab (idempotent)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = set(pdfmetrics.getRegisteredFontNames())
    for kind, name in REPORTLAB_NAMES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(font_path(kind))))
