"""The About dialog (バージョン情報): version, centre, runtime versions, and the licences of what ships.

The desktop build carries fonts and libraries under their own licences; several of them (the IPA Font
License, the LGPL of Qt/PySide6) require their text to go with every copy, so the dialog lists each one
and shows its full text. Library licence names and texts are read from the installed packages'
metadata (``*.dist-info``, copied into the build by installer/fukufuku-desk.spec); a fallback table
and the texts in ``resources/licenses/`` cover packages whose metadata has none.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
from dataclasses import dataclass
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import booking_app
from booking_app import fonts
from booking_app.domain.profile import load_default_profile
from booking_app.services.centre import get_profile
from booking_app.ui.keyboard import tab_leaves
from booking_app.ui.plain_text import plain_label

APP_TITLE = "ふくふくデスク"
COPYRIGHT = "© 2026 ふくふくデスク開発チーム（しものせき市民活動センター 受付業務システム）"
FONT_VERSION = "004.01"
FONT_LICENCE = "IPAフォントライセンスv1.0"
FONT_LICENCE_FILE = "IPA_Font_License_Agreement_v1.0.txt"

# (shown name, distribution, licence when the metadata has none, text in resources/licenses/ when the
# package carries none). The first nine are the libraries the app itself uses; the rest come with them.
LIBRARIES: tuple[tuple[str, str, str, str | None], ...] = (
    ("PySide6（Qt for Python）・Qt 6", "PySide6_Essentials", "LGPL-3.0-only", "LGPL-3.0.txt"),
    ("PySide6 Addons（QtPdf・QtCharts）", "PySide6_Addons", "LGPL-3.0-only", "LGPL-3.0.txt"),
    ("shiboken6", "shiboken6", "LGPL-3.0-only", "LGPL-3.0.txt"),
    ("SQLAlchemy", "SQLAlchemy", "MIT", None),
    ("Alembic", "alembic", "MIT", None),
    ("ReportLab", "reportlab", "BSD-3-Clause", None),
    ("openpyxl", "openpyxl", "MIT", None),
    ("pyrage（age 暗号化）", "pyrage", "MIT", None),
    ("psycopg", "psycopg", "LGPL-3.0-only", "LGPL-3.0.txt"),
    ("psycopg-binary（libpq 同梱）", "psycopg-binary", "LGPL-3.0-only", "LGPL-3.0.txt"),
    ("python-dateutil", "python-dateutil", "Apache-2.0 OR BSD-3-Clause", None),
    ("holidays", "holidays", "MIT", None),
    ("platformdirs", "platformdirs", "MIT", None),
    ("Pillow", "pillow", "MIT-CMU", None),
    ("Mako", "Mako", "MIT", None),
    ("MarkupSafe", "MarkupSafe", "BSD-3-Clause", None),
    ("et_xmlfile", "et_xmlfile", "MIT", None),
    ("six", "six", "MIT", None),
    ("typing_extensions", "typing_extensions", "PSF-2.0", None),
)
LGPL_NOTE = ("ふくふくデスクはこのライブラリを改変せず、差し替え可能な共有ライブラリとして"
             "LGPL-3.0 の条件で利用しています。ソースコードは配布元から入手できます。")
# License files that are not licences (credits lists).
_NOT_LICENCE = ("AUTHORS", "CONTRIBUTORS")


@dataclass(frozen=True)
class LicenceEntry:
    """One row of the licence list: what it is, its version, its licence, and where its text is."""

    name: str
    version: str
    licence: str
    kind: str  # "フォント" | "実行環境" | "ライブラリ"
    distribution: str | None = None
    text_file: Path | None = None

    def text(self) -> str:
        parts: list[str] = []
        if self.distribution:
            parts += _dist_licence_texts(self.distribution)
        if not parts and self.text_file is not None and self.text_file.is_file():
            parts.append(self.text_file.read_text(encoding="utf-8", errors="replace"))
        if not parts:
            return (f"{self.name}\nライセンス：{self.licence}\n\n"
                    "このパッケージにはライセンス文が含まれていません。配布元で全文を確認してください。")
        header = f"{self.name} {self.version}\nライセンス：{self.licence}\n"
        if "LGPL" in self.licence:
            header += LGPL_NOTE + "\n"
        header += "─" * 40 + "\n\n"
        return header + "\n\n".join(parts)


def resources_dir() -> Path:
    """``resources/`` of the source tree or of the build (next to resources/fonts)."""
    return fonts.fonts_dir().parent


def _dist(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def licence_name(dist: metadata.Distribution | None, fallback: str) -> str:
    """The licence as the package declares it: SPDX expression, else classifiers, else a short License."""
    if dist is None:
        return fallback
    md = dist.metadata
    expression = (md.get("License-Expression") or "").strip()
    if expression:
        return expression
    classifiers = [c.split(" :: ")[-1] for c in (md.get_all("Classifier") or []) if c.startswith("License ::")]
    if classifiers:
        return " / ".join(classifiers)
    declared = (md.get("License") or "").strip()
    # A whole licence text pasted into the field, or a word such as "Dual License", says too little.
    if declared and "\n" not in declared and len(declared) <= 60 and declared.lower() != "dual license":
        return declared
    return fallback


def _dist_licence_texts(name: str) -> list[str]:
    dist = _dist(name)
    if dist is None:
        return []
    declared = dist.metadata.get_all("License-File") or []
    candidates = [n for n in declared if not n.upper().startswith(_NOT_LICENCE)]
    if not declared:  # older metadata: look for the usual names among the dist-info's own files
        candidates = sorted({Path(str(f)).name for f in (dist.files or [])
                             if Path(str(f)).parts[0].endswith(".dist-info")
                             and Path(str(f)).name.upper().startswith(("LICEN", "COPYING"))})
    texts = []
    for file_name in candidates:
        for rel in (f"licenses/{file_name}", file_name):
            text = dist.read_text(rel)
            if text:
                texts.append(text.strip())
                break
    return texts


def licence_entries() -> list[LicenceEntry]:
    """Fonts, the Python runtime and every bundled library, in the order the dialog lists them."""
    res = resources_dir()
    entries = [
        LicenceEntry("IPAexゴシック・IPAex明朝", FONT_VERSION, FONT_LICENCE, "フォント",
                     text_file=fonts.fonts_dir() / FONT_LICENCE_FILE),
        LicenceEntry("Python", platform.python_version(), "PSF-2.0", "実行環境",
                     text_file=res / "licenses" / "Python-PSF-2.0.txt"),
        # The password rules' list of common passwords (services/auth.py) is Django's, under its BSD licence.
        LicenceEntry("よく使われるパスワードの一覧（Django）", "Django 5.2.20", "BSD-3-Clause", "データ",
                     text_file=res / "common-passwords" / "LICENSE-Django.txt"),
    ]
    for shown, dist_name, fallback, text_name in LIBRARIES:
        dist = _dist(dist_name)
        entries.append(LicenceEntry(
            shown, dist.version if dist else "", licence_name(dist, fallback), "ライブラリ",
            distribution=dist_name, text_file=(res / "licenses" / text_name) if text_name else None))
    return entries


def runtime_versions() -> str:
    return (f"Python {platform.python_version()}　Qt {qVersion()}　PySide6 {pyside_version}　"
            f"SQLAlchemy {metadata.version('SQLAlchemy')}")


def _centre_name(parent: QWidget | None) -> str:
    ctx = getattr(parent, "ctx", None)
    if ctx is not None:
        try:
            return ctx.read(get_profile).name
        except Exception:  # noqa: BLE001 - the About box must open even when the database is away
            pass
    return load_default_profile().name


class AboutDialog(QDialog):
    """バージョン情報: who we are, which version, and the licences of the fonts and libraries."""

    def __init__(self, parent: QWidget | None = None, *, centre_name: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("バージョン情報")
        self.resize(780, 640)
        self.entries = licence_entries()

        icon_label = QLabel()
        icon_path = resources_dir() / "icons" / "fukufuku-desk.png"
        if icon_path.is_file():
            icon_label.setPixmap(QIcon(str(icon_path)).pixmap(72, 72))
        icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(APP_TITLE)
        title_font = QFont(title.font())
        title_font.setPointSize(title_font.pointSize() + 8)
        title_font.setBold(True)
        title.setFont(title_font)
        self.version_label = QLabel(f"バージョン {booking_app.__version__}")
        self.version_label.setObjectName("aboutVersion")
        self.centre_label = plain_label(centre_name if centre_name is not None else _centre_name(parent))
        self.centre_label.setObjectName("aboutCentre")
        copyright_label = QLabel(COPYRIGHT)
        self.runtime_label = QLabel(f"動作環境：{runtime_versions()}")
        self.runtime_label.setObjectName("aboutRuntime")
        self.runtime_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (copyright_label, self.runtime_label):
            label.setStyleSheet("color: palette(placeholder-text);")

        head_text = QVBoxLayout()
        head_text.setSpacing(2)
        for w in (title, self.version_label, self.centre_label, copyright_label, self.runtime_label):
            head_text.addWidget(w)
        head = QHBoxLayout()
        head.addWidget(icon_label)
        head.addSpacing(12)
        head.addLayout(head_text, 1)

        self.table = QTreeWidget()
        self.table.setObjectName("licenceTable")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["名称", "種類", "バージョン", "ライセンス"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for entry in self.entries:
            self.table.addTopLevelItem(QTreeWidgetItem([entry.name, entry.kind, entry.version, entry.licence]))
        header = self.table.header()
        header.setStretchLastSection(True)
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

        self.text = QPlainTextEdit()
        self.text.setObjectName("licenceText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.table.setAccessibleName("同梱しているフォントとライブラリ")
        self.text.setAccessibleName("ライセンスの全文")
        tab_leaves(self.table)  # Tab goes from the list to the text to 閉じる, not into either
        tab_leaves(self.text)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.text)
        splitter.setSizes([230, 270])
        licences = QGroupBox("ライセンス")
        box_layout = QVBoxLayout(licences)
        box_layout.addWidget(QLabel("同梱しているフォントとライブラリです。行を選ぶと、そのライセンスの全文を表示します。"))
        box_layout.addWidget(splitter)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("閉じる")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(licences, 1)
        layout.addWidget(buttons)

        self.table.currentItemChanged.connect(self._show_current)
        self.table.setCurrentItem(self.table.topLevelItem(0))  # the font licence first: it must go along

    def _show_current(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        entry = self.entries[self.table.indexOfTopLevelItem(item)]
        self.text.setPlainText(entry.text())
        self.text.moveCursor(self.text.textCursor().MoveOperation.Start)
