"""Hostile files at the imports (予約台帳・団体名簿の取込), issue 15: within limits, before any write lock.

What the attack found: a 100 KB xlsx with one cell in column XFD on each row took 2.6 GB and 17 s (openpyxl
padded every row to the sheet's claimed dimension); a 980 KB one and a 1 GB CSV ended in a raw MemoryError;
on SQLite the file was parsed inside the write lock, so a big ledger made another terminal's save fail.

Here every such file is refused with a Japanese message naming the limit, nothing is written (the database's
fingerprint before and after), and the peak of Python memory during the refusal (tracemalloc) stays far
under 300 MB. Then: the limits as a manager sets them, and two terminals (another engine's booking save
succeeds while a ledger is being read; a booking saved meanwhile turns the import into the usual
double-booking refusal).
"""

from __future__ import annotations

import csv
import threading
import tracemalloc
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill
from sqlalchemy import event, select


from factories import JAPANESE, NOW, at, seed  # noqa: E402
from fingerprint import db_fingerprint, fingerprint_diff  # noqa: E402

from booking_app.domain.errors import Busy, PermissionDenied, ValidationError  # noqa: E402
from booking_app.services import group_io, imports, tabular  # noqa: E402
from booking_app.services.import_limits import (  # noqa: E402
    DEFAULTS,
    MB,
    ImportLimits,
    get_import_limits,
    save_import_limits,
)
from booking_app.store.engine import make_engine, write_session  # noqa: E402
from booking_app.store.models import AuditEntry, Booking, CentreSetting  # noqa: E402

pytestmark = pytest.mark.now(NOW)

MEMORY_CAP = 300 * MB
LEDGER_HEADER = ["利用日", "曜日", "部屋", "区分", "開始", "終了", "団体名", "登録番号", "代表者", "電話番号",
                 "予定人数", "目的", "備品", "備考"]
GROUP_HEADER = ["登録番号", "団体名", "フリガナ", "区分", "活動分野", "代表者", "電話番号", "メール", "住所", "会員数",
                "登録日", "有効期限", "状態", "備考"]


@pytest.fixture
def world(db_url):
    """The seeded database (rooms, equipment, staff) on SQLite and on PostgreSQL."""
    engine = make_engine(db_url)
    try:
        yield seed(engine)
    finally:
        engine.dispose()


def ledger_row(i: int) -> list[str]:
    """A past booking that imports cleanly: a different day per row, 大会議室 9:00〜12:00 (a closed day of the
    past is history, imported with a notice)."""
    day = date(2020, 1, 1) + timedelta(days=i)
    return [day.strftime("%Y/%m/%d"), "", "大会議室", "", "9:00", "12:00", f"下関写真クラブ{i}", "", "山田",
            "083-111-2222", "10", "会議", "", ""]


def group_row(i: int) -> list[str]:
    return ["", f"ふくふく読書会{i}", "フクフクドクショカイ", "目的型", "社会教育", "山田 花子", "083-111-2222",
            f"club{i}@example.jp", "下関市竹崎町4-4-8", "12", "2026/04/01", "", "", ""]


IMPORTERS = {
    "ledger": (LEDGER_HEADER, ledger_row,
               lambda world, path: imports.import_bookings_file(world.engine, world.manager, path, dry_run=False,
                                                                now=NOW)),
    "register": (GROUP_HEADER, group_row,
                 lambda world, path: group_io.import_groups_file(world.engine, world.manager, path, dry_run=False,
                                                                 now=NOW)),
}


def refused(world, importer: str, path: Path) -> tuple[str, int]:
    """Import ``path``; it must be refused (ValidationError) with nothing written. (message, peak bytes)."""
    before = db_fingerprint(world.engine)
    run = IMPORTERS[importer][2]
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as caught:
            run(world, path)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    after = db_fingerprint(world.engine)
    assert after == before, f"refused but changed {fingerprint_diff(before, after)}"
    message = caught.value.message
    assert JAPANESE.search(message) and "Traceback" not in message and "MemoryError" not in message, message
    assert peak < MEMORY_CAP, f"peak {peak / MB:.0f} MB"
    return message, peak


def ledger_xlsx(path: Path, rows: int, *, extra=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "予約台帳"
    ws.append(LEDGER_HEADER)
    for i in range(rows):
        ws.append(ledger_row(i))
    if extra:
        extra(ws)
    wb.save(path)
    wb.close()
    return path


# ----------------------------------------------------------------------------- the xlsx bomb


@pytest.mark.parametrize("importer", sorted(IMPORTERS))
def test_xlsx_with_a_cell_in_column_xfd_on_every_row_is_refused_at_once(world, tmp_path, importer):
    """The attack's 100 KB file: one cell in XFD (column 16,384) on each of 20,000 rows."""
    path = tmp_path / "XFD.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(IMPORTERS[importer][0])
    for r in range(2, 20_002):
        ws.cell(row=r, column=16_384, value="x")
    wb.save(path)
    assert path.stat().st_size < 200_000
    message, peak = refused(world, importer, path)
    assert "2行目の16,384列目" in message and "100列まで" in message and "取込の上限" in message, message
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def test_styled_empty_cells_far_right_and_a_lying_dimension_do_not_count(world, tmp_path):
    """Excel leaves formatted but empty cells (and a dimension that claims them): trimmed, not refused."""
    def decorate(ws):
        for r in range(1, 5):
            ws.cell(row=r, column=16_384).fill = PatternFill("solid", fgColor="FFFF00")
        ws.cell(row=1_000_000, column=16_384).fill = PatternFill("solid", fgColor="FFFF00")

    path = ledger_xlsx(tmp_path / "書式つき.xlsx", 3, extra=decorate)
    with zipfile.ZipFile(path) as zf:
        assert b'ref="A1:XFD1000000"' in zf.read("xl/worksheets/sheet1.xml")
    tracemalloc.start()
    try:
        report = imports.import_bookings_file(world.engine, world.manager, path, dry_run=False, now=NOW)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.written and report.bookings == 3, report.summary_lines()
    assert peak < 20 * MB


def bomb_xlsx(path: Path, part: str, unpacked: int) -> Path:
    """A real workbook whose ``part`` is replaced by ``unpacked`` bytes of highly compressible XML."""
    src = ledger_xlsx(path.with_name("base.xlsx"), 2)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info, zin.read(info.filename))
        with zout.open(part, "w", force_zip64=True) as f:
            chunk = b" " * MB
            for _ in range(unpacked // MB):
                f.write(chunk)
    return path


@pytest.mark.parametrize(("part", "unpacked", "shown"), [
    ("xl/worksheets/sheet1.xml", 400 * MB, "400.0 MB。上限は 200 MB"),  # the sheet: over 10 × 20 MB in all
    ("xl/sharedStrings.xml", 30 * MB, "30.0 MB。上限は 20 MB"),  # loaded whole by openpyxl: over 20 MB alone
], ids=["sheet", "shared-strings"])
def test_zip_bomb_is_refused_from_the_zip_directory_before_openpyxl(world, tmp_path, monkeypatch, part, unpacked,
                                                                    shown):
    path = bomb_xlsx(tmp_path / "爆弾.xlsx", part, unpacked)
    assert path.stat().st_size < 2 * MB

    def never(*a, **k):
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    message, _peak = refused(world, "ledger", path)
    assert "中身が大きすぎます" in message and shown in message, message


def test_a_cell_longer_than_the_cell_limit_is_refused(world, tmp_path):
    def long_cell(ws):
        ws.cell(row=3, column=14, value="長" * 2_001)

    message, _ = refused(world, "ledger", ledger_xlsx(tmp_path / "長い.xlsx", 3, extra=long_cell))
    assert "3行目に長すぎるセル" in message and "2,000文字" in message, message


def test_xlsx_rows_beyond_the_row_limit_are_refused(world, tmp_path):
    with write_session(world.engine) as s:
        save_import_limits(s, world.manager, ImportLimits(max_rows=100), now=NOW)
    message, _ = refused(world, "ledger", ledger_xlsx(tmp_path / "多い.xlsx", 101))
    assert "上限は 100行" in message, message
    report = imports.import_bookings_file(world.engine, world.manager, ledger_xlsx(tmp_path / "ちょうど.xlsx", 100),
                                          dry_run=True, now=NOW)
    assert report.rows == 100


# ----------------------------------------------------------------------------- huge CSV


@pytest.mark.parametrize("importer", sorted(IMPORTERS))
def test_1gb_csv_is_refused_by_its_size_before_a_byte_is_read(world, tmp_path, importer, monkeypatch):
    path = tmp_path / "1GB.csv"
    with path.open("wb") as f:
        f.write(",".join(IMPORTERS[importer][0]).encode() + b"\r\n")
        f.truncate(1024 ** 3)  # sparse: a gigabyte on paper
    opened = []
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self) or open(self, *a, **k))
    message, peak = refused(world, importer, path)
    assert opened == [], "the file was opened"
    assert "ファイルが大きすぎます（1.0 GB。上限は 20 MB）" in message and "取込の上限" in message, message
    assert peak < 5 * MB


def test_csv_just_under_a_raised_size_limit_is_streamed_and_stopped_at_the_row_limit(world, tmp_path):
    """A 29 MB CSV, under a size limit raised to 30 MB, with 400,000 rows: refused at row 50,002."""
    with write_session(world.engine) as s:
        save_import_limits(s, world.manager, ImportLimits(max_bytes=30 * MB), now=NOW)
    path = tmp_path / "多すぎ.csv"
    line = ",".join(ledger_row(0)).encode("utf-8") + b"\r\n"
    rows = (29 * MB - 200) // len(line)
    with path.open("wb") as f:
        f.write(",".join(LEDGER_HEADER).encode("utf-8") + b"\r\n")
        block = line * 1000
        for _ in range(rows // 1000):
            f.write(block)
    assert 28 * MB < path.stat().st_size < 30 * MB and rows > 300_000
    message, peak = refused(world, "ledger", path)
    assert "行が多すぎます" in message and "上限は 50,000行" in message, message
    assert peak < 150 * MB, f"peak {peak / MB:.0f} MB"


def test_a_csv_record_of_ten_million_commas_is_refused_without_building_it(world, tmp_path):
    path = tmp_path / "コンマ.csv"
    path.write_bytes(",".join(LEDGER_HEADER).encode() + b"\r\n" + b"," * 10_000_000 + b"x\r\n")
    message, peak = refused(world, "ledger", path)
    assert "2行目が長すぎます" in message, message
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
def test_csv_cell_over_the_limit_and_column_beyond_it_are_refused_naming_the_row(world, tmp_path, encoding):
    path = tmp_path / f"長い_{encoding}.csv"
    rows = [LEDGER_HEADER, ledger_row(1), ledger_row(2)[:13] + ["長" * 2_500]]
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    message, _ = refused(world, "ledger", path)
    assert "3行目に長すぎるセル" in message and "2,000文字" in message, message
    wide = tmp_path / f"広い_{encoding}.csv"
    with wide.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, ledger_row(1) + [""] * 200, ledger_row(2) + [""] * 100 + ["x"]])
    message, _ = refused(world, "ledger", wide)
    assert "3行目の115列目" in message and "100列まで" in message, message


def test_shift_jis_is_still_recognised_when_streamed(world, tmp_path):
    path = tmp_path / "台帳_sjis.csv"
    with path.open("w", encoding="cp932", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, *(ledger_row(i) for i in range(3))])
    report = imports.import_bookings_file(world.engine, world.manager, path, dry_run=True, now=NOW)
    assert report.ok and report.rows == 3 and report.file_kind == "CSV（Shift_JIS）", report.summary_lines()


# ----------------------------------------------------------------------------- the limits as set


def test_limits_default_saved_by_a_manager_audited_and_refused_for_desk_staff(world):
    with world.read() as s:
        assert get_import_limits(s) == DEFAULTS == ImportLimits(20 * MB, 50_000, 100, 2_000)
    with pytest.raises(PermissionDenied):
        with write_session(world.engine) as s:
            save_import_limits(s, world.desk, ImportLimits(max_rows=100), now=NOW)
    with pytest.raises(ValidationError) as caught:
        with write_session(world.engine) as s:
            save_import_limits(s, world.manager, ImportLimits(max_bytes=0), now=NOW)
    assert "ファイルの大きさは1 MBから200 MBの間" in caught.value.message
    with write_session(world.engine) as s:
        save_import_limits(s, world.manager, ImportLimits(max_bytes=5 * MB, max_rows=1_000), now=NOW)
    with world.read() as s:
        assert get_import_limits(s) == ImportLimits(5 * MB, 1_000, 100, 2_000)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "import_limits")).one()
    assert entry.staff_id == world.manager.id and "行数1,000行" in entry.summary and "5 MB" in entry.summary
    with write_session(world.engine) as s:  # an unusable stored value falls back to the defaults
        s.get(CentreSetting, "import_limits").value = {"max_rows": "たくさん"}
    with world.read() as s:
        assert get_import_limits(s) == DEFAULTS


# ----------------------------------------------------------------------------- two terminals


class Paused:
    """Hold an import inside its check phase (while it parses the rows) until released."""

    def __init__(self, monkeypatch):
        self.parsing = threading.Event()
        self.release = threading.Event()
        real = tabular.parse_rows

        def parse_rows(*a, **k):
            self.parsing.set()
            assert self.release.wait(30), "never released"
            return real(*a, **k)

        monkeypatch.setattr(imports, "parse_rows", parse_rows)

    def run(self, fn) -> dict:
        out: dict = {}

        def work():
            try:
                out["report"] = fn()
            except Exception as exc:  # noqa: BLE001 - handed to the test
                out["error"] = exc

        self.thread = threading.Thread(target=work)
        self.thread.start()
        assert self.parsing.wait(30), "the import never reached its check"
        return out

    def finish(self) -> None:
        self.release.set()
        self.thread.join(60)


def impatient_engine(url):
    """Another terminal that gives up on a held lock after 1 s (SQLite's busy timeout; PostgreSQL's lock)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _short(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout=1000")
    return engine


def other_terminal_books(url, world, start: datetime, end: datetime):
    other = impatient_engine(url)
    try:
        data = world.input(start, end, room="大会議室")
        from booking_app.services.bookings import create_booking

        with write_session(other) as s:
            return create_booking(s, world.desk, data, now=NOW)
    finally:
        other.dispose()


def test_another_terminal_saves_while_a_ledger_is_being_checked(world, db_url, tmp_path, monkeypatch):
    path = tmp_path / "台帳.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, *(ledger_row(i) for i in range(50))])
    paused = Paused(monkeypatch)
    out = paused.run(lambda: imports.import_bookings_file(world.engine, world.manager, path, dry_run=False, now=NOW))
    try:
        saved = other_terminal_books(db_url, world, at(date(2026, 12, 2), 13), at(date(2026, 12, 2), 15))
    finally:
        paused.finish()
    assert "error" not in out, out
    assert out["report"].written and out["report"].bookings == 50
    with world.read() as s:
        assert s.get(Booking, saved.id) is not None
        assert len(s.scalars(select(Booking.id)).all()) == 51


def test_the_old_way_inside_one_write_session_made_the_other_save_fail_on_sqlite(sqlite_url, tmp_path,
                                                                                   monkeypatch):
    """The contrast: parsing inside BEGIN IMMEDIATE holds SQLite's write lock, so the other save gives up."""
    engine = make_engine(sqlite_url)
    world = seed(engine)
    path = tmp_path / "台帳.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, ledger_row(1)])

    def old_way():
        with write_session(engine) as s:
            return imports.import_bookings(s, world.manager, path, dry_run=False, now=NOW)

    paused = Paused(monkeypatch)
    out = paused.run(old_way)
    try:
        with pytest.raises(Busy):
            other_terminal_books(sqlite_url, world, at(date(2026, 12, 2), 13), at(date(2026, 12, 2), 15))
    finally:
        paused.finish()
        engine.dispose()
    assert out["report"].written


def test_a_booking_saved_during_the_check_makes_the_write_refuse_nothing_written(world, db_url, tmp_path,
                                                                                  monkeypatch):
    """The write judges again: the other terminal's booking is the usual double-booking error."""
    day = date(2026, 12, 9)
    path = tmp_path / "台帳.csv"
    row = ledger_row(0)
    row[0] = day.strftime("%Y/%m/%d")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, row, ledger_row(1)])
    paused = Paused(monkeypatch)
    out = paused.run(lambda: imports.import_bookings_file(world.engine, world.manager, path, dry_run=False, now=NOW))
    try:
        saved = other_terminal_books(db_url, world, at(day, 10), at(day, 11))
        before = db_fingerprint(world.engine)
    finally:
        paused.finish()
    report = out["report"]
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(2, "部屋")], report.summary_lines()
    assert f"予約番号{saved.id:07d}" in report.errors[0].message and "二重予約" in report.errors[0].message
    assert db_fingerprint(world.engine) == before


def test_register_import_checks_outside_the_write_lock_too(world, db_url, tmp_path, monkeypatch):
    path = tmp_path / "名簿.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([GROUP_HEADER, *(group_row(i) for i in range(20))])
    paused = Paused(monkeypatch)
    monkeypatch.setattr(group_io, "parse_rows", imports.parse_rows)  # the same pause
    out = paused.run(lambda: group_io.import_groups_file(world.engine, world.manager, path, dry_run=False, now=NOW))
    try:
        saved = other_terminal_books(db_url, world, at(date(2026, 12, 2), 13), at(date(2026, 12, 2), 15))
    finally:
        paused.finish()
    assert "error" not in out, out
    assert out["report"].written and len(out["report"].created) == 20
    assert world.booking(saved.id) is not None


def test_a_closure_set_during_the_check_is_judged_by_the_write(world, tmp_path, monkeypatch):
    """The centre profile changed meanwhile: the write judges the rules again (a day still to come is now a
    臨時休館日), nothing written."""
    from dataclasses import replace

    from booking_app.domain.profile import DateNote
    from booking_app.services import centre

    day = date(2026, 12, 9)
    row = ledger_row(0)
    row[0] = day.strftime("%Y/%m/%d")
    path = tmp_path / "台帳.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, ledger_row(1), row])
    paused = Paused(monkeypatch)
    out = paused.run(lambda: imports.import_bookings_file(world.engine, world.manager, path, dry_run=False, now=NOW))
    try:
        with write_session(world.engine) as s:
            profile = centre.get_profile(s)
            centre.save_profile(s, world.manager, replace(profile, closed_dates=(DateNote(day, "設備点検"),)), now=NOW)
        before = db_fingerprint(world.engine)
    finally:
        paused.finish()
    report = out["report"]
    assert not report.written and [(e.row, e.column) for e in report.errors] == [(3, "利用日")], report.summary_lines()
    assert "休館日（設備点検）" in report.errors[0].message
    assert db_fingerprint(world.engine) == before


def test_the_written_report_says_what_the_preview_said(world, tmp_path):
    """The write keeps the past rows' verdict on the rules when the profile is unchanged: the same notices
    (closed days and evenings of 2020, history) and counts as the dry run."""
    path = tmp_path / "台帳.csv"
    rows = [ledger_row(i) for i in range(40)]
    for i in range(0, 40, 3):
        rows[i][4:6] = ["21:00", "23:30"]  # after the opening hours: a notice for history
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([LEDGER_HEADER, *rows])
    preview = imports.import_bookings_file(world.engine, world.manager, path, dry_run=True, now=NOW)
    written = imports.import_bookings_file(world.engine, world.manager, path, dry_run=False, now=NOW)
    assert written.written and len(preview.warnings) >= 14
    assert sorted(map(str, written.warnings)) == sorted(map(str, preview.warnings))
    assert (written.past, written.bookings, written.rows) == (preview.past, preview.bookings, preview.rows) == (40, 40, 40)
    with world.read() as s:
        overrides = s.scalars(select(Booking.override_reason)).all()
    assert len(overrides) == 40 and overrides.count(imports.OVERRIDE_REASON) >= 14


def test_an_unclosed_quote_that_would_swallow_the_file_is_refused(world, tmp_path):
    """A quote opened and never closed makes the rest of the file one cell: stopped at the record's budget."""
    path = tmp_path / "引用符.csv"
    path.write_bytes(",".join(LEDGER_HEADER).encode() + b"\r\n" + b'2020/01/01,,"' + b"a\r\n" * 3_000_000)
    message, peak = refused(world, "ledger", path)
    assert "2行目" in message and ("長すぎ" in message), message
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"
