"""The print preview: opens a reportlab PDF quickly, pages through it, prints it to a PDF printer, saves it."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from booking_app.fonts import font_path
from booking_app.ui.printing.print_preview import PdfPreviewDialog
from booking_app.ui.workers import Op, wait_for_ops

ROLL80 = (80 * mm, 160 * mm)


def make_pdf(path, sizes=(A4, A5, ROLL80)):
    if "IPAexGothic" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IPAexGothic", str(font_path("gothic"))))
    c = canvas.Canvas(str(path))
    for i, size in enumerate(sizes, start=1):
        c.setPageSize(size)
        c.setFont("IPAexGothic", 14)
        c.drawString(10 * mm, size[1] - 20 * mm, f"領収書 テスト {i}ページ ¥1,000")
        c.showPage()
    c.save()
    return path


def pdf_pages(path) -> list[tuple[float, float]]:
    doc = QPdfDocument()
    assert doc.load(str(path)) == QPdfDocument.Error.None_
    sizes = [(doc.pagePointSize(i).width(), doc.pagePointSize(i).height()) for i in range(doc.pageCount())]
    doc.close()
    return sizes


def test_preview_opens_fast_and_pages(qtbot, tmp_path):
    pdf = make_pdf(tmp_path / "three.pdf")
    t0 = time.perf_counter()
    dlg = PdfPreviewDialog(None, pdf, title="領収書プレビュー", suggested_name="領収書.pdf")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    print(f"\npreview open: {elapsed_ms:.0f} ms")
    assert elapsed_ms <= 300, f"preview took {elapsed_ms:.0f} ms to open (target ≤ 300 ms)"
    assert dlg.windowTitle() == "領収書プレビュー"
    assert dlg.page_count() == 3
    assert dlg.page_count_label.text() == "/ 3 ページ"
    assert dlg.zoom_label.text() == "幅に合わせる"
    assert not dlg.prev_button.isEnabled() and dlg.next_button.isEnabled()
    qtbot.mouseClick(dlg.next_button, Qt.MouseButton.LeftButton)
    assert dlg.current_page() == 1 and dlg.page_spin.value() == 2
    dlg.page_spin.setValue(3)
    assert dlg.current_page() == 2 and not dlg.next_button.isEnabled()
    qtbot.mouseClick(dlg.zoom_in_button, Qt.MouseButton.LeftButton)
    assert dlg.zoom_label.text().endswith("%")
    qtbot.mouseClick(dlg.fit_width_button, Qt.MouseButton.LeftButton)
    assert dlg.zoom_label.text() == "幅に合わせる"


def test_print_to_pdf_printer_keeps_pages_and_sizes(qtbot, tmp_path):
    pdf = make_pdf(tmp_path / "three.pdf")
    dlg = PdfPreviewDialog(None, pdf)
    qtbot.addWidget(dlg)
    out = tmp_path / "printed.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(150)  # the page image need not be sharp to count pages and sizes
    printer.setOutputFileName(str(out))
    assert dlg.print_document(printer)
    assert dlg.printed_pages == 3
    sizes = pdf_pages(out)
    assert len(sizes) == 3
    # Each page printed at the PDF's own size: A4, A5, and the 80 mm roll.
    for (w, h), (ew, eh) in zip(sizes, (A4, A5, ROLL80), strict=True):
        assert w == pytest.approx(ew, abs=2) and h == pytest.approx(eh, abs=2)


def test_print_button_uses_the_print_dialog(qtbot, tmp_path, monkeypatch):
    pdf = make_pdf(tmp_path / "one.pdf", sizes=(A5,))
    dlg = PdfPreviewDialog(None, pdf)
    qtbot.addWidget(dlg)
    out = tmp_path / "via_button.pdf"

    def fake_ask():
        p = dlg.make_printer()
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setResolution(100)
        p.setOutputFileName(str(out))
        return p

    monkeypatch.setattr(dlg, "ask_printer", fake_ask)
    qtbot.mouseClick(dlg.print_button, Qt.MouseButton.LeftButton)
    assert len(pdf_pages(out)) == 1
    # Cancelling the print dialog prints nothing.
    monkeypatch.setattr(dlg, "ask_printer", lambda: None)
    assert dlg.print_document() is False


def test_save_as_copies_the_file(qtbot, tmp_path, prompts):
    pdf = make_pdf(tmp_path / "one.pdf", sizes=(A4,))
    dlg = PdfPreviewDialog(None, pdf, suggested_name="利用票.pdf", delete_on_close=True)
    qtbot.addWidget(dlg)
    prompts.save_path = tmp_path / "保存先"
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert [(c.title, c.text) for c in prompts.of("ask_save_path")] == [("PDFとして保存", "利用票.pdf")]
    saved = tmp_path / "保存先.pdf"
    assert saved.read_bytes() == pdf.read_bytes()
    qtbot.mouseClick(dlg.close_button, Qt.MouseButton.LeftButton)
    assert not pdf.exists()  # the temporary preview file goes with the dialog
    assert saved.exists()


def test_op_delivers_result_and_error_on_gui_thread(qtbot):
    import threading

    gui = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    op = Op(None, work).success(lambda r: seen.update(result=r, at=threading.get_ident()))
    with qtbot.waitSignal(op.finished, timeout=5000):
        op.run_in_background()
    assert seen["result"] == 42 and seen["at"] == gui and seen["worker"] != gui
    assert not op.progress_shown  # a short job shows no progress dialog

    errors = []
    op2 = Op(None, lambda: 1 / 0).failure(errors.append)
    with qtbot.waitSignal(op2.finished, timeout=5000):
        op2.run_in_background()
    assert isinstance(errors[0], ZeroDivisionError)
    assert wait_for_ops()


def test_op_shows_progress_only_when_slow(qtbot):
    import threading

    release = threading.Event()
    op = Op(None, lambda: release.wait(5)).with_progress("作成しています…")
    op.run_in_background()
    qtbot.waitUntil(lambda: op.progress_shown, timeout=3000)
    with qtbot.waitSignal(op.finished, timeout=5000):
        release.set()
    assert not op.progress_shown


def test_a_file_that_cannot_be_written_says_what_to_do(qtbot, tmp_path, prompts):
    pdf = make_pdf(tmp_path / "one.pdf", sizes=(A4,))
    dlg = PdfPreviewDialog(None, pdf, suggested_name="利用票.pdf")
    qtbot.addWidget(dlg)
    prompts.save_path = tmp_path / "no-such-folder" / "利用票.pdf"
    assert dlg.save_as() is None
    (warned,) = prompts.of("warn")
    assert warned.title == "PDFとして保存" and "別の場所か別の名前で保存してください" in warned.text
