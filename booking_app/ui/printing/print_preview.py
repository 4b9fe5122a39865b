"""The print preview (印刷プレビュー) of a PDF made by ``reports/``: look, then print or save.

Every printed document (receipt, usage slip, cash-up) is a PDF first, so what staff see here is
exactly what the printer gets. Printing renders each page at the printer's resolution onto the
QPrinter with the page size taken from the PDF itself (A4, A5 or the 80 mm receipt roll), so the
printer driver never rescales a receipt onto A4.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from booking_app.ui import keyboard, prompts
from booking_app.ui.keyboard import bind_key
from booking_app.ui.plain_text import plain_label

# Above this the page image gets huge (A4 at 1200 dpi is ~550 MB as ARGB) with no visible gain
# on paper; the printer still receives the page at its own size.
MAX_RENDER_DPI = 600
ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)


def page_size_of(doc: QPdfDocument, page: int) -> QPageSize:
    """The PDF page's own size, named (A4/A5) when it is one, else custom (80 mm roll)."""
    pts = doc.pagePointSize(page)
    size = QPageSize(QSizeF(pts.width(), pts.height()), QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyMatch)
    return size


def print_pdf_document(doc: QPdfDocument, printer: QPrinter) -> int:
    """Print every page of ``doc`` on ``printer``; returns the number of pages printed.

    Each page is rendered by QtPdf at the printer's resolution (capped at MAX_RENDER_DPI) and drawn
    full-page, with the printer's page size set from the PDF page before the page starts.
    """
    n = doc.pageCount()
    if n <= 0:
        return 0
    printer.setFullPage(True)

    def set_layout(i: int) -> None:
        size = page_size_of(doc, i)
        pts = doc.pagePointSize(i)
        orientation = (QPageLayout.Orientation.Landscape if pts.width() > pts.height()
                       else QPageLayout.Orientation.Portrait)
        # A landscape page: give the portrait size and the orientation, as print drivers expect.
        if orientation == QPageLayout.Orientation.Landscape:
            size = QPageSize(QSizeF(pts.height(), pts.width()), QPageSize.Unit.Point, "",
                             QPageSize.SizeMatchPolicy.FuzzyMatch)
        printer.setPageLayout(QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point))

    set_layout(0)
    painter = QPainter()
    if not painter.begin(printer):
        raise RuntimeError("プリンターを開始できませんでした。プリンターの電源と接続を確かめて、もう一度印刷してください。")
    try:
        for i in range(n):
            if i > 0:
                set_layout(i)
                printer.newPage()
            dpi = min(printer.resolution(), MAX_RENDER_DPI)
            pts = doc.pagePointSize(i)
            image = doc.render(i, QSize(round(pts.width() * dpi / 72), round(pts.height() * dpi / 72)))
            target = printer.pageLayout().fullRectPixels(printer.resolution())
            painter.drawImage(QRectF(target), image)
    finally:
        painter.end()
    return n


SECTION = "印刷プレビュー"


class PdfPreviewDialog(QDialog):
    """印刷プレビュー: page navigation, zoom (fit width by default), 印刷…, PDFとして保存…, 閉じる."""

    def __init__(self, parent: QWidget | None, pdf_path: Path | str, *, title: str = "印刷プレビュー",
                 suggested_name: str = "document.pdf", delete_on_close: bool = False):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("pdf_preview")
        self.pdf_path = Path(pdf_path)
        self.suggested_name = suggested_name
        self._delete_on_close = delete_on_close
        self.printed_pages = 0

        self.document = QPdfDocument(self)
        error = self.document.load(str(self.pdf_path))

        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)

        self.prev_button = QPushButton("◀ 前のページ")
        self.prev_button.setObjectName("prev_page")
        self.next_button = QPushButton("次のページ ▶")
        self.next_button.setObjectName("next_page")
        self.page_spin = QSpinBox()
        self.page_spin.setObjectName("page_spin")
        self.page_spin.setRange(1, max(1, self.document.pageCount()))
        self.page_count_label = plain_label()
        self.page_count_label.setObjectName("page_count")
        self.fit_width_button = QPushButton("幅に合わせる")
        self.fit_width_button.setObjectName("fit_width")
        self.fit_page_button = QPushButton("全体表示")
        self.fit_page_button.setObjectName("fit_page")
        self.zoom_out_button = QPushButton("縮小 −")
        self.zoom_out_button.setObjectName("zoom_out")
        self.zoom_in_button = QPushButton("拡大 ＋")
        self.zoom_in_button.setObjectName("zoom_in")
        self.zoom_label = plain_label()
        self.zoom_label.setObjectName("zoom_label")

        self.print_button = QPushButton("印刷…")
        self.print_button.setObjectName("print_button")
        self.print_button.setDefault(True)
        self.save_button = QPushButton("PDFとして保存…")
        self.save_button.setObjectName("save_button")
        self.close_button = QPushButton("閉じる")
        self.close_button.setObjectName("close_button")

        nav = QHBoxLayout()
        for w in (self.prev_button, self.page_spin, self.page_count_label, self.next_button):
            nav.addWidget(w)
        nav.addSpacing(20)
        for w in (self.fit_width_button, self.fit_page_button, self.zoom_out_button, self.zoom_in_button,
                  self.zoom_label):
            nav.addWidget(w)
        nav.addStretch(1)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for w in (self.print_button, self.save_button, self.close_button):
            actions.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addLayout(nav)
        lay.addWidget(self.view, 1)
        lay.addLayout(actions)

        self.prev_button.clicked.connect(lambda: self.go_to_page(self.current_page() - 1))
        self.next_button.clicked.connect(lambda: self.go_to_page(self.current_page() + 1))
        self.page_spin.valueChanged.connect(lambda v: self.go_to_page(v - 1))
        self.view.pageNavigator().currentPageChanged.connect(self._on_page_changed)
        self.fit_width_button.clicked.connect(lambda: self._set_zoom_mode(QPdfView.ZoomMode.FitToWidth))
        self.fit_page_button.clicked.connect(lambda: self._set_zoom_mode(QPdfView.ZoomMode.FitInView))
        self.zoom_in_button.clicked.connect(lambda: self.step_zoom(1))
        self.zoom_out_button.clicked.connect(lambda: self.step_zoom(-1))
        self.view.zoomFactorChanged.connect(lambda _f: self._update_labels())
        self.view.zoomModeChanged.connect(lambda _m: self._update_labels())
        self.print_button.clicked.connect(lambda: self.print_document())
        self.save_button.clicked.connect(lambda: self.save_as())
        self.close_button.clicked.connect(self.reject)
        # Keys as named actions (listed in キー操作一覧; each presses its button, so a disabled one does
        # nothing): Ctrl+P 印刷, Ctrl+S PDFとして保存, + / − zoom, PageUp/PageDown pages. Esc closes.
        bind_key(self, self.print_button, "Ctrl+P", section=SECTION, show_in_text=False)
        bind_key(self, self.save_button, "Ctrl+S", section=SECTION, show_in_text=False)
        bind_key(self, self.zoom_in_button, ("Ctrl++", "+", "Ctrl+="), section=SECTION, show_in_text=False)
        bind_key(self, self.zoom_out_button, ("Ctrl+-", "-"), section=SECTION, show_in_text=False)
        bind_key(self, self.prev_button, "PgUp", section=SECTION, show_in_text=False)
        bind_key(self, self.next_button, "PgDown", section=SECTION, show_in_text=False)
        self.page_spin.setAccessibleName("ページ番号")
        self.view.setAccessibleName(f"{title}のページ")
        keyboard.tab_leaves(self.view)

        self.resize(900, 700)
        self._update_labels()
        if error != QPdfDocument.Error.None_:
            self.page_count_label.setText("PDFを開けませんでした")
            self.print_button.setEnabled(False)

    # ----- convenience
    @classmethod
    def show_pdf(cls, parent: QWidget | None, pdf_path: Path | str, *, title: str = "印刷プレビュー",
                 suggested_name: str = "document.pdf", delete_on_close: bool = False) -> PdfPreviewDialog:
        """Open the preview modally (blocks until closed) and return the dialog (for its state)."""
        dlg = cls(parent, pdf_path, title=title, suggested_name=suggested_name,
                  delete_on_close=delete_on_close)
        dlg.exec()
        return dlg

    # ----- pages and zoom
    def page_count(self) -> int:
        return self.document.pageCount()

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    def go_to_page(self, page: int) -> None:
        n = self.page_count()
        if n == 0:
            return
        page = max(0, min(n - 1, page))
        if page != self.current_page():
            self.view.pageNavigator().jump(page, QPointF(), self.view.pageNavigator().currentZoom())
        self._update_labels()

    def _on_page_changed(self, _page: int) -> None:
        self._update_labels()

    def _set_zoom_mode(self, mode: QPdfView.ZoomMode) -> None:
        self.view.setZoomMode(mode)
        self._update_labels()

    def step_zoom(self, direction: int) -> None:
        current = self.view.zoomFactor()
        if self.view.zoomMode() != QPdfView.ZoomMode.Custom:
            current = self._effective_zoom()
        if direction > 0:
            new = next((z for z in ZOOM_STEPS if z > current + 0.01), ZOOM_STEPS[-1])
        else:
            new = next((z for z in reversed(ZOOM_STEPS) if z < current - 0.01), ZOOM_STEPS[0])
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(new)
        self._update_labels()

    def _effective_zoom(self) -> float:
        """What 'fit width' amounts to, as a factor, so +/− continue from what is on screen."""
        if self.page_count() == 0:
            return 1.0
        pts = self.document.pagePointSize(max(0, self.current_page()))
        px_per_pt = self.logicalDpiX() / 72.0
        width = self.view.viewport().width()
        return width / max(1.0, pts.width() * px_per_pt)

    def _update_labels(self) -> None:
        n = self.page_count()
        cur = max(0, self.current_page())
        self.page_spin.blockSignals(True)
        self.page_spin.setRange(1, max(1, n))
        self.page_spin.setValue(cur + 1)
        self.page_spin.blockSignals(False)
        self.page_count_label.setText(f"/ {n} ページ")
        self.prev_button.setEnabled(cur > 0)
        self.next_button.setEnabled(cur < n - 1)
        mode = self.view.zoomMode()
        if mode == QPdfView.ZoomMode.FitToWidth:
            self.zoom_label.setText("幅に合わせる")
        elif mode == QPdfView.ZoomMode.FitInView:
            self.zoom_label.setText("全体表示")
        else:
            self.zoom_label.setText(f"{round(self.view.zoomFactor() * 100)}%")

    # ----- print and save
    def make_printer(self) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.suggested_name)
        if self.page_count():
            printer.setPageSize(page_size_of(self.document, 0))
        return printer

    def ask_printer(self) -> QPrinter | None:
        """Qt's print dialog (modal); tests replace this to print without it."""
        printer = self.make_printer()
        dlg = QPrintDialog(printer, self)
        dlg.setWindowTitle("印刷")
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer

    def print_document(self, printer: QPrinter | None = None) -> bool:
        """Print every page; without ``printer`` staff choose one in the print dialog."""
        if printer is None:
            printer = self.ask_printer()
            if printer is None:
                return False
        try:
            self.printed_pages = print_pdf_document(self.document, printer)
        except RuntimeError as exc:
            prompts.shared().warn(self, "印刷", str(exc))
            return False
        return self.printed_pages > 0

    def save_as(self, target: Path | str | None = None) -> Path | None:
        """Copy the PDF where staff choose (asked through the shared prompts), or to ``target``."""
        path = Path(target) if target is not None else prompts.shared().ask_save_path(
            self, "PDFとして保存", self.suggested_name, prompts.PDF)
        if path is None:
            return None
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            shutil.copyfile(self.pdf_path, path)
        except OSError as exc:
            prompts.shared().warn(self, "PDFとして保存", f"保存できませんでした（{exc.strerror or exc}）。"
                                  "別の場所か別の名前で保存してください。")
            return None
        return path

    def done(self, result: int) -> None:
        self.document.close()
        if self._delete_on_close:
            try:
                os.remove(self.pdf_path)
            except OSError:
                pass  # a temp file the OS will clean; never worth an error box
        super().done(result)


__all__ = ["PdfPreviewDialog", "print_pdf_document", "page_size_of", "MAX_RENDER_DPI"]
