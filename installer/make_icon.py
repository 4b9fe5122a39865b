"""Draw the app icon (アイコン): a rounded square in the app blue with a white 「ふ」 in IPAexGothic.

    .venv/bin/python installer/make_icon.py      # writes resources/icons/fukufuku-desk.{png,ico,svg}

The outputs are committed, so a build needs no Qt font rendering of its own. The glyph is turned into a
vector path once and that same path is used for every size and for the SVG, so the PNG, ICO and SVG
match exactly and the SVG does not depend on the IPAex font being installed where it is shown.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
BASE = 256  # design grid; every size is this scaled
BLUE = "#4a7fd4"
BLUE_DARK = "#3a68b3"
GLYPH_STROKE = 7
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def glyph_path():
    """「ふ」 as a QPainterPath, centred in the 256-unit square."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QFont, QPainterPath

    sys.path.insert(0, str(ROOT))
    from booking_app import fonts

    family = fonts.register_qt_fonts()
    font = QFont(family)
    font.setPixelSize(176)
    path = QPainterPath()
    path.addText(QPointF(0, 0), font, "ふ")
    box = path.boundingRect()
    # Centre the ink (not the text box: kana sit high in their em square), a touch low for balance.
    return path.translated(BASE / 2 - box.center().x(), BASE / 2 - box.center().y() + 4)


def render(size: int, glyph):
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QImage, QLinearGradient, QPainter, QPen

    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / BASE, size / BASE)
    grad = QLinearGradient(0, 0, 0, BASE)
    grad.setColorAt(0, QColor(BLUE))
    grad.setColorAt(1, QColor(BLUE_DARK))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(QRectF(8, 8, BASE - 16, BASE - 16), 48, 48)
    # A round white outline thickens the strokes, so the kana stays readable at 16 px.
    p.setPen(QPen(QColor("white"), GLYPH_STROKE, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.setBrush(QColor("white"))
    p.drawPath(glyph)
    p.end()
    return img


def png_bytes(img) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data)


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG-compressed images (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def svg_text(glyph) -> str:
    from PySide6.QtGui import QPainterPath

    parts = []
    i, n = 0, glyph.elementCount()
    while i < n:
        e = glyph.elementAt(i)
        if e.type == QPainterPath.ElementType.MoveToElement:
            parts.append(f"M{e.x:.1f} {e.y:.1f}")
            i += 1
        elif e.type == QPainterPath.ElementType.LineToElement:
            parts.append(f"L{e.x:.1f} {e.y:.1f}")
            i += 1
        else:  # CurveToElement followed by two CurveToDataElement
            c1, c2, end = glyph.elementAt(i), glyph.elementAt(i + 1), glyph.elementAt(i + 2)
            parts.append(f"C{c1.x:.1f} {c1.y:.1f} {c2.x:.1f} {c2.y:.1f} {end.x:.1f} {end.y:.1f}")
            i += 3
    rule = "evenodd" if glyph.fillRule().name == "OddEvenFill" else "nonzero"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BASE}" height="{BASE}" viewBox="0 0 {BASE} {BASE}">\n'
        f'  <title>ふくふくデスク</title>\n'
        f'  <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{BLUE}"/><stop offset="1" stop-color="{BLUE_DARK}"/></linearGradient></defs>\n'
        f'  <rect x="8" y="8" width="{BASE - 16}" height="{BASE - 16}" rx="48" ry="48" fill="url(#bg)"/>\n'
        f'  <path fill="#ffffff" fill-rule="{rule}" stroke="#ffffff" stroke-width="{GLYPH_STROKE}" '
        f'stroke-linecap="round" stroke-linejoin="round" d="{" ".join(parts)}"/>\n'
        f"</svg>\n"
    )


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 - fonts need an application
    glyph = glyph_path()
    ICONS.mkdir(parents=True, exist_ok=True)
    pngs = {size: png_bytes(render(size, glyph)) for size in ICO_SIZES}
    (ICONS / "fukufuku-desk.png").write_bytes(pngs[256])
    (ICONS / "fukufuku-desk.ico").write_bytes(ico_bytes(pngs))
    (ICONS / "fukufuku-desk.svg").write_text(svg_text(glyph), encoding="utf-8")
    for name in ("fukufuku-desk.png", "fukufuku-desk.ico", "fukufuku-desk.svg"):
        print(ICONS / name, (ICONS / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
