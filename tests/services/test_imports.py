"""Import of the centre's old booking ledger (予約台帳の取込), on the real sample files.

The samples in tests/data are copies of shared/samples as the centre keeps them (Shift_JIS CSV and
xlsx, 374 rows). Six of their rows are genuinely impossible under the centre's defaults: five lend
the single wireless microphone set to two rooms at once, one puts 15 people in a 12-seat room.
The import is all-or-none, so the file as it is must be refused naming exactly those rows; the
same file without them must import all 368 remaining rows.
"""

from __future__ import annotations

import csv
import time as clock
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from factories import JAPANESE, NOW, at
from sqlalchemy import delete, func, select

from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.services.imports import OVERRIDE_REASON, import_bookings
from booking_app.store.models import AuditEntry, Booking, BookingEquipment, MemberGroup

DATA = Path(__file__).resolve().parents[1] / "data"
CSV_SAMPLE = DATA / "予約台帳_2026年4-6月.csv"
XLSX_SAMPLE = DATA / "予約台帳_2026年4-6月.xlsx"
# Row numbers as Excel shows them (heading = row 1) → the column at fault.
INVALID_ROWS = {11: "備品", 12: "予定人数", 45: "備品", 119: "備品", 241: "備品", 272: "備品"}
VALID_ROWS = 374 - len(INVALID_ROWS)


def without_rows(src: Path, dst: Path, rows: set[int]) -> Path:
    """A copy of a ledger without some rows, saved in the same format and encoding."""
    if src.suffix == ".xlsx":
        wb = openpyxl.load_workbook(src)
        ws = wb.active
        for r in sorted(rows, reverse=True):
            ws.delete_rows(r)
        wb.save(dst)
        wb.close()
    else:
        lines = src.read_bytes().decode("cp932").splitlines(keepends=True)
        dst.write_bytes("".join(x for i, x in enumerate(lines, 1) if i not in rows).encode("cp932"))
    return dst


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    header = ["利用日", "曜日", "部屋", "区分", "開始", "終了", "団体名", "登録番号", "代表者", "電話番号",
              "予定人数", "目的", "備品", "備考"]
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def run_import(world, path: Path, *, dry_run: bool = False, actor=None):
    with world.write() as s:
        return import_bookings(s, actor or world.manager, path, dry_run=dry_run, now=NOW)


def snapshot(world) -> list[tuple]:
    with world.read() as s:
        rows = s.execute(
            select(Booking.room_id, Booking.start_at, Booking.end_at, Booking.booker_kind, Booking.booker_name,
                   Booking.status, Booking.attendees, Booking.contact_phone, Booking.purpose, Booking.note)
            .order_by(Booking.start_at, Booking.room_id)
        ).all()
    return [tuple(r) for r in rows]


def counts(world) -> tuple[int, int, int, int]:
    return (world.count(Booking), world.count(BookingEquipment), world.count(MemberGroup), world.count(AuditEntry))


@pytest.mark.parametrize("sample", [CSV_SAMPLE, XLSX_SAMPLE], ids=["csv-cp932", "xlsx"])
def test_sample_as_it_is_is_refused_naming_each_impossible_row(world, sample):
    report = run_import(world, sample)

    assert {(e.row, e.column) for e in report.errors} == set(INVALID_ROWS.items())
    assert report.rows == 374 and not report.written
    assert all(JAPANESE.search(e.message) for e in report.errors)
    mic = next(e for e in report.errors if e.row == 11)
    assert "ワイヤレスマイク" in mic.message and "1セット中1セット" in mic.message
    assert "定員（12人）" in next(e for e in report.errors if e.row == 12).message
    assert counts(world) == (0, 0, 0, 0)  # nothing written, not even the groups


@pytest.mark.parametrize("sample", [CSV_SAMPLE, XLSX_SAMPLE], ids=["csv-cp932", "xlsx"])
def test_sample_without_the_impossible_rows_imports_every_row(world, sample, tmp_path):
    clean = without_rows(sample, tmp_path / f"clean{sample.suffix}", set(INVALID_ROWS))

    t0 = clock.perf_counter()
    report = run_import(world, clean)
    elapsed = clock.perf_counter() - t0

    assert report.ok, report.summary_lines()
    assert elapsed < 5, f"import took {elapsed:.1f} s"
    assert report.written and report.rows == report.bookings == VALID_ROWS
    assert len(report.booking_ids) == VALID_ROWS and world.count(Booking) == VALID_ROWS
    assert report.cancelled == 1 and len(report.new_groups) == 40 and world.count(MemberGroup) == 40

    with world.read() as s:
        def one(**where) -> Booking:
            q = select(Booking)
            for k, v in where.items():
                q = q.where(getattr(Booking, k) == v)
            return s.scalars(q).one()

        hall = world.rooms["多目的交流ホール"]
        # 'R8.4.1' is 2026-04-01; period 午前 with its times.
        era = one(room_id=hall, start_at=at(date(2026, 4, 1), 9))
        assert era.end_at == at(date(2026, 4, 1), 12) and era.booker_name == "下関朗読ボランティア"
        assert {(e.equipment_type_id, e.quantity) for e in era.equipment} == {
            (world.equipment["プロジェクター"], 1), (world.equipment["スクリーン"], 1)}
        # Own times (13:30-16:00) written under 午前: the times win.
        own = one(room_id=world.rooms["作業室"], start_at=at(date(2026, 4, 4), 13, 30))
        assert own.end_at == at(date(2026, 4, 4), 16)
        # Times with no period.
        assert one(room_id=world.rooms["小会議室2"], start_at=at(date(2026, 4, 6), 18)).end_at == at(date(2026, 4, 6), 22)
        # A private person with no registration number.
        person = one(booker_kind="person")
        assert person.booker_name == "山田 太郎" and person.group_id is None and "松本 恵美" in person.note
        # The cancelled row keeps its note as the reason and frees its slot.
        cancelled = one(status=BookingStatus.CANCELLED.value)
        assert cancelled.status_reason == "取消（4/20 電話連絡）"
        assert cancelled.start_at == at(date(2026, 4, 13), 18)
        # Full-width phone number folded to ASCII.
        assert "０" not in "".join(s.scalars(select(Booking.contact_phone)))
        net = s.scalars(select(Booking).where(Booking.booker_name == "NPO法人 海峡ネット")).first()
        assert net.contact_phone == "083-255-1234"
        # History: confirmed (nothing guessed about who came), as a manager's override.
        statuses = {st: n for st, n in s.execute(select(Booking.status, func.count()).group_by(Booking.status))}
        assert statuses == {"confirmed": VALID_ROWS - 1, "cancelled": 1}
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.actual_users.is_not(None))) == 0
        assert s.scalar(select(func.count()).select_from(Booking).where(
            Booking.override_reason == OVERRIDE_REASON)) == VALID_ROWS
        # Groups matched by registration number, created once each.
        group = s.scalars(select(MemberGroup).where(MemberGroup.reg_no == "0014")).one()
        assert group.name == "関門ハーモニー合唱団" and group.status == "active"
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.group_id == group.id)) > 1
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
        assert audit.staff_id == world.manager.id and str(VALID_ROWS) in audit.summary

    # Evening bookings on holidays broke the opening hours: imported, but named in the notices.
    assert any(w.row == 17 and w.column == "区分" for w in report.warnings)  # row 19 before the cut
    assert sum("開館時間" in w.message for w in report.warnings) == 10


def test_reimporting_the_same_ledger_is_refused(sqlite_url, tmp_path):
    from factories import seed

    from booking_app.store.engine import make_engine

    engine = make_engine(sqlite_url)
    try:
        world = seed(engine)
        clean = without_rows(CSV_SAMPLE, tmp_path / "clean.csv", set(INVALID_ROWS))
        assert run_import(world, clean).ok
        before = counts(world)
        again = run_import(world, clean)
        assert not again.ok and len(again.errors) == VALID_ROWS - 1  # the cancelled row holds no slot
        assert "取込済み" in again.errors[0].message
        assert counts(world) == before
    finally:
        engine.dispose()


def test_utf8_copies_import_the_same_as_shift_jis(world, tmp_path):
    clean = without_rows(CSV_SAMPLE, tmp_path / "clean.csv", set(INVALID_ROWS))
    text = clean.read_bytes().decode("cp932")
    results = []
    for name, data in (("cp932.csv", clean.read_bytes()), ("bom.csv", text.encode("utf-8-sig")),
                       ("plain.csv", text.encode("utf-8"))):
        path = tmp_path / name
        path.write_bytes(data)
        report = run_import(world, path)
        assert report.ok, report.summary_lines()
        results.append((report.file_kind, snapshot(world)))
        with world.write() as s:  # start again from an empty ledger
            s.execute(delete(BookingEquipment))
            s.execute(delete(Booking))
            s.execute(delete(MemberGroup))
    kinds = [k for k, _ in results]
    assert kinds == ["CSV（Shift_JIS）", "CSV（UTF-8 BOM付き）", "CSV（UTF-8）"]
    assert len(results[0][1]) == VALID_ROWS
    assert results[0][1] == results[1][1] == results[2][1]


def test_a_bad_date_and_double_bookings_refuse_the_whole_file(world, tmp_path):
    existing = world.book(at(date(2026, 12, 9), 13), at(date(2026, 12, 9), 17), room="小会議室1")
    before = counts(world)
    path = write_csv(tmp_path / "bad.csv", [
        ["2026/12/02", "水", "大会議室", "午前", "", "", "下関朗読ボランティア", "0001", "森 幸子", "083-211-9836", "10", "定例会", "", ""],
        ["2026/13/02", "", "大会議室", "午後", "", "", "下関朗読ボランティア", "0001", "森 幸子", "", "10", "定例会", "", ""],
        ["2026/12/03", "木", "小会議室1", "", "10:00", "12:00", "関門囲碁愛好会", "0031", "", "", "6", "練習", "", ""],
        ["2026/12/03", "木", "小会議室１", "午前", "", "", "個人利用（田中 一郎）", "", "", "", "2", "打合せ", "", ""],
        ["2026/12/09", "水", "小会議室1", "午後", "14:00", "16:00", "関門囲碁愛好会", "0031", "", "", "6", "練習", "", ""],
    ])

    report = run_import(world, path)

    assert not report.ok and not report.written
    # Both rows of the double booking are errors, each naming the other (issue 13).
    assert [(e.row, e.column) for e in report.errors] == [(3, "利用日"), (4, "部屋"), (5, "部屋"), (6, "部屋")]
    assert "2026/13/02" in report.errors[0].message
    assert "5行目" in report.errors[1].message and "4行目" in report.errors[2].message
    assert existing.number in report.errors[3].message
    assert counts(world) == before  # not even row 2 or the new groups
    text = "\n".join(report.summary_lines())
    assert "何も取り込んでいません" in text and "3行目［利用日］" in text


def test_dry_run_reports_and_writes_nothing(world, tmp_path):
    clean = without_rows(XLSX_SAMPLE, tmp_path / "clean.xlsx", set(INVALID_ROWS))

    report = run_import(world, clean, dry_run=True)

    assert report.ok and report.dry_run and not report.written
    assert report.bookings == VALID_ROWS and len(report.new_groups) == 40 and report.past == VALID_ROWS - 1
    assert counts(world) == (0, 0, 0, 0)
    assert any("書き込んでいません" in line for line in report.summary_lines())


def test_only_a_manager_may_import(world):
    with pytest.raises(PermissionDenied) as exc:
        run_import(world, CSV_SAMPLE, actor=world.desk)
    assert "管理者" in exc.value.message


def test_quirks_periods_equipment_words_and_unknown_values(world, tmp_path):
    # 2026-12-06 is a Sunday: its 午後 runs to 18:00 and it has no 夜間.
    path = write_csv(tmp_path / "q.csv", [
        ["令和8年12月6日", "日", "大会議室", "午後", "", "", "ふくふく手話サークル", "5", "", "", "１２名", "講座", "マイク", ""],
        ["2026/12/06", "日", "作業室", "夜間", "", "", "ふくふく手話サークル", "5", "", "", "3", "作業", "", ""],
        ["2026/12/07", "火", "和室", "午前", "", "", "ふくふく手話サークル", "5", "", "", "3", "作業", "テレビ1", ""],
        ["2026/12/08", "火", "作業室", "午前", "10時", "", "ふくふく手話サークル", "5", "", "", "多数", "", "", ""],
    ], encoding="cp932")

    report = run_import(world, path)

    assert [(e.row, e.column) for e in report.errors] == [
        (3, "区分"), (4, "曜日"), (4, "部屋"), (4, "備品"), (5, "終了"), (5, "予定人数"), (5, "目的")]
    assert "時刻が決まりません" in report.errors[0].message
    assert "和室" in report.errors[2].message and "大会議室" in report.errors[2].message

    ok = write_csv(tmp_path / "ok.csv", [
        ["令和8年12月6日", "日", "大会議室", "午後", "", "", "ふくふく手話サークル", "5", "", "", "１２名", "講座",
         "マイク、ホワイトボード×2", "会場設営あり"],
    ])
    report = run_import(world, ok)
    assert report.ok, report.summary_lines()
    with world.read() as s:
        b = s.scalars(select(Booking)).one()
        assert (b.start_at, b.end_at) == (at(date(2026, 12, 6), 13), at(date(2026, 12, 6), 18))
        assert b.attendees == 12 and b.note == "会場設営あり" and b.status == "confirmed"
        assert b.override_reason == ""  # inside today's window: no override needed
        assert {(e.equipment_type_id, e.quantity) for e in b.equipment} == {
            (world.equipment["ワイヤレスマイク"], 1), (world.equipment["ホワイトボード"], 2)}
        assert s.scalars(select(MemberGroup.reg_no)).one() == "0005"  # Excel's lost leading zeros restored


def test_existing_group_is_matched_by_registration_number(world, tmp_path):
    gid = world.make_group("関門ハーモニー合唱団（名簿）", reg_no="0014")
    path = write_csv(tmp_path / "g.csv", [
        ["2026/12/02", "水", "大会議室", "午前", "", "", "関門ハーモニー合唱団", "0014", "", "", "20", "練習", "", ""],
    ])
    report = run_import(world, path)
    assert report.ok and report.matched_groups == 1 and report.new_groups == []
    assert [(w.row, w.column) for w in report.warnings] == [(2, "団体名")]
    with world.read() as s:
        b = s.scalars(select(Booking)).one()
        assert b.group_id == gid and b.booker_name == "関門ハーモニー合唱団（名簿）"
    assert world.count(MemberGroup) == 1


def test_unreadable_files_raise_a_japanese_message(world, tmp_path):
    bad = tmp_path / "ledger.csv"
    bad.write_bytes(b"\x81\x00\xff\xfe\x80" * 10)
    with pytest.raises(ValidationError) as exc:
        run_import(world, bad)
    assert "文字コード" in exc.value.message
    with pytest.raises(ValidationError):
        run_import(world, tmp_path / "missing.xlsx")
    notes = tmp_path / "notes.csv"
    notes.write_text("日付がない表,です\n1,2\n", encoding="utf-8")
    report = run_import(world, notes)
    assert [(e.row, e.column) for e in report.errors] == [(1, "")] and "見出し" in report.errors[0].message


def test_a_ledger_in_another_encoding_is_an_encoding_error_not_a_missing_heading(world, tmp_path):
    """cp932 decodes EUC-JP and Latin-1 bytes into mojibake without complaint; the heading then
    'is missing', but the fix staff need is to save the file again as UTF-8 or Shift_JIS."""
    euc = tmp_path / "euc.csv"
    euc.write_bytes("部屋,区分,団体名,目的\n大会議室,午前,下関朗読,講座\n".encode("euc_jp"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Fecha,Sala,Grupo,Propósito\n2026/12/02,Salón,Coro,Ensayo\n".encode("latin-1"))
    for path in (euc, latin1):
        assert path.read_bytes().decode("cp932")  # the trap: both decode, as mojibake
    before = counts(world)
    for path in (euc, latin1):
        with pytest.raises(ValidationError) as exc:
            run_import(world, path)
        assert "文字コード" in exc.value.message and "Shift_JIS" in exc.value.message, path.name
        assert exc.value.field == "file"
    assert counts(world) == before


def test_import_time_is_inside_the_window_for_future_rows(world, tmp_path):
    """Rows after today need no override when they are inside the window; history needs one."""
    path = write_csv(tmp_path / "mix.csv", [
        ["2026/11/20", "金", "大会議室", "午前", "", "", "下関防災士の会", "0010", "", "", "10", "研修会", "", ""],
        ["2026/11/27", "金", "大会議室", "午前", "", "", "下関防災士の会", "0010", "", "", "10", "研修会", "", ""],
    ])
    report = run_import(world, path)
    assert report.ok and report.past == 1
    with world.read() as s:
        rows = {b.start_at.date(): b.override_reason for b in s.scalars(select(Booking))}
    assert rows == {date(2026, 11, 20): OVERRIDE_REASON, date(2026, 11, 27): ""}


# --------------------------------------------------------------------------- rules on future dates (issue 13, item 6)


def _rule_rows() -> list[list[str]]:
    """Relative to NOW (2026-11-25): a past Sunday evening (history), a future closed day (年末年始)
    and a future Sunday evening (the centre closes at 18:00 on Sundays), and one ordinary future row."""
    return [
        ["2026/11/22", "日", "大会議室", "", "18:00", "21:00", "下関防災士の会", "0010", "", "", "10", "研修会", "", ""],
        ["2027/01/02", "土", "大会議室", "", "9:00", "12:00", "下関防災士の会", "0010", "", "", "10", "研修会", "", ""],
        ["2026/12/06", "日", "小会議室1", "", "18:00", "21:00", "関門囲碁愛好会", "0031", "", "", "6", "練習", "", ""],
        ["2026/12/02", "水", "小会議室2", "午前", "", "", "関門囲碁愛好会", "0031", "", "", "6", "練習", "", ""],
    ]


def test_a_future_row_that_breaks_the_rules_is_an_error_a_past_one_a_notice(world, tmp_path):
    path = write_csv(tmp_path / "rules.csv", _rule_rows())

    report = run_import(world, path)

    assert not report.ok and not report.written and counts(world) == (0, 0, 0, 0)
    assert [(e.row, e.column) for e in report.errors] == [(3, "利用日"), (4, "開始")]
    closed, late = (e.message for e in report.errors)
    assert "2027/01/02（土）は休館日（年末年始休館）です" in closed and "規則外" in closed
    assert "開館時間（9:00〜18:00）外です" in late
    # The past row is history: a notice, which says the date once.
    (past,) = [w for w in report.warnings if w.row == 2]
    assert past.message == "2026/11/22（日）は開館時間（9:00〜18:00）外です。「台帳からの取込」として取り込みます。"
    for issue in [*report.errors, *report.warnings]:  # the date is said once (was 「2027/01/02（土）は2027年1月2日は…」)
        assert issue.message.count("2026") + issue.message.count("2027") == 1, issue.message
    assert any("--override-reason" in line for line in report.summary_lines())


def test_a_manager_imports_future_rule_breaks_with_a_reason_recorded_on_each_booking(world, tmp_path):
    path = write_csv(tmp_path / "rules.csv", _rule_rows())
    reason = "市の行事のため臨時に使用（市民活動推進課の依頼）"

    with world.write() as s:
        report = import_bookings(s, world.manager, path, dry_run=False, now=NOW, override_reason=f"  {reason} ")

    assert report.ok and report.written, report.summary_lines()
    assert report.overridden == 2 and report.past == 1
    with world.read() as s:
        rows = {b.start_at.date(): (b.override_reason, b.created_by) for b in s.scalars(select(Booking))}
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert rows == {
        date(2026, 11, 22): (OVERRIDE_REASON, world.manager.id),
        date(2027, 1, 2): (reason, world.manager.id),
        date(2026, 12, 6): (reason, world.manager.id),
        date(2026, 12, 2): ("", world.manager.id),
    }
    assert audit.after["override_reason"] == reason
    notes = {w.row: w.message for w in report.warnings}
    assert notes[3] == f"2027/01/02（土）は休館日（年末年始休館）です。規則外（理由：{reason}）として取り込みます。"
    assert any("規則外" in line and "2件" in line for line in report.summary_lines())


def test_the_override_reason_is_for_managers_only(world, tmp_path):
    path = write_csv(tmp_path / "rules.csv", _rule_rows())
    with pytest.raises(PermissionDenied), world.write() as s:
        import_bookings(s, world.desk, path, dry_run=True, now=NOW, override_reason="理由")
    assert counts(world) == (0, 0, 0, 1)  # nothing written but the refusal's own audit entry
    with world.read() as s:
        assert s.scalars(select(AuditEntry.action)).all() == ["denied"]


@pytest.mark.now("2027-01-05 10:00")
def test_future_is_judged_by_the_apps_clock(world, tmp_path):
    """The same 2027/01/02 row is history once the clock has passed it (no now= given: clock.today())."""
    path = write_csv(tmp_path / "rules.csv", [_rule_rows()[1]])
    with world.write() as s:
        report = import_bookings(s, world.manager, path, dry_run=True)
    assert report.ok and report.past == 1
    assert [w.message for w in report.warnings] == [
        "2027/01/02（土）は休館日（年末年始休館）です。「台帳からの取込」として取り込みます。"]


def test_an_overlap_names_every_row_it_overlaps(world, tmp_path):
    existing = world.book(at(date(2026, 12, 9), 9), at(date(2026, 12, 9), 10), room="大会議室")
    path = write_csv(tmp_path / "overlap.csv", [
        ["2026/12/09", "水", "大会議室", "", "9:30", "12:00", "関門囲碁愛好会", "0031", "", "", "6", "練習", "", ""],
        ["2026/12/09", "水", "大会議室", "", "11:00", "13:00", "下関防災士の会", "0010", "", "", "6", "研修会", "", ""],
        ["2026/12/09", "水", "大会議室", "", "10:00", "11:30", "ふくふく手話サークル", "0005", "", "", "6", "講座", "", ""],
        ["2026/12/09", "水", "大会議室", "", "13:00", "15:00", "下関朗読ボランティア", "0001", "", "", "6", "定例会", "", ""],
    ])

    report = run_import(world, path)

    errors = {e.row: e.message for e in report.errors}
    assert sorted(errors) == [2, 3, 4]  # row 5 starts when row 3 ends: no overlap
    assert existing.number in errors[2] and "3行目" in errors[2] and "4行目" in errors[2]
    assert "2行目" in errors[3] and "4行目" in errors[3] and existing.number not in errors[3]
    assert "2行目" in errors[4] and "3行目" in errors[4]
    assert all(e.column == "部屋" and "二重予約" in e.message for e in report.errors)
