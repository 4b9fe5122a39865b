"""Moving the group register (登録団体名簿) in and out, on both databases: the sample files with their
quirks, broken files (nothing written), dry runs, duplicates, and export → import → export round trips."""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.domain.kana import to_hiragana
from booking_app.cli import groups as cli_groups
from booking_app.services import group_io as gio
from booking_app.services import group_roster as roster
from booking_app.services import groups as gs
from booking_app.services.centre import ensure_initial_data, list_staff
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, GroupStatusChange, MemberGroup

NOW = datetime(2026, 11, 25, 10, 0)
TODAY = NOW.date()
DATA = Path(__file__).resolve().parents[1] / "data" / "groups"
SAMPLE_CSV = DATA / "登録団体名簿.csv"  # cp932, as Excel on a Japanese PC saves it
SAMPLE_XLSX = DATA / "登録団体名簿.xlsx"
EXPIRED = {"0011", "0014", "0026", "0040"}  # ran out on 2026/03/31


@pytest.fixture
def env(db_url):
    engine = make_engine(db_url)
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
        staff = {x.role: x.as_actor() for x in list_staff(s)}
    yield engine, staff["manager"], staff["desk"]
    engine.dispose()


def sample_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SAMPLE_CSV.read_bytes().decode("cp932"), newline="")))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def run_import(engine, actor, path: Path, *, dry_run: bool = False) -> gio.GroupImportReport:
    with write_session(engine) as s:
        return gio.import_groups(s, actor, path, dry_run=dry_run, now=NOW)


def counts(engine) -> tuple[int, int, int]:
    with read_session(engine) as s:
        return (s.scalar(select(func.count()).select_from(MemberGroup)),
                s.scalar(select(func.count()).select_from(GroupStatusChange)),
                s.scalar(select(func.count()).select_from(AuditEntry)))


def by_reg(engine) -> dict[str, MemberGroup]:
    with read_session(engine) as s:
        return {g.reg_no: g for g in s.scalars(select(MemberGroup))}


# --------------------------------------------------------------------------- the samples


@pytest.mark.parametrize("sample", [SAMPLE_CSV, SAMPLE_XLSX], ids=["csv-cp932", "xlsx"])
def test_the_sample_register_imports_with_its_quirks(env, sample):
    engine, manager, _ = env
    before = counts(engine)
    report = run_import(engine, manager, sample)
    assert report.ok, report.summary_lines()
    assert report.written and report.rows == 40 and len(report.created) == 40
    assert report.file_kind == ("CSV（Shift_JIS）" if sample.suffix == ".csv" else "Excel（xlsx）")
    groups = by_reg(engine)
    assert sorted(groups) == [f"{n:04d}" for n in range(1, 41)]
    # Full-width phone, half-width kana, era date, counter word: all read and stored plainly.
    assert groups["0006"].phone == "083-255-1234"
    assert groups["0009"].kana == "ヒノヤマカンキョウクラブ"
    assert groups["0013"].registered_on == date(2015, 4, 1)
    assert groups["0021"].members == 32
    # Several fields in one cell, names containing ・ matched greedily, short forms accepted.
    assert groups["0005"].activity_fields == ["社会教育", "消費者保護", "職業能力・雇用機会"]
    assert groups["0020"].activity_fields == ["男女共同参画", "学術・文化・芸術・スポーツ", "観光"]
    assert groups["0015"].activity_fields == ["条例で定める活動", "団体の運営・活動の支援", "職業能力・雇用機会"]
    assert groups["0031"].note == "令和7年度 代表者変更"
    # Registrations that ran out on 2026/03/31 are stored as what the counter says: 期限切れ.
    assert {r for r, g in groups.items() if g.status == "expired"} == EXPIRED
    assert all(g.status == "active" for r, g in groups.items() if r not in EXPIRED)
    assert report.expired == 4
    # The ordinance's declarations are taken as made at first registration.
    assert all(g.declarations == {k: True for k in DECLARATIONS} for g in groups.values())
    # Search keys filled by the ORM events.
    assert "ひのやまかんきょうくらぶ" in groups["0009"].search_text
    assert groups["0006"].phone_digits == "0832551234"
    g_before, h_before, a_before = before
    with read_session(engine) as s:
        history = list(s.scalars(select(GroupStatusChange)))
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "import")))
    assert len(history) - h_before == 40
    assert all(h.old_status is None and h.staff_id == manager.id for h in history)
    assert sum("有効期限2026/03/31が過ぎています" in h.reason for h in history) == 4
    assert len(audits) == 1 and "新規40団体" in audits[0].summary
    assert audits[0].after["created"][:2] == ["0001", "0002"]
    # The counter finds them.
    with read_session(engine) as s:
        assert [g.reg_no for g in gs.search_groups(s, "ひのやま", today=TODAY)] == ["0009"]
        assert [g.reg_no for g in gs.search_groups(s, "0832551234", today=TODAY)] == ["0006"]
        assert gs.verdict(gs.group_by_code(s, "FKG:0011"), TODAY).label == "期限切れ"
    # New numbers continue after the imported ones.
    with write_session(engine) as s:
        new = gs.register_group(s, manager, GroupInput(name="新しい会", kana="アタラシイカイ", representative="山田 花子",
                                                       phone="083-000-0000", activity_fields=["まちづくり"],
                                                       declarations={k: True for k in DECLARATIONS}), now=NOW)
    assert new.reg_no == "0041"


def test_cp932_utf8_bom_utf8_and_xlsx_give_the_same_register(env, tmp_path):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).ok
    with read_session(engine) as s:
        first = {g.reg_no: gs._snapshot(g) for g in s.scalars(select(MemberGroup))}
    rows = sample_rows()
    for variant in (write_csv(tmp_path / "bom.csv", rows, "utf-8-sig"),
                    write_csv(tmp_path / "plain.csv", rows), SAMPLE_XLSX):
        report = run_import(engine, manager, variant)
        assert report.ok, report.summary_lines()
        assert (len(report.created), len(report.updated), report.unchanged) == (0, 0, 40), variant.name
    assert run_import(engine, manager, tmp_path / "bom.csv", dry_run=True).file_kind == "CSV（UTF-8 BOM付き）"
    with read_session(engine) as s:
        assert {g.reg_no: gs._snapshot(g) for g in s.scalars(select(MemberGroup))} == first
    assert counts(engine)[0] == 40


def test_dry_run_writes_nothing_and_says_what_would_change(env, tmp_path):
    engine, manager, _ = env
    before = counts(engine)
    report = run_import(engine, manager, SAMPLE_CSV, dry_run=True)
    assert report.ok and not report.written and len(report.created) == 40
    assert "確認のみ（--dry-run）のため、データベースには書き込んでいません。" in report.summary_lines()
    assert counts(engine) == before

    assert run_import(engine, manager, SAMPLE_CSV).written
    after_import = counts(engine)
    rows = sample_rows()
    rows[3][6] = "083-999-0000"  # 0003 moved
    rows[4][9] = "2028/03/31"  # 0004 renewed two years ahead
    path = write_csv(tmp_path / "edited.csv", rows)
    preview = run_import(engine, manager, path, dry_run=True)
    assert [(c.reg_no, c.changes) for c in preview.updated] == [("0003", ("電話番号",)), ("0004", ("有効期限",))]
    assert preview.unchanged == 38 and not preview.created
    assert counts(engine) == after_import
    assert by_reg(engine)["0003"].phone == "083-206-8719"


def test_an_update_keeps_history_and_audits_each_group(env, tmp_path):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).written
    rows = sample_rows()
    rows[0] += ["状態", "状態の理由"]
    rows[2] += ["停止", "会費の未納"]
    rows[11][9] = "2027/03/31"  # 0011 renewed: expired → active
    report = run_import(engine, manager, write_csv(tmp_path / "upd.csv", rows))
    assert report.written and {c.reg_no for c in report.updated} == {"0002", "0011"}
    groups = by_reg(engine)
    assert (groups["0002"].status, groups["0002"].status_reason) == ("suspended", "会費の未納")
    assert groups["0011"].status == "active"
    with read_session(engine) as s:
        changes = {(h.group_id, h.old_status, h.new_status) for h in s.scalars(
            select(GroupStatusChange).where(GroupStatusChange.old_status.is_not(None)))}
        updates = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "update",
                                                          AuditEntry.entity == "group")))
    assert changes == {(groups["0002"].id, "active", "suspended"), (groups["0011"].id, "expired", "active")}
    assert {u.entity_id for u in updates} == {groups["0002"].id, groups["0011"].id}
    assert updates[0].before and updates[0].after

    # A blank 状態 leaves a manager's suspension standing.
    rows = sample_rows()
    rows[2][6] = "083-111-2222"
    assert run_import(engine, manager, write_csv(tmp_path / "again.csv", rows)).written
    assert by_reg(engine)["0002"].status == "suspended"


def test_only_a_manager_imports(env):
    engine, _, desk = env
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        gio.import_groups(s, desk, SAMPLE_CSV, dry_run=True, now=NOW)


# --------------------------------------------------------------------------- broken files: nothing written


def test_undecodable_files_give_a_clear_japanese_error(env, tmp_path):
    engine, manager, _ = env
    before = counts(engine)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Name,Phone,Notes\nMüller Chor,0832,Grüße\n".encode("latin-1"))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    euc = tmp_path / "euc.csv"
    euc.write_bytes(SAMPLE_CSV.read_bytes().decode("cp932").encode("euc_jp", errors="replace"))
    not_xlsx = tmp_path / "broken.xlsx"
    not_xlsx.write_bytes(b"PK\x03\x04 not really a workbook")
    for path in (latin1, garbage, euc):
        with pytest.raises(ValidationError) as exc:
            run_import(engine, manager, path)
        assert "文字コード" in exc.value.message and "Shift_JIS" in exc.value.message, path.name
    with pytest.raises(ValidationError, match="Excelファイルとして開けません"):
        run_import(engine, manager, not_xlsx)
    with pytest.raises(ValidationError, match="見つかりません"):
        run_import(engine, manager, tmp_path / "nowhere.csv")
    assert counts(engine) == before


def test_a_missing_required_column_is_one_clear_error(env, tmp_path):
    engine, manager, _ = env
    rows = [r[:2] + r[3:] for r in sample_rows()]  # no フリガナ
    report = run_import(engine, manager, write_csv(tmp_path / "nokana.csv", rows))
    assert not report.written
    assert [str(e) for e in report.errors] == ["1行目 必須の列「フリガナ」がありません。見出しの行に加えてください。"]
    assert counts(engine)[0] == 0


def test_every_bad_row_is_named_and_nothing_is_written(env, tmp_path):
    engine, manager, _ = env
    with write_session(engine) as s:  # 0003 already belongs to another group
        gs.register_group(s, manager, GroupInput(name="既存の会", kana="キゾンノカイ", representative="山田 太郎",
                                                 phone="083-100-2000", activity_fields=["観光"],
                                                 declarations={k: True for k in DECLARATIONS}),
                          reg_no="0003", registered_on=date(2026, 4, 1), now=NOW)
    before = counts(engine)
    rows = sample_rows()
    rows[1][8] = "2025/02/30"  # row 2: no such date
    rows[5][0] = "0004"  # row 6: same number as row 5
    rows[6][4] = "福祉・宇宙開発"  # row 7: unknown field
    rows[7][7] = "たくさん"  # row 8: members
    rows[8][3] = "趣味型"  # row 9: type
    rows[9][1] = ""  # row 10: no name
    report = run_import(engine, manager, write_csv(tmp_path / "bad.csv", rows))
    assert not report.written and not report.ok
    where = {(e.row, e.column) for e in report.errors}
    assert where == {(2, "登録日"), (4, "登録番号"), (6, "登録番号"), (7, "活動分野"), (8, "会員数"), (9, "区分"),
                     (10, "団体名")}
    text = "\n".join(report.summary_lines())
    assert "2行目［登録日］ 「2025/02/30」は存在しない日付です。" in text
    assert "6行目［登録番号］ 登録番号0004が5行目と重複しています" in text
    assert "登録番号0003は既に別の団体「既存の会」に使われています" in text
    assert "活動分野「宇宙開発」がわかりません" in text
    assert "エラーが7件あるため、何も取り込んでいません。" in text
    assert "活動分野に書ける分野：保健・医療・福祉、社会教育" in text
    assert counts(engine) == before


def test_a_date_in_the_era_form_that_does_not_exist_is_refused(env, tmp_path):
    engine, manager, _ = env
    rows = sample_rows()
    rows[13][8] = "平成31年13月1日"
    report = run_import(engine, manager, write_csv(tmp_path / "era.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(14, "登録日")]
    assert counts(engine)[0] == 0


def test_likely_duplicates_are_warnings_not_errors(env, tmp_path):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).written
    header = sample_rows()[0]
    rows = [header,
            # same name as 0026 once width and script are folded
            ["", "ﾌﾗﾀﾞﾝｽ れいあろは", "フラダンスレイアロハ", "目的型", "まちづくり", "別の 人", "083-555-0000", "5",
             "2026/05/01", "", ""],
            # same representative and phone as 0031
            ["", "囲碁の会", "イゴノカイ", "目的型", "文化", "吉田 和子", "083(249)5026", "", "2026/05/01", "", ""],
            # two rows of the file that look like one group
            ["", "新しい手話の会", "アタラシイシュワノカイ", "目的型", "福祉", "佐藤 一郎", "090-1111-2222", "", "R8.5.1", "", ""],
            ["", "新しい手話の会", "アタラシイシュワノカイ", "目的型", "福祉", "佐藤 一郎", "090-1111-2222", "", "R8.5.1", "", ""]]
    report = run_import(engine, manager, write_csv(tmp_path / "dups.csv", rows))
    assert report.ok and report.written and len(report.created) == 4
    said = {(w.row, w.column, w.message.split("（重複")[0]) for w in report.warnings}
    assert said >= {
        (2, "団体名", "登録済みの団体（登録番号0026「フラダンス レイアロハ」）と同じ団体名です"),
        (3, "代表者", "登録済みの団体（登録番号0031「関門囲碁愛好会」）と代表者・電話番号が同じです"),
        (5, "団体名", "4行目の「新しい手話の会」と同じ団体名です"),
    }
    # Rows without a number get the next free ones, in file order.
    assert [c.reg_no for c in report.created] == ["0041", "0042", "0043", "0044"]
    assert by_reg(engine)["0043"].registered_on == date(2026, 5, 1)
    assert by_reg(engine)["0043"].activity_fields == ["保健・医療・福祉"]


@pytest.mark.parametrize("text, fields, unknown", [
    ("学術・文化・芸術・スポーツ・観光", ["学術・文化・芸術・スポーツ", "観光"], []),
    ("保健・医療・福祉、まちづくり", ["保健・医療・福祉", "まちづくり"], []),
    ("福祉・環境の保全・子育て", ["保健・医療・福祉", "環境保全", "子どもの健全育成"], []),
    ("文化・スポーツ", ["学術・文化・芸術・スポーツ"], []),
    ("職業能力・雇用機会・消費者の保護", ["職業能力・雇用機会", "消費者保護"], []),
    ("まちづくりの推進を図る活動", ["まちづくり"], []),
    ("ｽﾎﾟｰﾂ", ["学術・文化・芸術・スポーツ"], []),
    ("観光・宇宙", ["観光"], ["宇宙"]),
])
def test_activity_fields_are_matched_greedily(text, fields, unknown):
    assert roster.parse_activity_fields(text) == (fields, unknown)


# --------------------------------------------------------------------------- export and round trip


@pytest.fixture
def empty_sqlite(request, tmp_path):
    """A second fresh, migrated, empty database (SQLite) to import an export into."""
    target = tmp_path / "second.sqlite3"
    shutil.copy(request.getfixturevalue("_sqlite_template"), target)
    engine = make_engine(f"sqlite:///{target.as_posix()}")
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_export_round_trips(env, empty_sqlite, tmp_path, suffix):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).written
    rows = sample_rows()  # add the columns only our export has, some filled, to see them survive
    rows[0] += ["まちづくり協議会", "地区", "連絡担当者", "連絡先電話", "メール", "住所", "活動場所", "状態", "状態の理由"]
    for r in rows[1:]:
        r += [""] * 9
    rows[4][11:20] = ["○", "長府", "石井 花子", "090-1234-5678", "chofu@example.jp", "下関市長府1-2-3", "長府公民館", "", ""]
    rows[2][11:20] = ["", "", "", "", "", "", "", "停止", "会費の未納\n（令和8年6月）"]
    assert run_import(engine, manager, write_csv(tmp_path / "full.csv", rows)).written
    first = tmp_path / f"first{suffix}"
    second = tmp_path / f"second{suffix}"
    with read_session(engine) as s:
        assert gio.export_groups(s, manager, first, today=TODAY) == 40
    with read_session(empty_sqlite) as s:
        actor = next(x.as_actor() for x in list_staff(s) if x.role == "manager")
    report = run_import(empty_sqlite, actor, first)
    assert report.ok and len(report.created) == 40, report.summary_lines()
    with read_session(empty_sqlite) as s:
        assert gio.export_groups(s, actor, second, today=TODAY) == 40
    assert first.read_bytes() == second.read_bytes()
    # Nothing lost on the way.
    with read_session(engine) as s1, read_session(empty_sqlite) as s2:
        a = {g.reg_no: gs._snapshot(g) for g in s1.scalars(select(MemberGroup))}
        b = {g.reg_no: gs._snapshot(g) for g in s2.scalars(select(MemberGroup))}
    assert a == b
    assert b["0004"]["is_machizukuri"] and b["0004"]["district"] == "長府"
    assert b["0002"]["status_reason"] == "会費の未納\n（令和8年6月）"
    # And the export read back into the database it came from changes nothing.
    again = run_import(engine, manager, first, dry_run=True)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 40)


def test_the_csv_export_opens_right_in_excel(env, tmp_path):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).written
    out = tmp_path / "out.csv"
    with read_session(engine) as s:
        gio.export_groups(s, manager, out, today=TODAY)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(roster.EXPORT_COLUMNS)
    assert rows[1][:4] == ["0001", "下関朗読ボランティア", "シモノセキロウドクボランティア", "目的型"]
    line = dict(zip(rows[0], rows[11]))
    assert (line["登録番号"], line["有効期限"], line["状態"]) == ("0011", "2026/03/31", "期限切れ")
    assert dict(zip(rows[0], rows[5]))["活動分野"] == "社会教育、消費者保護、職業能力・雇用機会"


def test_the_xlsx_export_is_a_proper_sheet(env, tmp_path):
    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_XLSX).written
    out = tmp_path / "out.xlsx"
    with read_session(engine) as s:
        gio.export_groups(s, manager, out, today=TODAY)
    wb = openpyxl.load_workbook(out)
    ws = wb["登録団体名簿"]
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1])
    assert [c.value for c in ws[1]] == list(roster.EXPORT_COLUMNS)
    reg, registered = ws.cell(2, 1), ws.cell(2, roster.EXPORT_COLUMNS.index("登録日") + 1)
    assert reg.value == "0001" and reg.data_type == "s" and reg.number_format == "@"
    assert registered.value == datetime(2023, 11, 16) and registered.number_format == "yyyy/mm/dd"
    assert ws.column_dimensions["B"].width > 20
    assert ws.max_row == 41


def test_xlsx_exports_on_one_day_are_the_same_bytes_whatever_the_clock(env, tmp_path, monkeypatch):
    """openpyxl stamps 'modified' with the time of saving; the export must not carry it."""
    import datetime as dt
    import types

    import openpyxl.writer.excel as xl_writer

    engine, manager, _ = env
    assert run_import(engine, manager, SAMPLE_CSV).written
    clock = iter([dt.datetime(2026, 11, 25, 10, 0, 0), dt.datetime(2026, 11, 25, 17, 59, 59)])

    class MovingClock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return next(clock).replace(tzinfo=tz)

    fake_module = types.SimpleNamespace(datetime=MovingClock, timezone=dt.timezone)
    monkeypatch.setattr(xl_writer, "datetime", fake_module)
    first, second = tmp_path / "morning.xlsx", tmp_path / "evening.xlsx"
    with read_session(engine) as s:
        gio.export_groups(s, manager, first, today=TODAY)
        gio.export_groups(s, manager, second, today=TODAY)
    assert next(clock, None) is None  # both saves read the moved clock
    assert first.read_bytes() == second.read_bytes()
    assert openpyxl.load_workbook(first).properties.modified == datetime(2026, 11, 25)


def test_export_refuses_an_unknown_kind_of_file(env, tmp_path):
    engine, manager, _ = env
    with pytest.raises(ValidationError, match=".csv か .xlsx"), read_session(engine) as s:
        gio.export_groups(s, manager, tmp_path / "out.pdf", today=TODAY)


def test_export_is_for_managers_only(env, tmp_path):
    engine, _, desk = env
    out = tmp_path / "名簿.csv"
    with pytest.raises(PermissionDenied, match="管理者のみ"), read_session(engine) as s:
        gio.export_groups(s, desk, out, today=TODAY)
    assert not out.exists()


# --------------------------------------------------------------------------- command line


def test_the_command_line_imports_and_exports(env, tmp_path, capsys):
    engine, manager, _ = env
    parser = argparse.ArgumentParser(prog="fukufuku-desk")
    cli_groups.register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(["import-groups", str(SAMPLE_CSV), "--dry-run"])
    assert args.handler(args, engine, manager) == 0
    assert "取込予定：新規40団体" in capsys.readouterr().out
    assert counts(engine)[0] == 0

    args = parser.parse_args(["import-groups", str(SAMPLE_XLSX)])
    assert args.handler(args, engine, manager) == 0
    assert "取込：新規40団体" in capsys.readouterr().out

    out = tmp_path / "名簿.xlsx"
    args = parser.parse_args(["export-groups", str(out)])
    assert args.handler(args, engine, manager) == 0
    assert "登録団体40団体" in capsys.readouterr().out and out.exists()

    bad = write_csv(tmp_path / "bad.csv", [r[:1] + r[2:] for r in sample_rows()])
    args = parser.parse_args(["import-groups", str(bad)])
    assert args.handler(args, engine, manager) == 1
    err = capsys.readouterr().err
    assert "必須の列「団体名」がありません" in err

    args = parser.parse_args(["import-groups", str(tmp_path / "nowhere.csv")])
    assert args.handler(args, engine, manager) == 1
    assert "見つかりません" in capsys.readouterr().err


# --------------------------------------------------------------------------- kana folding (hypothesis)


def _half_width_map() -> dict[str, str]:
    """Full-width katakana → its half-width spelling (voiced ones as two characters)."""
    out: dict[str, str] = {}
    halves = [chr(c) for c in range(0xFF66, 0xFF9E)]
    for h in halves:
        for tail in ("", "ﾞ", "ﾟ"):
            full = unicodedata.normalize("NFKC", h + tail)
            if len(full) == 1 and full not in out:
                out[full] = h + tail
    return out


HALF = _half_width_map()
KATAKANA = sorted(c for c in HALF if "ァ" <= c <= "ヴ")


@pytest.fixture
def kana_env(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
        manager = next(x.as_actor() for x in list_staff(s) if x.role == "manager")
    yield engine, manager, tmp_path
    engine.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kana=st.text(alphabet=KATAKANA, min_size=2, max_size=10))
def test_an_imported_name_is_found_however_it_is_typed(kana_env, kana):
    engine, manager, tmp_path = kana_env
    half = "".join(HALF[c] for c in kana)
    path = write_csv(tmp_path / "one.csv", [
        ["団体名", "フリガナ", "活動分野", "代表者", "電話番号", "登録日"],
        [f"{kana}の会", half, "まちづくり", "山田 花子", "083-000-1111", "2026/04/01"],
    ])
    report = run_import(engine, manager, path)
    assert report.written, report.summary_lines()
    reg_no = report.created[0].reg_no
    assert by_reg(engine)[reg_no].kana == kana  # stored full-width
    with read_session(engine) as s:
        for typed in (kana, to_hiragana(kana), half):
            found = [g.reg_no for g in gs.search_groups(s, typed, today=TODAY, limit=500)]
            assert reg_no in found, typed


def test_the_export_writes_the_kana_column_in_katakana_as_its_heading_says(env, tmp_path):
    """Issue 13, item 17: the heading フリガナ stood over ふりがな typed at the counter (hiragana). The export
    keeps the register's heading and writes katakana; reading it back changes nothing, and the import
    still takes either heading and either script."""
    engine, manager, _ = env
    rows = sample_rows()
    rows[0][2] = "ふりがな"
    rows[1][2] = "しものせきろうどくぼらんてぃあ"
    rows[2][2] = "かんもんうぉーきんぐのかい"
    assert run_import(engine, manager, write_csv(tmp_path / "hira.csv", rows)).written
    with read_session(engine) as s:
        kana = {g.reg_no: g.kana for g in s.scalars(select(MemberGroup))}
    assert kana["0001"] == "しものせきろうどくぼらんてぃあ"  # stored as typed
    out = tmp_path / "out.csv"
    with read_session(engine) as s:
        gio.export_groups(s, manager, out, today=TODAY)
    lines = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert lines[0][2] == "フリガナ"
    column = [line[2] for line in lines[1:]]
    assert column[0] == "シモノセキロウドクボランティア" and column[1] == "カンモンウォーキングノカイ"
    assert not any("\u3041" <= ch <= "\u309f" for k in column for ch in k), column
    xlsx = tmp_path / "out.xlsx"
    with read_session(engine) as s:
        gio.export_groups(s, manager, xlsx, today=TODAY)
    import openpyxl

    ws = openpyxl.load_workbook(xlsx).active
    assert (ws.cell(1, 3).value, ws.cell(2, 3).value) == ("フリガナ", "シモノセキロウドクボランティア")
    # Read back into the same register: nothing changes, and the counter's hiragana stays as typed.
    for path in (out, xlsx):
        again = run_import(engine, manager, path)
        assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 40), again.summary_lines()
    with read_session(engine) as s:
        assert s.scalar(select(MemberGroup.kana).where(MemberGroup.reg_no == "0001")) == kana["0001"]
