"""A small known month for issue 18's statistics (March 2027): lottery entries and a draw (through
services.lottery), キャンセル待ち in every status, 減免 lines on paid receipts (one voided), refunds.

The other rows are written with the ORM directly: the services that make them are being written at the
same time. :func:`build` returns what the figures must say; the draw's result depends on its seed, so
the lottery's expectations are read from the draw it ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from factories import World, at

from booking_app.services import lottery as lot
from booking_app.store.models import (
    Booking,
    Charge,
    Receipt,
    ReceiptLine,
    ReceiptVoid,
    Refund,
    WaitlistEntry,
)

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)  # inside March's entry window (2026-12-01〜10)
DRAW = datetime(2026, 12, 15, 10, 0)  # March's draw day
TUE, WED, THU = date(2027, 3, 2), date(2027, 3, 3), date(2027, 3, 4)
IN_MONTH = datetime(2027, 3, 10, 11, 0)
BEFORE = datetime(2027, 2, 26, 11, 0)  # February: outside the month
AFTER = datetime(2027, 4, 2, 10, 0)  # the day the figures are read
REDUCE_HALF = "減免（障がい者団体 50%）"
REDUCE_FULL = "減免（市主催・共催 100%）"
HALL = "多目的交流ホール"


@dataclass
class Expected:
    rooms: dict[str, tuple[int, int, int, int, int, int]]  # entries, won, won_elsewhere, lost, pending, slots
    entries: int
    won: int
    lost: int
    withdrawn: int
    waitlist: dict[str, int]
    reductions: dict[str, tuple[int, int]]  # label → (count, yen off)
    refunds: list[tuple[str, str, int, int]]  # class, detail, count, yen


def _booking(s, world: World, day: date, *, room: str = "小会議室1", code: str | None = None,
             name: str = "山田花子") -> Booking:
    b = Booking(room_id=world.rooms[room], booker_kind="person", booker_name=name, purpose="会合",
                start_at=at(day, 9), end_at=at(day, 12), status="confirmed",
                reduction_code=code, reduction_approved_by=world.manager.id if code else None,
                created_at=BEFORE, created_by=world.desk.id, updated_at=BEFORE, updated_by=world.desk.id)
    s.add(b)
    s.flush()
    return b


_seq = {"n": 0}


def _receipt(s, world: World, issued: datetime, lines: list[tuple[Booking, str, str, int]]) -> Receipt:
    """A paid receipt of (booking, kind, description, amount) lines, each through its charge."""
    _seq["n"] += 1
    total = sum(a for *_x, a in lines)
    r = Receipt(fiscal_year=2026, seq=_seq["n"], receipt_no=f"2026-{_seq['n']:06d}", issued_at=issued,
                payer_name="山田花子", purpose="施設使用料として", total=total, taxable10=total, tax10=0,
                exempt=0, created_by=world.desk.id)
    s.add(r)
    s.flush()
    for b, kind, desc, amount in lines:
        c = Charge(booking_id=b.id, kind=kind, description=desc, quantity=1, unit_price=amount, amount=amount,
                   status="paid", receipt_id=r.id, created_at=issued, created_by=world.desk.id)
        s.add(c)
        s.flush()
        s.add(ReceiptLine(receipt_id=r.id, charge_id=c.id, description=desc, quantity=1, unit_price=amount,
                          amount=amount, tax="taxable10"))
    s.flush()
    return r


def _refund(s, world: World, n: int, b: Booking, r: Receipt, when: datetime, paid: int, rate: int, amount: int,
            reason: str, why: str) -> None:
    s.add(Refund(fiscal_year=2026, seq=n, refund_no=f"R2026-{n:06d}", booking_id=b.id, receipt_id=r.id, paid=paid,
                 rate=rate, amount=amount, reason=reason, why_text=why, method="cash", at=when,
                 staff_id=world.desk.id))


def _wait(s, world: World, status: str, requested: datetime, hour: int, *, booking_id: int | None = None) -> None:
    extra: dict = {}
    if status in ("offered", "accepted", "declined", "expired"):
        extra = {"offered_at": requested, "offered_by": world.desk.id, "reply_by": at(requested.date(), 20)}
    if status not in ("waiting", "offered"):
        extra |= {"closed_at": requested, "closed_by": world.desk.id}
    s.add(WaitlistEntry(room_id=world.rooms["大会議室"], start_at=at(date(2027, 3, 20), hour),
                        end_at=at(date(2027, 3, 20), hour + 1), booker_name=f"待ち{status}", status=status,
                        requested_at=requested, requested_by=world.desk.id, booking_id=booking_id, **extra))


def build(world: World, seed: str = "stats-1") -> Expected:
    g1, g2, g3, g4 = (world.make_group(n) for n in ("子ども食堂", "朗読の会", "合唱団", "囲碁クラブ"))
    big = world.rooms["大会議室"]
    hall = world.rooms[HALL]

    def slot(room: int, day: date):
        return (room, at(day, 18), at(day, 22))

    def take(group: int, *wishes):
        data = lot.EntryInput(group_id=group, month=MONTH, channel="counter", wishes=[[w] for w in wishes])
        with world.write() as s:
            return lot.take_entry(s, world.desk, data, now=TAKE)

    take(g1, slot(big, TUE), slot(hall, WED))  # 大会議室 first, the hall second
    take(g2, slot(big, TUE))  # the same slot: one of g1 / g2 does not get it
    take(g3, slot(hall, THU))
    e4 = take(g4, slot(big, WED))
    with world.write() as s:
        lot.withdraw_entry(s, world.desk, e4.id, "団体の都合", now=TAKE)
    with world.write() as s:
        view = lot.run_draw(s, world.manager, MONTH, now=DRAW, seed=seed)
    g1_first = any(v.group_id == g1 and v.won_rank == 1 for v in view.winners)
    if g1_first:  # g1 won 大会議室 TUE, g2 lost
        rooms = {"大会議室": (2, 1, 0, 1, 0, 1), HALL: (2, 1, 0, 0, 0, 1)}
        won, lost = 2, 1
    else:  # g2 won it; g1 got its second wish, the hall
        rooms = {"大会議室": (2, 1, 1, 0, 0, 1), HALL: (2, 2, 0, 0, 0, 2)}
        won, lost = 3, 0

    with world.write() as s:
        for i, st in enumerate(("waiting", "offered", "declined", "expired", "withdrawn")):
            _wait(s, world, st, IN_MONTH, 9 + i)
        accepted = _booking(s, world, date(2027, 3, 20), room="大会議室", name="待ちaccepted")
        _wait(s, world, "accepted", IN_MONTH, 15, booking_id=accepted.id)
        _wait(s, world, "waiting", BEFORE, 16)  # February's request: not in March's figures

        half = _booking(s, world, date(2027, 3, 11), code="disability")
        full = _booking(s, world, date(2027, 3, 12), code="city")
        voided = _booking(s, world, date(2027, 3, 13), code="disability")
        feb = _booking(s, world, date(2027, 2, 27), code="disability")
        _receipt(s, world, IN_MONTH, [(half, "room", "小会議室1 午前", 2000), (half, "reduction", REDUCE_HALF, -1000)])
        _receipt(s, world, IN_MONTH, [(full, "room", "小会議室1 午前", 1500), (full, "reduction", REDUCE_FULL, -1500)])
        r3 = _receipt(s, world, IN_MONTH, [(voided, "room", "小会議室1 午前", 1600),
                                           (voided, "reduction", REDUCE_HALF, -800)])
        s.add(ReceiptVoid(receipt_id=r3.id, at=IN_MONTH, staff_id=world.desk.id, reason="金額の誤り",
                          refund_amount=800))
        _receipt(s, world, BEFORE, [(feb, "room", "小会議室1 午前", 2000), (feb, "reduction", REDUCE_HALF, -1000)])
        half2 = _booking(s, world, date(2027, 3, 18), code="disability")
        _receipt(s, world, IN_MONTH, [(half2, "room", "小会議室1 午後", 2400),
                                      (half2, "reduction", REDUCE_HALF, -1200)])

        paid = [_booking(s, world, date(2027, 3, d), room="小会議室2") for d in (21, 22, 23, 24, 25)]
        rs = [_receipt(s, world, BEFORE, [(b, "room", "小会議室2 午前", 3000)]) for b in paid]
        _refund(s, world, 1, paid[0], rs[0], IN_MONTH, 3000, 100, 3000, "警報", "警報による取消のため全額還付")
        _refund(s, world, 2, paid[1], rs[1], IN_MONTH, 3000, 100, 3000, "団体の都合",
                "利用日の7日前までの取消のため全額還付")
        _refund(s, world, 3, paid[2], rs[2], IN_MONTH, 3000, 100, 3000, "体調不良",
                "利用日の7日前までの取消のため全額還付")
        _refund(s, world, 4, paid[3], rs[3], IN_MONTH, 3000, 50, 1500, "団体の都合",
                "利用日の6日前から3日前までの取消のため50%還付")
        _refund(s, world, 5, paid[4], rs[4], BEFORE, 3000, 100, 3000, "休館", "休館による取消のため全額還付")

    return Expected(
        rooms=rooms, entries=3, won=won, lost=lost, withdrawn=1,
        waitlist={"待機中": 1, "連絡済（回答待ち）": 1, "承諾（予約済）": 1, "辞退": 1, "回答期限切れ": 1, "取下げ": 1},
        reductions={REDUCE_FULL: (1, 1500), REDUCE_HALF: (2, 2200)},
        refunds=[("全額還付の理由", "警報", 1, 3000), ("日数による", "100%", 2, 6000), ("日数による", "50%", 1, 1500)],
    )
