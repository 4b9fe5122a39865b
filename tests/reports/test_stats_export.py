"""Statistics out (統計の書き出し): xlsx, CSV and PDF written from one MonthFigures and read back.

The figures must agree in every format, with each other and with the MonthFigures they came from.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import date, datetime

import pytest

from booking_app.reports.layout import Drawn
from booking_app.reports.stats_export import (
    T_AMENDMENTS,
    T_CATEGORY,
    T_MONTHLY,
    T_OCCUPANCY,
    T_REVENUE,
    T_SUMMARY,
    display,
    headline,
    render_stats_pdf,
    same_period,
    stats_tables,
    write_stats,
    write_stats_csv,
    write_stats_xlsx,
)
from booking_app.domain.figures import AmendmentView, MonthFigures, MonthRow, check_target

MM = 72 / 25.4
CATS = {"部屋利用": 1520, "交流スペース": 410, "情報コーナー": 120, "相談（来所）": 33, "相談（電話）": 21,
        "相談（メール）": 9, "印刷機": 88, "見学": 4, "その他": 6, "講座・行事": 220}
ROOMS = ("大会議室", "小会議室1", "小会議室2", "作業室", "多目的交流ホール")
SHEETS = [T_SUMMARY, "利用者数（区分別）", "利用者数（部屋別）", "団体区分別", "予約件数", "稼働率", "登録団体",
          "保険加入", "印刷機", "収入（品目別）", "訂正"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def make_amendment(**kw) -> AmendmentView:
    values = dict(id=1, year=2026, month=9, key="users.walkin.交流スペース", label="利用者数（交流スペース）",
                  old_value=380, new_value=410, reason="集計漏れ（交流スペースの紙の記録30人分）を追加", source="",
                  at=datetime(2026, 10, 8, 10, 5), staff_id=2, staff_name="センター長")
    values.update(kw)
    fields = AmendmentView.__dataclass_fields__
    return AmendmentView(**{k: v for k, v in values.items() if k in fields})


def make_fig(**kw) -> MonthFigures:
    values = dict(
        period_label="令和8年10月", year=2026, month=10, users_total=sum(CATS.values()),
        users_by_category=dict(CATS),
        users_by_room=dict(zip(ROOMS, (700, 300, 220, 100, 200), strict=True)),
        users_by_group_type={"目的型": 900, "地縁型": 420, "個人/未登録": 200},
        bookings=312, cancellations=28, no_shows=3,
        occupancy={r: {"午前": 0.45 + i / 100, "午後": 0.625, "夜間": 0.3012} for i, r in enumerate(ROOMS)},
        new_groups=4, groups_registered=258,
        insurance_enrolments={"下関市市民活動保険": 12, "ボランティア活動保険（基本）": 140},
        printing={"uses": 88, "masters": 120, "sheets": 15400},
        revenue_by_kind={"部屋": 45000, "備品": 3000, "印刷機": 21400, "保険": 49000, "その他": 0},
        amendments=[make_amendment()], closed=True, closed_at=datetime(2026, 11, 5, 17, 30),
        closed_by="センター長")
    values.update(kw)
    fields = MonthFigures.__dataclass_fields__
    return MonthFigures(**{k: v for k, v in values.items() if k in fields})


RUNNING = {"部屋利用": 900, "交流スペース": 300, "講座・行事": 0}  # November up to the 25th


def make_monthly() -> list[MonthRow]:
    """As the service gives them on 25 November: April–October over, November running to the 25th
    (last year's November to the 25th: 1,500 of its 2,063), December–March ahead (None)."""
    months = [(2026, m) for m in range(4, 13)] + [(2027, m) for m in (1, 2, 3)]
    rows = []
    for i, (y, m) in enumerate(months):
        if i < 7:
            by = {"部屋利用": 1500 + 10 * i, "交流スペース": 400 + i, "講座・行事": 200}
            rows.append(MonthRow(year=y, month=m, total=sum(by.values()), by_category=by,
                                 last_year_total=2000 + 9 * i))
        elif i == 7:
            rows.append(MonthRow(y, m, sum(RUNNING.values()), dict(RUNNING), 2000 + 9 * i, upto=25,
                                 last_year_to_date=1500))
        else:
            rows.append(MonthRow(y, m, None, {}, 2000 + 9 * i))
    return rows


THIS_SO_FAR = sum(2100 + 11 * i for i in range(7)) + 1200
LAST_SO_FAR = sum(2000 + 9 * i for i in range(7)) + 1500


def year_fig(monthly: list[MonthRow]) -> MonthFigures:
    cats: dict[str, int] = {}
    for r in monthly:
        for k, v in r.by_category.items():
            cats[k] = cats.get(k, 0) + v
    return make_fig(period_label="令和8年度", users_total=sum(r.total or 0 for r in monthly),
                    users_by_category=cats, amendments=[], closed=False, closed_at=None, closed_by="", year=2026,
                    month=None, start=date(2026, 4, 1), end=date(2027, 3, 31), as_of=date(2026, 11, 25),
                    bookings_planned=57)


# --------------------------------------------------------------------------- readers


def read_xlsx(path) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def read_csv(path) -> tuple[list[list[str]], dict[str, list[list[str]]]]:
    """The title block, and each section (title row → its rows, column headings first)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    blocks: list[list[list[str]]] = [[]]
    for r in rows:
        if not r:
            blocks.append([])
        else:
            blocks[-1].append(r)
    return blocks[0], {b[0][0]: b[1:] for b in blocks[1:]}


def headline_rows(rows: list[list]) -> list[list]:
    """The 概要 sheet's headline table: the rows under its 項目・値 heading."""
    at = next(i for i, r in enumerate(rows) if r[:2] == ["項目", "値"])
    return rows[at + 1:]


def csv_number(text: str):
    """A CSV cell as Excel reads it: '45.2%' → 0.452, '1520' → 1520, '' → None."""
    if text == "":
        return None
    if text.endswith("%"):
        return round(float(text[:-1]) / 100, 4)
    try:
        return int(text)
    except ValueError:
        return text


def approx_pct(v):
    """A ratio to the 0.1 % the CSV writes."""
    return round(v, 3) if isinstance(v, float) else v


# --------------------------------------------------------------------------- the tables


def test_the_tables_hold_the_figures_and_nothing_else():
    fig = make_fig()
    tables = {t.title: t for t in stats_tables(fig)}
    assert list(tables) == SHEETS[1:]
    cat = tables[T_CATEGORY]
    assert [r[:2] for r in cat.rows] == list(CATS.items())
    assert cat.total == ("合計", 2431, 1.0)
    assert cat.rows[0][2] == pytest.approx(1520 / 2431)
    assert tables["利用者数（部屋別）"].total == ("合計", 1520)
    assert tables["予約件数"].rows == (("予約件数（実績）", 312), ("予約件数（予定）", 0), ("取消", 28),
                                   ("無断キャンセル", 3))
    assert [c.heading for c in tables[T_OCCUPANCY].columns] == ["部屋", "午前", "午後", "夜間"]
    assert tables[T_OCCUPANCY].rows[1] == ("小会議室1", 0.46, 0.625, 0.3012)
    assert tables["印刷機"].rows == (("利用回数", 88), ("製版数", 120), ("印刷枚数", 15400))
    assert tables[T_REVENUE].total == ("合計", 118400)
    assert tables[T_AMENDMENTS].rows == (("2026/10/08 10:05", "2026年9月", "利用者数（交流スペース）", 380, 410,
                                          "センター長", "集計漏れ（交流スペースの紙の記録30人分）を追加"),)
    assert T_MONTHLY not in tables


def test_same_period_is_like_for_like_to_the_day():
    """Months over in full, the running month to the same day on both sides, months ahead left out."""
    from booking_app.domain import figures

    monthly = make_monthly()
    assert same_period(monthly) == figures.same_period(monthly) == (THIS_SO_FAR, LAST_SO_FAR)
    assert same_period([]) == (0, 0)


# --------------------------------------------------------------------------- xlsx


def test_the_xlsx_reads_back_cell_by_cell(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "利用状況_2026-10.xlsx"
    fig = make_fig()
    write_stats_xlsx(fig, path)
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS
    s = wb[T_SUMMARY]
    assert s["A1"].value == "しものせき市民活動センター 利用状況報告 令和8年10月分"
    rows = [[c.value for c in r] for r in s.iter_rows(max_col=2)]
    assert rows[1:8] == [["期間", "令和8年10月分"], ["対象期間", "令和8年10月分"],
                         ["集計", "締め済み（2026/11/05 17:30 センター長）"],
                         ["作成日", "2026年11月25日（令和8年11月25日）"], ["作成者", "—"], ["指定管理者", "（未設定）"],
                         [None, None]]
    assert headline_rows(rows) == [
        ["利用者数（合計）", 2431], ["予約件数（実績）", 312], ["予約件数（予定）", 0], ["取消", 28],
        ["無断キャンセル", 3], ["登録団体数", 258], ["新規登録団体", 4], ["収入合計（円）", 118400]]
    assert s.oddFooter.left.text == "作成日 2026/11/25"
    ws = wb[T_CATEGORY]
    assert [c.value for c in ws[1]] == ["区分", "利用者数", "構成比"]
    assert ws["A1"].font.b and ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws["A2"].value == "部屋利用" and ws["B2"].value == 1520 and ws["B2"].number_format == "#,##0"
    assert ws["C2"].value == pytest.approx(1520 / 2431) and ws["C2"].number_format == "0.0%"
    assert [c.value for c in ws[12]] == ["合計", 2431, 1.0] and ws["A12"].font.b
    assert int(ws.page_setup.paperSize) == 9 and int(ws.page_setup.fitToWidth) == 1  # 9: A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToHeight) == 0
    assert "利用者数（区分別）" in ws.oddHeader.center.text
    assert ws.column_dimensions["A"].width >= 14  # '相談（メール）' is 14 half-width columns
    occ = wb[T_OCCUPANCY]
    assert [c.value for c in occ[3]] == ["小会議室1", 0.46, 0.625, 0.3012]
    assert all(c.number_format == "0.0%" for c in occ[3][1:])
    rev = wb[T_REVENUE]
    assert [c.value for c in rev[7]] == ["合計", 118400] and rev["B7"].number_format == "#,##0"
    am = wb[T_AMENDMENTS]
    assert [c.value for c in am[1]] == ["訂正日時", "対象月", "項目", "訂正前", "訂正後", "訂正者", "理由"]
    assert [c.value for c in am[2]] == ["2026/10/08 10:05", "2026年9月", "利用者数（交流スペース）", 380, 410,
                                        "センター長", "集計漏れ（交流スペースの紙の記録30人分）を追加"]
    # Every table sheet holds exactly its table: headings, rows, total.
    for t in stats_tables(fig):
        rows = [[c.value for c in r] for r in wb[t.title].iter_rows()]
        expected = [[c.heading for c in t.columns], *map(list, t.rows), *([list(t.total)] if t.total else [])]
        want = [[pytest.approx(v) if isinstance(v, float) else v for v in r] for r in expected]
        assert rows == want, t.title


def test_a_fiscal_year_workbook_has_the_monthly_sheet_printed_across(tmp_path):
    monthly = make_monthly()
    fig = year_fig(monthly)
    path = tmp_path / "year.xlsx"
    write_stats_xlsx(fig, path, monthly=monthly)
    book = read_xlsx(path)
    assert list(book) == [*SHEETS, T_MONTHLY]
    rows = book[T_MONTHLY]
    assert rows[0] == ["月", "部屋利用", "交流スペース", "講座・行事", "合計", "前年同期", "前年比"]
    assert rows[1][:6] == ["2026年4月", 1500, 400, 200, 2100, 2000]
    assert rows[1][6] == pytest.approx(2100 / 2000)
    # November runs: counted to the 25th, against last November to the 25th.
    assert rows[8][:6] == ["2026年11月（25日まで）", 900, 300, 0, 1200, 1500]
    assert rows[8][6] == pytest.approx(1200 / 1500)
    # Months ahead are blank, not 0 and not 0.0 %.
    assert rows[9] == ["2026年12月", None, None, None, None, None, None]
    assert rows[12] == ["2027年3月", None, None, None, None, None, None]
    assert rows[13][:6] == ["合計", sum(1500 + 10 * i for i in range(7)) + 900, sum(400 + i for i in range(7)) + 300,
                            1400, THIS_SO_FAR, LAST_SO_FAR]
    summary = dict((r[0], r[1]) for r in headline_rows(book[T_SUMMARY]))
    assert summary["前年度同期の利用者数"] == LAST_SO_FAR
    # The year's 前年比 (the 合計 row) is the summary's 前年同期比: one comparison, not two.
    assert summary["前年同期比"] == pytest.approx(THIS_SO_FAR / LAST_SO_FAR) == pytest.approx(rows[13][6])
    assert (summary["予約件数（実績）"], summary["予約件数（予定）"]) == (312, 57)
    particulars = dict((r[0], r[1]) for r in book[T_SUMMARY][1:9])
    assert particulars["対象期間"] == "2026年4月1日〜2027年3月31日（2026年11月25日まで集計）"
    assert particulars["前年同期"] == "2025年4月1日〜2025年11月25日"
    from openpyxl import load_workbook

    assert load_workbook(path)[T_MONTHLY].page_setup.orientation == "portrait"  # seven columns fit
    wide = [MonthRow(2026, 4, 2431, dict(CATS), 2300)]
    write_stats_xlsx(year_fig(wide), path, monthly=wide)
    assert load_workbook(path)[T_MONTHLY].page_setup.orientation == "landscape"


# --------------------------------------------------------------------------- CSV


def test_the_csv_is_excel_ready_and_agrees_with_the_workbook(tmp_path):
    monthly = make_monthly()
    fig = year_fig(monthly)
    fig = make_fig(**{**fig.__dict__, "amendments": [make_amendment()]})
    write_stats_csv(fig, tmp_path / "s.csv", monthly=monthly)
    write_stats_xlsx(fig, tmp_path / "s.xlsx", monthly=monthly)
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") > 20
    head, sections = read_csv(tmp_path / "s.csv")
    assert head == [["しものせき市民活動センター 利用状況報告 令和8年度"], ["期間", "令和8年度"],
                    ["対象期間", "2026年4月1日〜2027年3月31日（2026年11月25日まで集計）"], ["集計", "未締め（速報値）"],
                    ["作成日", "2026年11月25日（令和8年11月25日）"], ["前年同期", "2025年4月1日〜2025年11月25日"],
                    ["作成者", "—"], ["指定管理者", "（未設定）"]]
    book = read_xlsx(tmp_path / "s.xlsx")
    assert [r[:2] for r in book[T_SUMMARY][:len(head)]] == [[*r, None][:2] for r in head]  # the same particulars
    assert list(sections) == list(book)
    for title, rows in sections.items():
        sheet = book[title][len(head) + 1:] if title == T_SUMMARY else book[title]
        assert len(rows) == len(sheet), title
        for got, want in zip(rows, sheet, strict=True):
            assert [approx_pct(csv_number(c)) for c in got] == [approx_pct(v) for v in want], title
    # …and with the MonthFigures themselves.
    assert sections[T_CATEGORY][-1][:2] == ["合計", str(fig.users_total)]
    assert sections[T_REVENUE][-1] == ["合計", "118400"]
    assert sections[T_OCCUPANCY][1] == ["大会議室", "45.0%", "62.5%", "30.1%"]
    assert dict((r[0], r[1]) for r in sections[T_SUMMARY][1:])["利用者数（合計）"] == str(fig.users_total)
    assert sections[T_MONTHLY][9] == ["2026年12月", "", "", "", "", "", ""]  # ahead: blank


def test_text_that_excel_would_run_as_a_formula_stays_text(tmp_path):
    fig = make_fig(amendments=[make_amendment(reason="=HYPERLINK(\"http://x\")"),
                               make_amendment(reason="-1 人")])
    write_stats_csv(fig, tmp_path / "s.csv")
    _head, sections = read_csv(tmp_path / "s.csv")
    reasons = [r[-1] for r in sections[T_AMENDMENTS][1:]]
    assert reasons == ["'=HYPERLINK(\"http://x\")", "'-1 人"]


# --------------------------------------------------------------------------- PDF


def _pdf_checks(out, record: list[Drawn], pages: int) -> str:
    fonts = _run(_tool("pdffonts"), str(out)).splitlines()[2:]
    assert fonts and all(f.split()[0].endswith("+IPAexGothic") and f.split()[-5] == "yes"
                         for f in fonts), fonts
    assert re.search(rf"^Pages:\s+{pages}$", _run(_tool("pdfinfo"), str(out)), re.M)
    for item in record:
        x0, y0, x1, y1 = item.box
        assert 10 * MM <= x0 <= x1 <= 200 * MM and 5 * MM <= y0 <= y1 <= 292 * MM, item
    # A figure or a heading is never cut short with '…'.
    assert not [i for i in record if i.kind == "text" and "…" in i.text]
    assert [i.text for i in record if i.role == "footer"][-1].endswith(f"{pages}/{pages}")
    return re.sub(r"\s+", "", _run(_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(out), "-"))


def test_the_month_pdf_shows_the_headline_tables_and_amendments(tmp_path):
    out = tmp_path / "利用状況_2026-10.pdf"
    record: list[Drawn] = []
    fig = make_fig()
    pages = render_stats_pdf(fig, out, record=record)
    text = _pdf_checks(out, record, pages)
    for expected in ("しものせき市民活動センター", "利用状況報告令和8年10月分", "集計：締め済み（2026/11/0517:30センター長）",
                     "利用者数（合計）", "2,431人", "¥118,400", "区分別利用者数", "訂正",
                     "2026/10/0810:052026年9月利用者数（交流", "380410センター長集計漏れ"):
        assert expected in text, expected
    # Every row of every table is in the PDF as the PDF prints it (the amendments wrap: checked above).
    for t in stats_tables(fig):
        if t.title == T_AMENDMENTS:
            continue
        for values in [*t.rows, *([t.total] if t.total else [])]:
            cells = [display(v, c.kind) for v, c in zip(values, t.columns, strict=True)]
            assert "".join(cells).replace(" ", "") in text, (t.title, cells)
    assert {i.role for i in record if i.kind == "chart"} == {"chart_category"}
    tiles = {i.role.removeprefix("tile:"): i.text for i in record if i.role.startswith("tile:")}
    assert tiles == {"利用者数（合計）": "2,431人", "予約件数（実績）": "312件", "予約件数（予定）": "0件", "取消": "28件",
                     "無断キャンセル": "3件", "登録団体数": "258団体", "新規登録団体": "4団体",
                     "収入合計（円）": "¥118,400"}
    assert [label for label, _v, _k in headline(fig)] == list(tiles)


def test_the_year_pdf_has_the_monthly_chart_and_matrix_inside_the_paper(tmp_path):
    monthly = make_monthly()
    fig = year_fig(monthly)
    out = tmp_path / "year.pdf"
    record: list[Drawn] = []
    pages = render_stats_pdf(fig, out, monthly=monthly, record=record)
    assert pages >= 2
    text = _pdf_checks(out, record, pages)
    assert "利用状況報告令和8年度" in text and "月別利用者数（前年同期との比較）" in text
    assert "今年度" in text and "前年度（同じ期間）" in text  # the legend, in the embedded font
    assert "対象期間：2026年4月1日〜2027年3月31日（2026年11月25日まで集計）" in text
    assert "作成日：2026年11月25日（令和8年11月25日）" in text
    # The matrix: November headed up to its day, months ahead blank, the year against the same days.
    assert "10月11月12月1月2月3月年度計25日まで部屋利用" in text  # the heading's second line: 25日まで
    assert f"合計{''.join(f'{r.total:,}' for r in monthly if r.total is not None)}{THIS_SO_FAR:,}" in text
    assert f"前年同期{''.join(f'{r.last_year_comparable:,}' for r in monthly[:8])}{LAST_SO_FAR:,}" in text
    ratio = f"{THIS_SO_FAR / LAST_SO_FAR * 100:.1f}%"
    assert text.endswith(f"80.0%{ratio}利用状況報告令和8年度{pages}/{pages}")  # nothing after November
    assert "前年比105.0%" in text and not re.search(r"(?<![\d.])0\.0%", text)  # April: 2,100 against 2,000
    charts = [i for i in record if i.kind == "chart"]
    assert [c.role for c in charts] == ["chart_monthly", "chart_category"]
    assert "未締め（速報値）" in text


def test_a_long_amendment_list_runs_onto_more_pages(tmp_path):
    fig = make_fig(amendments=[make_amendment(id=i, reason="理由" * 40) for i in range(60)])
    out = tmp_path / "long.pdf"
    record: list[Drawn] = []
    pages = render_stats_pdf(fig, out, record=record)
    assert pages >= 3
    _pdf_checks(out, record, pages)


def test_only_xlsx_csv_and_pdf_are_written():
    from booking_app.domain.errors import ValidationError

    assert check_target("a.PDF") == ".pdf"
    with pytest.raises(ValidationError, match=r"\.xlsx、\.csv、\.pdf"):
        check_target("統計.txt")


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def world(db_url):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
    from factories import seed

    from booking_app.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        yield seed(engine)
    finally:
        engine.dispose()


PERSONAL = ("ふくふく子ども食堂", "山田花子", "083-000-0000", "定例会")


def _all_text(path) -> str:
    if path.suffix == ".xlsx":
        cells = (v for rows in read_xlsx(path).values() for r in rows for v in r if v is not None)
        return "\n".join(map(str, cells))
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    return _run(_tool("pdftotext"), "-enc", "UTF-8", str(path), "-")


def test_gathered_stats_written_in_every_format_hold_no_personal_data(world, tmp_path):
    from factories import NOW, at

    from booking_app.services.stats_export import gather_stats
    from booking_app.services import bookings as svc
    from booking_app.services.stats.figures import month_figures, year_figures
    from booking_app.services.stats.month_close import amend, close_month
    from booking_app.services.stats.tallies import add_tally

    oct14 = datetime(2026, 10, 14).date()
    group = world.make_group("ふくふく子ども食堂")
    by_group = world.book(at(oct14, 9), at(oct14, 12), group_id=group, now=at(oct14, 8))
    by_person = world.book(at(oct14, 13), at(oct14, 17), room="小会議室1", now=at(oct14, 8))
    with world.write() as s:
        svc.check_out(s, world.desk, by_group.id, 7, now=at(oct14, 12, 30))
        svc.check_out(s, world.desk, by_person.id, 5, now=at(oct14, 17, 30))
        add_tally(s, world.desk, "交流スペース", 3, now=at(oct14, 10), terminal="受付1")
        close_month(s, world.manager, 2026, 10, now=NOW)
        amend(s, world.manager, 2026, 10, "users.walkin.交流スペース", 4, "紙の記録に1人分の漏れ", now=NOW)
    with world.read() as s:
        fig = month_figures(s, 2026, 10)
        year = year_figures(s, 2026)
    assert fig.users_total == 15 and fig.closed and len(fig.amendments) == 1

    for suffix in (".xlsx", ".csv", ".pdf"):
        for which, kw, total in (("month", {"month": (2026, 10)}, fig.users_total),
                                 ("year", {"fiscal_year": 2026}, year.users_total)):
            path = tmp_path / f"{which}{suffix}"
            with world.write() as s:
                report = gather_stats(s, world.manager, path, **kw)
                pages = write_stats(report, path)
            assert report.fig.users_total == total == 15 and (pages is None) == (suffix != ".pdf")
            text = _all_text(path)
            assert not [p for p in PERSONAL if p in text], (path.name, [p for p in PERSONAL if p in text])
            if suffix == ".xlsx":
                summary = dict((r[0], r[1]) for r in headline_rows(read_xlsx(path)[T_SUMMARY]))
                assert summary["利用者数（合計）"] == 15 and summary["予約件数（実績）"] == 2
            elif suffix == ".csv":
                _head, sections = read_csv(path)
                assert sections[T_CATEGORY][1][:2] == ["部屋利用", "12"]
                assert sections[T_CATEGORY][-1][:2] == ["合計", "15"]
                assert dict((r[0], r[1]) for r in sections["利用者数（部屋別）"][1:])["大会議室"] == "7"
            else:
                flat = re.sub(r"\s+", "", text)
                assert "15人" in flat and "令和8年" in flat
    month_pdf = re.sub(r"\s+", "", _all_text(tmp_path / "month.pdf"))
    assert "利用状況報告令和8年10月分" in month_pdf and "紙の記録に1人分の漏れ" in month_pdf
    assert "利用者数（交流スペース）" in month_pdf and "センター長" in month_pdf


def test_gather_stats_wants_one_period_and_a_known_format(world, tmp_path):
    from booking_app.domain.errors import ValidationError
    from booking_app.services.stats_export import gather_stats

    out = tmp_path / "out"
    out.mkdir()
    with world.read() as s:
        with pytest.raises(ValidationError, match="どちらか一方"):
            gather_stats(s, world.manager, out / "a.pdf", month=(2026, 10), fiscal_year=2026)
        with pytest.raises(ValidationError, match="どちらか一方"):
            gather_stats(s, world.manager, out / "a.pdf")
        with pytest.raises(ValidationError, match=r"\.xlsx、\.csv、\.pdf"):
            gather_stats(s, world.manager, out / "a.docx", month=(2026, 10))
        report = gather_stats(s, world.manager, out / "a.pdf", month=(2026, 10))
    with pytest.raises(ValidationError, match=r"\.xlsx、\.csv、\.pdf"):
        write_stats(report, out / "a.docx")  # the writer refuses it too
    assert not list(out.iterdir())


def test_the_command_line(world, tmp_path, capsys):
    import argparse

    from booking_app.cli.stats import parse_fiscal_year, parse_month, register as register_cli

    assert parse_month("2026-10") == parse_month("２０２６年１０月") == parse_month("2026/10") == (2026, 10)
    assert parse_fiscal_year("2026") == parse_fiscal_year("2026年度") == 2026
    for bad in ("2026-13", "10", "令和8年10月"):
        with pytest.raises(argparse.ArgumentTypeError, match="YYYY-MM"):
            parse_month(bad)
    parser = argparse.ArgumentParser(prog="fukufuku-desk")
    register_cli(parser.add_subparsers(dest="command"))
    for argv in (["export-stats", "--month", "2026-10", "--fiscal-year", "2026", "-o", "a.pdf"],
                 ["export-stats", "-o", "a.pdf"], ["export-stats", "--month", "2026-10", "-o", "a.txt"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        assert exc.value.code == 2
    capsys.readouterr()
    out = tmp_path / "sub" / "利用状況_令和8年度.xlsx"
    args = parser.parse_args(["export-stats", "--fiscal-year", "2026", "-o", str(out)])
    assert args.handler(args, world.engine, world.manager) == 0
    assert out.exists()
    assert capsys.readouterr().out.strip() == f"令和8年度の利用状況（利用者数 0人）を「{out}」に書き出しました。"


# --------------------------------------------------------------------------- page breaks (issue 13, item 15)


def _page_roles(record: list[Drawn]) -> dict[int, list[str]]:
    pages: dict[int, list[str]] = {}
    for i in record:
        if i.kind == "chart" or i.role in ("heading", "table_head", "cell_body", "cell_total", "cell_empty"):
            pages.setdefault(i.page, []).append(i.role if i.kind != "chart" else "chart")
    # one entry per drawn row: consecutive cells of a row collapse into one
    return {p: [r for k, r in enumerate(rs) if k == 0 or r != rs[k - 1] or r == "heading"]
            for p, rs in pages.items()}


def test_a_table_over_a_page_break_repeats_its_heading_row_and_keeps_its_total(tmp_path):
    """Whatever the length of the room list, a page its rows run onto starts with the column headings, a
    合計 row never stands alone at the top of a page, and no heading is left at a page's foot."""
    import io

    broke = 0
    for n in range(18, 60):
        rooms = {f"会議室{i:02d}": 10 * i for i in range(n)}
        fig = make_fig(users_by_room=rooms, amendments=[])
        record: list[Drawn] = []
        pages = render_stats_pdf(fig, io.BytesIO(), record=record)
        roles = _page_roles(record)
        for page in range(1, pages + 1):
            seq = roles.get(page, [])
            assert seq, (n, page)
            assert seq[-1] != "heading", (n, page, "a heading stranded at the page's foot")
            for k, r in enumerate(seq):
                if r == "heading":
                    assert seq[k + 1] in ("table_head", "chart"), (n, page, seq)
            first_row = next((r for r in seq if r != "table_head"), None)
            if page > 1 and first_row in ("cell_body", "cell_total"):  # a table continues here
                broke += 1
                assert seq[0] == "table_head", (n, page, "continued rows without their column headings", seq)
                assert first_row == "cell_body", (n, page, "合計 alone at the top of a page", seq)
    assert broke >= 20  # the room table did run over a page break, at every possible place
