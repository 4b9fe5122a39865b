"""Smoke tests for the test infrastructure itself: both backends come up migrated and usable."""

from __future__ import annotations

from sqlalchemy import inspect, text

from booking_app.store.engine import make_engine


def test_database_answers(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            if engine.dialect.name == "postgresql":
                # The booking tables rely on an exclusion constraint over (room, time range).
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
                conn.commit()
                installed = conn.execute(
                    text("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'")
                ).scalar_one()
                assert installed == 1
    finally:
        engine.dispose()


def test_database_is_fresh_per_test(db_url):
    """Each test gets its own database: a table made here must not exist in the next test."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            assert "infra_scratch" not in inspect(conn).get_table_names()
            conn.execute(text("CREATE TABLE infra_scratch (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()


def test_database_is_fresh_per_test_again(db_url):
    test_database_is_fresh_per_test(db_url)


def test_bundled_fonts_for_reportlab(tmp_path):
    from reportlab.pdfgen import canvas

    from booking_app import fonts

    assert fonts.font_path("gothic").name == "ipaexg.ttf"
    assert fonts.font_path("mincho").name == "ipaexm.ttf"
    assert (fonts.fonts_dir() / "IPA_Font_License_Agreement_v1.0.txt").is_file()
    fonts.register_reportlab_fonts()
    fonts.register_reportlab_fonts()  # idempotent
    pdf = tmp_path / "fonts.pdf"
    c = canvas.Canvas(str(pdf))
    c.setFont("IPAexGothic", 12)
    c.drawString(72, 720, "しものせき市民活動センター 領収書")
    c.setFont("IPAexMincho", 12)
    c.drawString(72, 700, "会議室Ａ　２０２５年４月１日")
    c.save()
    assert b"IPAexGothic" in pdf.read_bytes()


def test_bundled_fonts_for_qt(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    from booking_app import fonts

    family = fonts.register_qt_fonts()
    assert family == "IPAexGothic"
    assert fonts.register_qt_fonts() == family  # idempotent
    assert QFontMetrics(QFont(family, 12)).horizontalAdvance("予約") > 0
