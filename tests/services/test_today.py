"""The day list's payment column (issue 13, item 8): each booking's 支払 state from one query.

Unpaid (未払 with what is owed), paid (済 with the receipt number), no fee (—), a voided receipt is not
paid, and the whole list costs one statement however many bookings it has.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from booking_app.services import payments as pay_svc
from booking_app.services import today as today_svc
from factories import DAY, NOW, World, at


def general(world: World, hour: int, name: str = "下関写真クラブ", **kw) -> int:
    """A general user's (一般) booking: the room is charged."""
    return world.book(at(DAY, hour), at(DAY, hour + 2), booker_kind="group", booker_name=name, **kw).id


def pay(world: World, booking_id: int) -> pay_svc.ReceiptView:
    with world.write() as s:
        ids = [c.id for c in pay_svc.open_charges(s, booking_id=booking_id)]
        return pay_svc.take_payment(s, world.desk, ids, payer_name="下関写真クラブ", purpose="施設使用料として",
                                    now=NOW)


def test_unpaid_paid_and_free_bookings(world: World):
    unpaid = general(world, 9)
    paid = general(world, 13, room="小会議室1")
    member = world.book(at(DAY, 18), at(DAY, 20), group_id=world.make_group()).id
    receipt = pay(world, paid).receipt_no
    with world.read() as s:
        states = today_svc.payment_states(s, [unpaid, paid, member])
    assert states[unpaid].unpaid and states[unpaid].label.startswith("未払 ¥")
    assert states[paid].label == f"済 {receipt}" and not states[paid].unpaid
    assert receipt in states[paid].detail
    assert states[member] == today_svc.NO_FEE and states[member].label == "—"


def test_a_voided_receipt_is_not_paid(world: World):
    bid = general(world, 9)
    receipt = pay(world, bid)
    with world.write() as s:
        pay_svc.void_receipt(s, world.manager, receipt.id, "金額の誤り", now=NOW + timedelta(minutes=5))
    with world.read() as s:
        state = today_svc.payment_states(s, [bid])[bid]
    assert state.unpaid and receipt.receipt_no not in state.label


def test_one_statement_for_the_whole_list(world: World):
    ids = [general(world, h, name=f"写真クラブ{h}", room=room)
           for h in (9, 13) for room in ("大会議室", "小会議室1", "小会議室2", "作業室")]
    for bid in ids[:3]:
        pay(world, bid)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with world.read() as s:
        event.listen(world.engine, "before_cursor_execute", count)
        try:
            states = today_svc.payment_states(s, ids)
        finally:
            event.remove(world.engine, "before_cursor_execute", count)
    assert len(states) == len(ids) == 8
    assert sum(st.label.startswith("済") for st in states.values()) == 3
    assert len([st for st in statements if st.lstrip().upper().startswith("SELECT")]) == 1
