"""The keyboard walker itself catches what it is for: a Tab trap and an unnamed control."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QFormLayout, QLineEdit, QPushButton, QTableWidget, QVBoxLayout

import keyboard_walk as kw


def _show(qtbot, dlg):
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()


def test_a_table_that_keeps_tab_is_a_trap(qtbot):
    dlg = QDialog()
    layout = QVBoxLayout(dlg)
    table = QTableWidget(3, 3)  # Qt's default: Tab moves from cell to cell and wraps round
    ok = QPushButton("保存")
    layout.addWidget(table)
    layout.addWidget(ok)
    _show(qtbot, dlg)
    table.setFocus()
    table.setCurrentCell(0, 0)
    with pytest.raises(AssertionError, match="trapped|never reaches|did not come round"):
        kw.assert_no_trap(kw.tab_chain(limit=30), must_reach=[ok])
    table.setTabKeyNavigation(False)
    table.setFocus()
    kw.assert_no_trap(kw.tab_chain(), must_reach=[ok])


def test_an_unlabelled_field_is_unnamed_and_a_labelled_one_is_not(qtbot):
    dlg = QDialog()
    form = QFormLayout(dlg)
    named, bare = QLineEdit(), QLineEdit()
    form.addRow("宛名(&A)", named)
    form.addRow(bare)
    _show(qtbot, dlg)
    missing = kw.unnamed(dlg)
    assert len(missing) == 1 and missing[0].startswith("QLineEdit")
    bare.setAccessibleName("但し書き")
    assert kw.unnamed(dlg) == []
