"""Payments and receipts (領収書): numbering, tax per rate, refusals, void, reissue, printing log, cash-up."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import DAY, JAPANESE, NOW, World, at
from sqlalchemy import inspect, select

from booking_app.domain.errors import PermissionDenied, RuleError, ValidationError
from booking_app.domain.fees import FeeSchedule, load_default_fees, valid_invoice_number
from booking_app.services import bookings as svc
from booking_app.services import fees
from booking_app.services import payments as pay
from booking_app.services.terminal import terminal_name
from booking_app.store.models import Charge, PrintingLog, Receipt, ReceiptPrint, ReceiptVoid

TERM = "受付1"


def invoice_number(body: str = "123456789012") -> str:
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(body), start=1))
    number = f"T{9 - total % 9}{body}"
    assert valid_invoice_number(number)
    return number


def set_fees(world: World, **changes) -> None:
    d = load_default_fees().to_dict()
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if section == "issuer":
            d["issuer"][name] = value
        else:
            d["items"][name] = value
    with world.write() as s:
        fees.save_fees(s, world.manager, FeeSchedule.from_dict(d), now=NOW)


def item(world: World, name: str = "コピー 白黒", qty: int = 3, payer: str = "山田花子", **kw) -> pay.ChargeView:
    with world.write() as s:
        return pay.add_item_charge(s, world.desk, name, qty, payer_name=payer, now=kw.pop("now", NOW), **kw)


def pay_for(world: World, ids, *, payer="山田花子", purpose="コピー代として", now=NOW, method="cash",
            terminal=TERM) -> pay.ReceiptView:
    with world.write() as s:
        return pay.take_payment(s, world.desk, list(ids), payer_name=payer, purpose=purpose, method=method,
                                now=now, terminal=terminal)


def row_dict(obj) -> dict:
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


# --------------------------------------------------------------------------- numbering and tax


def test_numbers_run_per_fiscal_year(world: World):
    got = [pay_for(world, [item(world).id]).receipt_no for _ in range(3)]
    assert got == ["2026-000001", "2026-000002", "2026-000003"]
    # 2027-03-31 is still FY2026; 2027-04-01 starts FY2027 at 1
    march = datetime(2027, 3, 31, 17, 0)
    assert pay_for(world, [item(world, now=march).id], now=march).receipt_no == "2026-000004"
    april = datetime(2027, 4, 1, 9, 30)
    r = pay_for(world, [item(world, now=april).id], now=april)
    assert (r.receipt_no, r.fiscal_year, r.seq) == ("2027-000001", 2027, 1)


def test_tax_is_summed_per_rate_and_the_invoice_number_copied(world: World):
    t_no = invoice_number()
    set_fees(world, issuer__invoice_number=t_no, issuer__operator="NPO法人ふくふく")
    ids = [item(world, "コピー 白黒", 3).id, item(world, "ラミネート", 1).id, item(world, "証明書発行手数料", 1).id]
    r = pay_for(world, ids, purpose="コピー代・手数料として")
    # ¥50 at 10 %: one rounding for the rate (floor(50×10/110) = 4), not per line (2 + 1 = 3)
    assert (r.total, r.taxable10, r.tax10, r.exempt, r.stamp_duty) == (250, 50, 4, 200, 0)
    assert r.invoice_number == t_no and r.method_label == "現金" and r.terminal == TERM
    assert [(li.description, li.quantity, li.unit_price, li.amount, li.tax) for li in r.lines] == [
        ("コピー 白黒", 3, 10, 30, "taxable10"), ("ラミネート", 1, 20, 20, "taxable10"),
        ("証明書発行手数料", 1, 200, 200, "exempt")]
    with world.read() as s:
        assert {c.status for c in s.scalars(select(Charge).where(Charge.id.in_(ids)))} == {"paid"}
        doc = pay.receipt_doc(s, r.id)
    assert doc.issuer.invoice_number == t_no and doc.issuer.operator == "NPO法人ふくふく"
    assert doc.issuer.centre_name == "しものせき市民活動センター"
    # a later change of the issuer's number does not change an issued receipt
    set_fees(world, issuer__invoice_number="")
    with world.read() as s:
        assert pay.receipt_doc(s, r.id).issuer.invoice_number == t_no


@pytest.mark.parametrize("applies,expected", [(True, 200), (False, 0)])
def test_stamp_duty_box(world: World, applies, expected):
    set_fees(world, issuer__stamp_duty_applies=applies)
    # The locker fee is taxable and the receipt states its tax, so the threshold is ¥50,000 without tax:
    # 275 × ¥200 = ¥55,000 (tax ¥5,000) needs a stamp; 274 × ¥200 = ¥54,800 (tax ¥4,981) does not.
    big = item(world, "団体ロッカー", 275, payer="ふくふく子ども食堂")
    small = item(world, "団体ロッカー", 274, payer="ふくふく子ども食堂")
    r1 = pay_for(world, [big.id], payer="ふくふく子ども食堂", purpose="ロッカー使用料として")
    r2 = pay_for(world, [small.id], payer="ふくふく子ども食堂", purpose="ロッカー使用料として")
    assert (r1.total, r1.stamp_duty, r2.total, r2.stamp_duty) == (55_000, expected, 54_800, 0)
    with world.read() as s:
        assert pay.receipt_doc(s, r1.id).stamp_duty == expected


def test_stamp_duty_counts_the_amount_without_the_stated_tax(world: World):
    # 5,280 copies × ¥10 = ¥52,800 including ¥4,800 tax (stated on the receipt): ¥48,000 → no stamp.
    set_fees(world, issuer__stamp_duty_applies=True)
    copies = item(world, "コピー 白黒", 5_280)
    r = pay_for(world, [copies.id])
    assert (r.total, r.tax10, r.stamp_duty) == (52_800, 4_800, 0)
    more = item(world, "コピー 白黒", 5_500)  # ¥55,000 incl. ¥5,000 tax → ¥50,000: a stamp
    r2 = pay_for(world, [more.id])
    assert (r2.total, r2.tax10, r2.stamp_duty) == (55_000, 5_000, 200)


# --------------------------------------------------------------------------- refusals


def test_payments_refused_with_the_reason(world: World):
    c = item(world)
    other = item(world, payer="佐藤一郎")
    for payer in ("上様", " 上様 ", "上 様", "上様様", "", "   "):
        with pytest.raises(ValidationError) as exc:
            pay_for(world, [c.id], payer=payer)
        assert exc.value.message == "宛名を入力してください（上様は使えません）。" and exc.value.field == "payer_name"
    with pytest.raises(ValidationError) as exc:
        pay_for(world, [c.id], purpose="  ")
    assert exc.value.field == "purpose" and "但し書き" in exc.value.message
    with pytest.raises(ValidationError) as exc:
        pay_for(world, [c.id, other.id])
    assert "支払者" in exc.value.message
    with pytest.raises(ValidationError):
        pay_for(world, [])
    set_fees(world, items__無料相談={"price": 0, "unit": "回", "tax": "exempt"})
    free = item(world, "無料相談", 1)
    with pytest.raises(ValidationError) as exc:
        pay_for(world, [free.id])
    assert exc.value.message == "0円の領収書は発行しません。"
    assert world.count(Receipt) == 0
    r = pay_for(world, [c.id], payer="山田花子 様")  # the receipt prints 様 itself
    assert r.payer_name == "山田花子" and r.receipt_no == "2026-000001"  # refusals took no number
    with pytest.raises(RuleError) as exc:
        pay_for(world, [c.id])
    assert "支払済" in exc.value.message
    assert world.count(Receipt) == 1


def test_charges_of_a_cancelled_booking_cannot_be_paid(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.read() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    with world.write() as s:
        svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    with pytest.raises(RuleError):
        pay_for(world, ids)


# --------------------------------------------------------------------------- void and reissue


def test_void_by_manager_keeps_the_original_and_recharges(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.read() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    r = pay_for(world, ids, payer="山田花子", purpose="会議室使用料として")
    with world.read() as s:
        before = row_dict(s.get(Receipt, r.id))
        lines_before = [row_dict(li) for li in s.get(Receipt, r.id).lines]
    with world.write() as s, pytest.raises(PermissionDenied):
        pay.void_receipt(s, world.desk, r.id, "宛名の誤り", now=NOW, terminal=TERM)
    with world.write() as s, pytest.raises(ValidationError):
        pay.void_receipt(s, world.manager, r.id, " ", now=NOW, terminal=TERM)
    with world.write() as s:
        v = pay.void_receipt(s, world.manager, r.id, "宛名の誤り", now=NOW, terminal=TERM)
    assert v.voided and v.void_reason == "宛名の誤り" and v.refund_amount == 1500
    with world.read() as s:
        assert row_dict(s.get(Receipt, r.id)) == before  # the original row is untouched
        assert [row_dict(li) for li in s.get(Receipt, r.id).lines] == lines_before
        void = s.scalars(select(ReceiptVoid)).one()
        assert (void.receipt_id, void.refund_amount, void.refund_method, void.staff_id) == (
            r.id, 1500, "cash", world.manager.id)
        assert {c.status for c in s.scalars(select(Charge).where(Charge.id.in_(ids)))} == {"cancelled"}
        again = pay.open_charges(s, booking_id=b.id)
    # the booking is still live: its fee is open again for a corrected payment
    assert [(c.description, c.amount) for c in again] == [("2026/12/02 大会議室 午前", 1500)]
    assert again[0].id not in ids
    with world.write() as s, pytest.raises(RuleError) as exc:
        pay.void_receipt(s, world.manager, r.id, "二重", now=NOW, terminal=TERM)
    assert "取消済み" in exc.value.message
    r2 = pay_for(world, [again[0].id], payer="山田花子", purpose="会議室使用料として")
    assert r2.receipt_no == "2026-000002"
    with world.read() as s:
        listed = {x.receipt_no: x for x in pay.list_receipts(s, day=NOW.date())}
        doc = pay.receipt_doc(s, r.id)
    assert listed["2026-000001"].voided and not listed["2026-000002"].voided
    assert doc.voided and doc.receipt_no == "2026-000001"


def test_void_of_a_cancelled_booking_refunds_without_recharging(world: World):
    b = world.book(at(DAY, 13), at(DAY, 17))
    with world.read() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    r = pay_for(world, ids, purpose="会議室使用料として")
    with world.write() as s:
        svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    with world.write() as s:
        pay.void_receipt(s, world.manager, r.id, "予約取消による返金", refund_method="transfer", now=NOW,
                         terminal=TERM)
    with world.read() as s:
        assert pay.open_charges(s, booking_id=b.id) == []
        assert s.scalars(select(ReceiptVoid.refund_method)).one() == "transfer"


def test_reissue_is_counted_and_keeps_the_date(world: World):
    r = pay_for(world, [item(world).id])
    later = datetime(2026, 12, 10, 15, 0)
    with world.read() as s:
        assert pay.receipt_doc(s, r.id).reissue is False  # not printed yet: the preview is the original
    with world.write() as s:
        first = pay.record_print(s, world.desk, r.id, layout="A5", now=NOW)
    with world.write() as s:
        second = pay.record_print(s, world.desk, r.id, layout="roll80", now=later)
    with world.write() as s:
        third = pay.record_print(s, world.manager, r.id, layout="A4", now=later)
    assert (first.reissue, second.reissue, third.reissue) == (False, True, True)
    assert second.issued_at == NOW and second.receipt_no == first.receipt_no == "2026-000001"
    assert second.payer_name == "山田花子" and second.staff_name == world.desk.name
    with world.read() as s:
        prints = s.scalars(select(ReceiptPrint).order_by(ReceiptPrint.id))
        assert [p.reissue for p in prints] == [False, True, True]
        (view,) = pay.list_receipts(s, text="山田")
        assert (view.print_count, view.reissue_count) == (3, 2)
        assert pay.receipt_doc(s, r.id).reissue is True
        assert pay.list_receipts(s, text="2026-000001")[0].id == r.id
        assert pay.list_receipts(s, day=date(2026, 11, 26)) == []
    with world.write() as s, pytest.raises(ValidationError):
        pay.record_print(s, world.desk, r.id, layout="", now=later)


# --------------------------------------------------------------------------- printing machine and items


def test_printing_log_fee(world: World):
    g = world.make_group(valid_until=date(2027, 3, 31))
    with world.write() as s:
        log_id, charge = pay.log_printing(s, world.desk, user_name="", group_id=g, masters=3, sheets=200,
                                          now=NOW)
    # 3 masters × ¥50 + 200 sheets × ¥1 (paper brought)
    assert charge is not None
    assert (charge.amount, charge.category, charge.category_label) == (350, "printing", "印刷機")
    assert charge.payer_name == "ふくふく子ども食堂" and charge.group_id == g
    assert charge.description == "印刷機（製版3枚・印刷200枚・用紙持込）"
    with world.write() as s:
        _, bought = pay.log_printing(s, world.desk, user_name="佐藤一郎", masters=1, sheets=100, paper="bought",
                                     now=NOW)
    assert bought.amount == 50 + 200
    with world.read() as s:
        log = s.get(PrintingLog, log_id)
        assert (log.masters, log.sheets, log.paper, log.fee, log.user_name) == (3, 200, "brought", 350,
                                                                                "ふくふく子ども食堂")
        assert [c.id for c in pay.open_charges(s, group_id=g)] == [charge.id]
    bad = ({"masters": 0, "sheets": 0}, {"masters": -1, "sheets": 5}, {"masters": 1, "sheets": 1, "paper": "x"})
    for kw in bad:
        with world.write() as s, pytest.raises(ValidationError) as exc:
            pay.log_printing(s, world.desk, user_name="佐藤一郎", now=NOW, **kw)
        assert JAPANESE.search(exc.value.message)
    with world.write() as s, pytest.raises(ValidationError):
        pay.add_item_charge(s, world.desk, "存在しない品目", 1, payer_name="佐藤一郎", now=NOW)
    with world.write() as s, pytest.raises(ValidationError):
        pay.add_item_charge(s, world.desk, "コピー 白黒", 0, payer_name="佐藤一郎", now=NOW)
    with world.write() as s, pytest.raises(ValidationError):
        pay.add_item_charge(s, world.desk, "コピー 白黒", 1, payer_name=" ", now=NOW)


def test_cancel_an_open_charge(world: World):
    c = item(world)
    with world.write() as s, pytest.raises(ValidationError):
        pay.cancel_charge(s, world.desk, c.id, "", now=NOW)
    with world.write() as s:
        assert pay.cancel_charge(s, world.desk, c.id, "入力の誤り", now=NOW).status == "cancelled"
    with world.write() as s, pytest.raises(RuleError):
        pay.cancel_charge(s, world.desk, c.id, "二重", now=NOW)


# --------------------------------------------------------------------------- cash-up


def test_cashup_by_method_and_kind_with_a_void_then_close(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))  # 大会議室 午前 ¥1,500
    with world.read() as s:
        room_ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    r1 = pay_for(world, room_ids, purpose="会議室使用料として", now=datetime(2026, 11, 25, 10, 0))
    with world.write() as s:
        _, pc = pay.log_printing(s, world.desk, user_name="佐藤一郎", masters=3, sheets=200, now=NOW)
    r2 = pay_for(world, [pc.id, item(world, payer="佐藤一郎").id], payer="佐藤一郎", purpose="印刷代として",
                 method="card", now=datetime(2026, 11, 25, 11, 0))
    r3 = pay_for(world, [item(world, "ラミネート", 2).id], purpose="ラミネート代として",
                 now=datetime(2026, 11, 25, 12, 0))
    other_terminal = pay_for(world, [item(world).id], terminal="受付2", now=datetime(2026, 11, 25, 12, 30))
    yesterday = pay_for(world, [item(world, now=datetime(2026, 11, 24, 10, 0)).id],
                        now=datetime(2026, 11, 24, 10, 0))
    with world.write() as s:
        pay.void_receipt(s, world.manager, r3.id, "金額の誤り", now=datetime(2026, 11, 25, 15, 0), terminal=TERM)
        pay.void_receipt(s, world.manager, yesterday.id, "二重払い", now=datetime(2026, 11, 25, 15, 5),
                         terminal=TERM)
    with world.read() as s:
        doc = pay.cashup(s, NOW.date(), TERM)
    assert [(x.label, x.count, x.amount) for x in doc.by_method] == [
        ("現金", 2, 1540), ("カード", 1, 380), ("返金（現金）", 2, -70)]
    assert [(x.label, x.count, x.amount) for x in doc.by_kind] == [
        ("部屋", 1, 1500), ("備品", 0, 0), ("印刷機", 1, 350), ("その他", 2, 70), ("取消・返金", 2, -70)]
    assert (doc.total_received, doc.total_refunded, doc.net) == (1920, 70, 1850)
    assert sum(x.amount for x in doc.by_method) == sum(x.amount for x in doc.by_kind) == doc.net
    assert [x[0] for x in doc.receipts] == [r1.receipt_no, r2.receipt_no, r3.receipt_no]
    assert doc.receipts[2][4] == "取消" and doc.receipts[0][1] == "10:00"
    assert [(v[0], v[2], v[3], v[4]) for v in doc.voids] == [
        (r3.receipt_no, "金額の誤り", 40, "現金"), (yesterday.receipt_no, "二重払い", 30, "現金")]
    assert doc.extra["cash_expected"] == 1540 - 70 and doc.closed_at is None
    assert other_terminal.receipt_no not in [x[0] for x in doc.receipts]

    closed_at = datetime(2026, 11, 25, 21, 0)
    with world.write() as s:
        closed = pay.close_day(s, world.desk, NOW.date(), TERM, cash_counted=1470, now=closed_at)
    assert (closed.closed_by, closed.closed_at, closed.cash_counted) == (world.desk.name, closed_at, 1470)
    assert closed.extra["cash_difference"] == 0 and closed.net == 1850
    with world.write() as s, pytest.raises(RuleError) as exc:
        pay.close_day(s, world.manager, NOW.date(), TERM, now=closed_at)
    assert "既に締めています" in exc.value.message
    c = item(world)
    with pytest.raises(RuleError) as exc:
        pay_for(world, [c.id], now=datetime(2026, 11, 25, 21, 30))
    assert "締め済み" in exc.value.message
    with world.write() as s, pytest.raises(RuleError):
        pay.void_receipt(s, world.manager, r1.id, "誤り", now=datetime(2026, 11, 25, 21, 30), terminal=TERM)
    # the other terminal and the next day still take payments
    assert pay_for(world, [c.id], terminal="受付2", now=datetime(2026, 11, 25, 21, 30)).total == 30
    assert pay_for(world, [item(world).id], now=datetime(2026, 11, 26, 9, 0)).total == 30


def test_terminal_name_from_the_environment(monkeypatch):
    monkeypatch.setenv("BOOKING_APP_TERMINAL", " 受付2 ")
    assert terminal_name() == "受付2"
    monkeypatch.delenv("BOOKING_APP_TERMINAL")
    assert terminal_name()


# --------------------------------------------------------------------------- the list and its totals


def test_receipt_totals_cover_every_receipt_the_filter_matches_not_only_those_listed(world: World):
    """Issue 13, item 3: 全期間 listed 200 receipts and its 有効合計 was theirs; the totals are the database's."""
    days = [datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 25, 10, 0)]
    made = []
    for n in range(5):
        when = days[n // 3].replace(minute=n)  # three on the 24th, two on the 25th
        made.append(pay_for(world, [item(world, qty=n + 1, now=when).id], now=when))  # ¥10 … ¥50
    with world.write() as s:
        pay.void_receipt(s, world.manager, made[4].id, "金額の誤り", now=days[1].replace(minute=30), terminal=TERM)
    with world.read() as s:
        listed = pay.list_receipts(s, limit=2)
        totals = pay.receipt_totals(s)
        day = pay.receipt_totals(s, day=date(2026, 11, 25))
        none = pay.receipt_totals(s, day=date(2026, 11, 1))
    assert [r.receipt_no for r in listed] == [made[4].receipt_no, made[3].receipt_no]  # newest first, capped
    assert (totals.count, totals.voided, totals.valid, totals.valid_total) == (5, 1, 4, 10 + 20 + 30 + 40)
    assert (day.count, day.voided, day.valid_total) == (2, 1, 40)  # the 25th: ¥40 and the voided ¥50
    assert (none.count, none.voided, none.valid_total) == (0, 0, 0)


# --------------------------------------------------------------------------- the issuer as issued


def _set_issuer(world: World, *, operator: str, invoice: str, phone: str, address: str) -> None:
    from dataclasses import replace

    from booking_app.services import centre

    set_fees(world, issuer__operator=operator, issuer__invoice_number=invoice)
    with world.write() as s:
        centre.save_profile(s, world.manager, replace(centre.get_profile(s), phone=phone, address=address),
                            now=NOW)


def test_a_reissued_or_voided_receipt_prints_the_issuer_as_it_was_when_issued(world: World):
    """Issue 13, item 11: a reissue printed today's operator, address and phone under the original number."""
    old_t, new_t = invoice_number("123456789012"), invoice_number("210987654321")
    _set_issuer(world, operator="NPO法人ふくふく", invoice=old_t, phone="083-000-0001", address="下関市竹崎町4丁目")
    r = pay_for(world, [item(world).id])
    with world.read() as s:
        stored = s.get(Receipt, r.id)
        assert (stored.issuer_centre_name, stored.issuer_operator, stored.issuer_address, stored.issuer_phone,
                stored.invoice_number) == ("しものせき市民活動センター", "NPO法人ふくふく", "下関市竹崎町4丁目",
                                           "083-000-0001", old_t)
    # A new operator takes over (another 指定管理者, address and phone).
    _set_issuer(world, operator="株式会社つぎの管理", invoice=new_t, phone="083-999-0002", address="下関市新地町1")
    with world.write() as s:
        pay.record_print(s, world.desk, r.id, layout="A5", now=NOW)
        again = pay.record_print(s, world.desk, r.id, layout="A5", now=NOW)
    assert again.reissue
    assert (again.issuer.operator, again.issuer.invoice_number, again.issuer.phone, again.issuer.address) == (
        "NPO法人ふくふく", old_t, "083-000-0001", "下関市竹崎町4丁目")
    with world.write() as s:
        pay.void_receipt(s, world.manager, r.id, "宛名の誤り", now=NOW, terminal=TERM)
    with world.read() as s:
        voided = pay.receipt_doc(s, r.id)
    assert voided.voided and voided.issuer.operator == "NPO法人ふくふく" and voided.issuer.phone == "083-000-0001"
    # A receipt issued now names the new operator.
    with world.read() as s:
        assert pay.receipt_doc(s, pay_for(world, [item(world).id]).id).issuer.operator == "株式会社つぎの管理"


def test_a_receipt_from_before_the_issuer_was_kept_prints_the_current_issuer(world: World):
    t_no = invoice_number()
    _set_issuer(world, operator="NPO法人ふくふく", invoice=t_no, phone="083-000-0001", address="下関市竹崎町4丁目")
    r = pay_for(world, [item(world).id])
    with world.write() as s:  # as a receipt issued before migration 0007 looks: no issuer kept
        row = s.get(Receipt, r.id)
        row.issuer_centre_name = row.issuer_operator = row.issuer_address = row.issuer_phone = None
    with world.read() as s:
        doc = pay.receipt_doc(s, r.id)
    assert (doc.issuer.centre_name, doc.issuer.operator, doc.issuer.phone, doc.issuer.invoice_number) == (
        "しものせき市民活動センター", "NPO法人ふくふく", "083-000-0001", t_no)


# --------------------------------------------------------------------------- units


def test_receipt_lines_carry_the_unit_of_their_quantity(world: World):
    """Issue 13, item 17: a receipt printed 「260」 where it meant 「260か月」."""
    b = world.book(at(DAY, 10), at(DAY, 12), equipment=world.equip(プロジェクター=1))  # 大会議室 午前 ¥1,500
    d = load_default_fees().to_dict()
    d["equipment"]["プロジェクター"] = {"price": 300, "tax": "taxable10"}
    d["items"]["団体ロッカー"] = {"price": 200, "unit": "か月", "tax": "taxable10"}
    with world.write() as s:
        fees.save_fees(s, world.manager, FeeSchedule.from_dict(d), now=NOW)
        fees.sync_booking_charges(s, world.desk, s.get(svc.Booking, b.id), now=NOW)
    with world.read() as s:
        booking_ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    locker = item(world, "団体ロッカー", 12)
    copies = item(world, "コピー 白黒", 260)
    with world.write() as s:
        _, printing = pay.log_printing(s, world.desk, user_name="山田花子", masters=2, sheets=100, now=NOW)
    assert (locker.unit, copies.unit, printing.unit) == ("か月", "枚", "回")
    r = pay_for(world, booking_ids + [locker.id, copies.id, printing.id], purpose="施設使用料等として")
    assert [(li.quantity, li.unit) for li in r.lines] == [(1, "区分"), (1, "台"), (12, "か月"), (260, "枚"), (1, "回")]
    from booking_app.reports.receipt_pdf import quantity_text

    assert [quantity_text(li) for li in r.lines] == ["1区分", "1台", "12か月", "260枚", "1回"]
    with world.read() as s:  # the printed document says the same
        assert [li.unit for li in pay.receipt_doc(s, r.id).lines] == ["区分", "台", "か月", "枚", "回"]


def test_an_insurance_premium_counts_people_or_is_one_lump(world: World):
    units = pay._Units({}, {})
    assert pay.line_unit("insurance", "ボランティア活動保険（基本タイプ） 保険料（12名・2026/11/25加入分）", 12,
                         printing=False, units=units) == "名"
    assert pay.line_unit("insurance", "ボランティア行事用保険（A1） 保険料（15名・2026/11/25加入分）", 1,
                         printing=False, units=units) == "式"  # the minimum premium, one lump
    assert pay.line_unit("room", "2026/12/02 予約0000012 変更による差額（支払済み¥1,500→変更後¥2,000）", 1,
                         printing=False, units=units) == "式"
    assert pay.line_unit("item", "昔の品目", 3, printing=False, units=units) == ""  # no longer in the table
