"""The About dialog (バージョン情報): version, centre, and the licences of the bundled fonts and libraries."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

import booking_app
from booking_app.ui.about_dialog import AboutDialog, licence_entries, licence_name
from booking_app.ui.main_window import MainWindow


@pytest.fixture
def dialog(qtbot, ctx):
    # Any parent with a ``ctx`` (the main window has one) gives the dialog the database's centre name.
    parent = QWidget()
    parent.ctx = ctx
    qtbot.addWidget(parent)
    dlg = AboutDialog(parent)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg  # (a generator keeps the parent alive: its death would delete the dialog)
    del parent


def _row(dlg: AboutDialog, name_part: str):
    for i in range(dlg.table.topLevelItemCount()):
        item = dlg.table.topLevelItem(i)
        if name_part in item.text(0):
            return item
    raise AssertionError(f"no row for {name_part}")


def _click(qtbot, dlg: AboutDialog, item) -> None:
    dlg.table.scrollToItem(item)
    qtbot.mouseClick(dlg.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=dlg.table.visualItemRect(item).center())


def test_shows_version_centre_and_runtime(dialog):
    assert dialog.version_label.text() == f"バージョン {booking_app.__version__}"
    assert dialog.centre_label.text() == "しものせき市民活動センター"  # read from the database's profile
    import sqlalchemy

    assert f"SQLAlchemy {sqlalchemy.__version__}" in dialog.runtime_label.text()
    assert "PySide6 " in dialog.runtime_label.text()


def test_font_licence_text_is_shown_first(dialog):
    first = dialog.table.topLevelItem(0)
    assert "IPAex" in first.text(0)
    assert first.text(3) == "IPAフォントライセンスv1.0"
    text = dialog.text.toPlainText()
    assert "IPAフォントライセンスv1.0" in text
    assert "第1条" in text  # the full agreement, not a summary
    assert "IPA Font License Agreement v1.0" in text  # its English half too


def test_library_rows_show_licence_and_full_text_on_click(qtbot, dialog):
    pyside = _row(dialog, "PySide6（Qt for Python）")
    assert "LGPL-3.0" in pyside.text(3)
    _click(qtbot, dialog, pyside)
    text = dialog.text.toPlainText()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text  # PySide6 ships no text: ours from resources/licenses
    assert "LGPL-3.0 の条件で利用" in text

    sqla = _row(dialog, "SQLAlchemy")
    assert sqla.text(3) == "MIT"
    _click(qtbot, dialog, sqla)
    assert "Permission is hereby granted" in dialog.text.toPlainText()  # from the package's dist-info

    names = [dialog.table.topLevelItem(i).text(0) for i in range(dialog.table.topLevelItemCount())]
    for lib in ("SQLAlchemy", "Alembic", "ReportLab", "openpyxl", "psycopg", "python-dateutil", "holidays",
                "platformdirs"):
        assert lib in names


def test_every_entry_has_a_licence_and_text():
    for entry in licence_entries():
        assert entry.licence, entry.name
        assert entry.version, entry.name
        assert len(entry.text()) > 500, entry.name  # a real licence text, not the "not included" note


def test_licence_name_falls_back_when_metadata_is_missing_or_vague():
    assert licence_name(None, "MIT") == "MIT"

    class Meta(dict):
        def get_all(self, key):
            return self.get(key + "*")

    class Dist:
        metadata = Meta({"License": "Dual License"})

    assert licence_name(Dist(), "Apache-2.0 OR BSD-3-Clause") == "Apache-2.0 OR BSD-3-Clause"
    Dist.metadata = Meta({"Classifier*": ["License :: OSI Approved :: BSD License", "Programming Language :: Python"]})
    assert licence_name(Dist(), "x") == "BSD License"


@pytest.mark.answers_modals
def test_help_menu_opens_the_about_dialog(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    action = next(a for menu in window.menuBar().actions() for a in menu.menu().actions()
                  if a.text() == "バージョン情報")
    seen = []

    def close_it():
        modal = QApplication.activeModalWidget()
        seen.append(modal)
        if modal is not None:
            modal.reject()

    QTimer.singleShot(0, close_it)
    action.trigger()
    assert len(seen) == 1 and isinstance(seen[0], AboutDialog)
