"""Issue 15: hostile text never becomes a live spreadsheet formula in any export.

Group, representative, payer, staff, void and correction-reason text typed as ``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``, ``+1+1``, ``-2+3``, ``@SUM(A1)``, ``＝1+1`` or with a leading tab goes through
every .csv and .xlsx export (groups, audit trail, statistics, cash-up sheet, insurance roster and
ledger) on SQLite; each file is read back with csv / openpyxl: no cell is a formula, every hostile
text starts with ``'``, and ordinary names (山田) and numbers (a negative yen amount) stay as they were.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from factories import NOW, World, at, seed

from booking_app.domain.insurance import default_plans
from booking_app.reports.cashup import write_cashup_xlsx
from booking_app.reports.insurance_pdf import write_insurance
from booking_app.reports.stats_export import write_stats
from booking_app.services.stats_export import gather_stats
from booking_app.services import group_io, payments, table_writer
from booking_app.services.stats import month_close as stats
from booking_app.services import insurance_reports as ir
from booking_app.services.audit_log import AuditFilter, export_audit
from booking_app.services.common import audit
from booking_app.store.engine import make_engine
from booking_app.store.models import Charge, InsuranceEnrolment, InsurancePlan, InsuredPerson, MemberGroup, Staff

HOSTILE = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "＝1+1",
           "\t=1+1", "＋81 電話", "－3", "＠list"]
#: Services that strip what a person typed (a payer, a reason) turn "\t=1+1" into "=1+1": still hostile.
STRIPPED = [h.strip() for h in HOSTILE]


# --------------------------------------------------------------------------- the writer itself


@pytest.mark.parametrize("text", HOSTILE + ["\r=1+1"])
def test_neutralise_puts_a_quote_before_every_text_a_spreadsheet_would_run(text):
    assert table_writer.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["山田", "ふくふく子ども食堂", "0012", "083-000-0000", "'=already", "", " =1", -500, 0,
                                   12.5, None, date(2026, 11, 25)])
def test_neutralise_leaves_ordinary_text_and_numbers_alone(value):
    assert table_writer.neutralise(value) == value


def test_csv_bytes_keeps_excel_conventions_and_numbers():
    data = table_writer.csv_bytes([["団体名", "金額", "日付"], ["=1+1", -500, date(2026, 11, 25)],
                                   [table_writer.Plain("-3.1%"), None, "山田"]])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["団体名", "金額", "日付"], ["'=1+1", "-500", "2026/11/25"], ["-3.1%", "", "山田"]]


def test_a_workbook_cell_openpyxl_took_for_a_formula_is_stored_as_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=SUM(1,2)"
    ws["A2"] = -500
    ws["A3"] = "山田"
    assert ws["A1"].data_type == "f"  # what openpyxl does on its own
    table_writer.save_workbook(wb, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert (ws["A1"].value, ws["A1"].data_type) == ("'=SUM(1,2)", "s")
    assert (ws["A2"].value, ws["A2"].data_type) == (-500, "n")
    assert ws["A3"].value == "山田"


# --------------------------------------------------------------------------- reading the files back


def csv_cells(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), f"{path.name}: UTF-8 with BOM for Excel"
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for c in row]


def xlsx_cells(path: Path) -> list:
    wb = openpyxl.load_workbook(path)  # not data_only: a formula would come back as a formula
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                assert c.data_type != "f", f"{path.name} {ws.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str):
                    assert c.data_type == "s", f"{path.name} {ws.title}!{c.coordinate}: {c.data_type}"
                cells.append(c.value)
    return cells


def read_cells(path: Path) -> list:
    return csv_cells(path) if path.suffix == ".csv" else xlsx_cells(path)


def assert_safe(path: Path, hostile: list[str], *, plain: tuple = ()) -> list:
    """No cell of ``path`` would run; each of ``hostile`` is there with its leading ' ; ``plain`` as is."""
    cells = read_cells(path)
    running = [c for c in cells if isinstance(c, str) and table_writer.is_dangerous(c)]
    assert not running, (path.name, running)
    texts = [c for c in cells if isinstance(c, str)]
    missing = [h for h in hostile if "'" + h not in texts]
    assert not missing, (path.name, missing)
    for value in plain:
        assert value in cells or str(value) in cells, (path.name, value)
    return cells


# --------------------------------------------------------------------------- a world full of hostile text


@dataclass
class Hostile:
    world: World
    day: date


@pytest.fixture
def hostile(sqlite_url) -> Hostile:
    engine = make_engine(sqlite_url)
    world = seed(engine)
    try:
        yield _fill(world)
    finally:
        engine.dispose()


def _fill(world: World) -> Hostile:
    # Groups named, led and noted by hostile text, and one ordinary group.
    for i, h in enumerate(HOSTILE, start=1):
        gid = world.make_group(h, reg_no=f"{i:04d}")
        with world.write() as s:
            g = s.get(MemberGroup, gid)
            g.representative, g.contact_name, g.note = h, h, h
    yamada = world.make_group("山田", reg_no="0099")
    with world.write() as s:
        s.get(MemberGroup, yamada).representative = "山田"
        # A staff member whose name is a formula, and audit entries summarised by hostile text.
        s.get(Staff, world.desk.id).name = HOSTILE[1]
        for h in HOSTILE:
            audit(s, world.manager, "update", "member_group", yamada, h, now=NOW)
    # Payments by hostile payers on the day before, voided on the day with hostile reasons: the day's
    # cash-up shows the payers, the reasons, and a negative net.
    before, day = date(2026, 11, 24), date(2026, 11, 25)
    receipts = []
    for n, h in enumerate(HOSTILE):
        with world.write() as s:
            c = Charge(payer_name=h, kind="item", description="コピー用紙", quantity=1, unit_price=500 + n,
                       amount=500 + n, tax="taxable10", status="open", created_at=at(before, 9),
                       created_by=world.desk.id)
            s.add(c)
            s.flush()
            receipts.append(payments.take_payment(s, world.desk, [c.id], payer_name=h, purpose="用紙代として",
                                                  now=at(before, 10, n), terminal="受付1"))
    with world.write() as s:
        c = Charge(payer_name="山田", kind="item", description="コピー用紙", quantity=1, unit_price=100, amount=100,
                   tax="taxable10", status="open", created_at=at(day, 9), created_by=world.desk.id)
        s.add(c)
        s.flush()
        payments.take_payment(s, world.desk, [c.id], payer_name="山田", purpose="用紙代として", now=at(day, 9, 30),
                              terminal="受付1")
    for n, (r, h) in enumerate(zip(receipts, HOSTILE, strict=True)):
        with world.write() as s:
            payments.void_receipt(s, world.manager, r.id, h, now=at(day, 11, n), terminal="受付1")
    # October closed, then corrected with hostile reasons.
    with world.write() as s:
        stats.close_month(s, world.manager, 2026, 10, now=NOW)
        for n, h in enumerate(HOSTILE, start=1):
            stats.amend(s, world.manager, 2026, 10, "users.walkin.交流スペース", n, h, now=NOW)
    # Insurance: hostile holders, events and insured people, and an ordinary one.
    with world.write() as s:
        plans = {}
        for p in default_plans():
            row = InsurancePlan(fiscal_year=2026, code=p.code, data=p.to_dict(), active=True, created_at=NOW)
            s.add(row)
            s.flush()
            plans[p.code] = row.id
        for holder, person in [*((h, h) for h in HOSTILE), ("山田", "山田花子")]:
            e = InsuranceEnrolment(plan_id=plans["EVT-A1"], holder_name=holder, applied_on=date(2026, 11, 20),
                                   cover_start=date(2026, 11, 21), cover_end=date(2026, 12, 6), premium=0,
                                   status="active", created_at=NOW, created_by=world.desk.id,
                                   event_name=holder, event_place=holder, event_start=date(2026, 12, 6),
                                   event_end=date(2026, 12, 6))
            s.add(e)
            s.flush()
            s.add(InsuredPerson(enrolment_id=e.id, name=person, kana="ヤマダ", search_text="", added_on=date(2026, 11, 20),
                                cover_start=date(2026, 11, 21), premium=0, created_by=world.desk.id))
    return Hostile(world, day)


# --------------------------------------------------------------------------- every export


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_group_register_export_neutralises_names_representatives_and_notes(hostile: Hostile, tmp_path, suffix):
    w = hostile.world
    path = tmp_path / f"groups{suffix}"
    with w.write() as s:
        assert group_io.export_groups(s, w.manager, path, today=date(2026, 11, 25)) == len(HOSTILE) + 1
    cells = assert_safe(path, HOSTILE, plain=("山田", "0099"))
    assert cells.count("'" + HOSTILE[0]) == 4  # name, representative, contact, note


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_audit_export_neutralises_staff_names_and_summaries(hostile: Hostile, tmp_path, suffix):
    w = hostile.world
    path = tmp_path / f"audit{suffix}"
    with w.write() as s:
        assert export_audit(s, w.manager, AuditFilter(), path, now=NOW) > len(HOSTILE)
    cells = assert_safe(path, HOSTILE)
    assert "'" + HOSTILE[1] in cells  # the desk's staff name, on every payment it took


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_statistics_export_neutralises_correction_reasons_and_the_author(hostile: Hostile, tmp_path, suffix):
    w = hostile.world
    path = tmp_path / f"stats{suffix}"
    with w.write() as s:
        report = gather_stats(s, w.manager, path, month=(2026, 10), author=HOSTILE[0])
        write_stats(report, path)
    assert len(report.fig.amendments) == len(HOSTILE)
    cells = assert_safe(path, STRIPPED)
    assert cells.count("'" + HOSTILE[0]) >= 2  # the author and the first reason


def test_the_cashup_sheet_neutralises_payers_and_void_reasons_and_keeps_a_negative_net(hostile: Hostile, tmp_path):
    w = hostile.world
    with w.read() as s:
        doc = payments.cashup(s, hostile.day, "受付1")
    refunded = sum(500 + n for n in range(len(HOSTILE)))
    assert doc.net == 100 - refunded < 0
    path = tmp_path / "cashup.xlsx"
    write_cashup_xlsx(doc, path)
    cells = assert_safe(path, STRIPPED, plain=("山田", 100 - refunded))
    assert -refunded + 100 in [c for c in cells if isinstance(c, int)]  # a number, not text


@pytest.mark.parametrize("kind", ["roster", "ledger"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_insurance_roster_and_ledger_neutralise_holders_events_and_people(hostile: Hostile, tmp_path, kind,
                                                                             suffix):
    w = hostile.world
    path = tmp_path / f"{kind}{suffix}"
    with w.write() as s:
        data = ir.export_insurance(s, w.manager, 2026, path, kind=kind)
        assert write_insurance(data, path, fiscal_year=2026) == len(HOSTILE) + 1
    cells = assert_safe(path, HOSTILE, plain=("山田",) if kind == "ledger" else ("山田", "山田花子"))
    # holder and person (roster), or holder, event name and place (ledger)
    assert cells.count("'" + HOSTILE[0]) == (2 if kind == "roster" else 3)



# --------------------------------------------------------------------------- and back in


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_readers_take_the_quote_off_again_so_an_export_reads_back_as_it_was(tmp_path, suffix):
    from booking_app.services import tabular

    rows = [["団体名", "代表者"], *([h, "山田"] for h in HOSTILE), ["'ふつうの引用", "'0012"]]
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        path.write_bytes(table_writer.csv_bytes(rows))
    else:
        wb = openpyxl.Workbook()
        wb.active.title = "名簿"
        for r in rows:
            wb.active.append(r)
        table_writer.save_workbook(wb, path)
    assert "'" + HOSTILE[0] in read_cells(path)  # the file itself carries the quote
    table, _label, _guessed = tabular.read_table(path, sheet="名簿")
    read = [[tabular.cell_text(v) for v in cells] for _n, cells in table]
    # A leading tab was only ever a way to hide a formula: read back, the text is what follows it.
    assert read[1:-1] == [[h.strip(), "山田"] for h in HOSTILE]
    assert read[-1] == ["'ふつうの引用", "'0012"]  # a quote before ordinary text is the person's own
