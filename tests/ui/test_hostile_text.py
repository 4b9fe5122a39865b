"""Issue 15: what people type is shown as text, never rendered as HTML (利用者の文字は文字として表示).

A group, a staff member and a booking purpose whose names are HTML (a 28-point red fake warning and an
``<img>`` that would make Qt read /etc/hosts) are created; every screen that shows them is opened, and
each label carrying such text must either be plain text or rich text with the name escaped, so the
literal ``<span`` is what staff read. Message boxes (ours and the error boxes) likewise.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QLabel, QMessageBox, QWidget
from sqlalchemy import select

from booking_app.domain.errors import DomainError
from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import bookings as booking_svc
from booking_app.services import groups as group_svc
from booking_app.services import insurance as ins
from booking_app.services import payments as pay_svc
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Room, Staff
from booking_app.ui import plain_text
from booking_app.ui.plain_text import might_be_rich
from booking_app.ui.admin.audit_page import AuditPage
from booking_app.ui.calendar.grid import booking_tooltip
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.insurance.enrol_dialog import AddPeopleDialog
from booking_app.ui.errors import build_error_box
from booking_app.ui.groups.group_dialog import GroupDialog, StatusChangeDialog
from booking_app.ui.groups.groups_page import GroupsPage
from booking_app.ui.insurance.insurance_page import InsurancePage
from booking_app.ui.money.payment_dialog import PaymentDialog
from booking_app.ui.money.receipts_page import ReceiptsPage, VoidDialog
from booking_app.ui.prompts import Prompts
from booking_app.ui.booking.today_list import TodayListPage

TODAY = date(2026, 11, 25)  # the pinned default day, named: the enrolment and the booking are placed from it
pytestmark = pytest.mark.now(datetime(2026, 11, 25, 10, 0))

HOSTILE = '<span style="font-size:28pt;color:red">偽の警告：登録抹消</span><img src="/etc/hosts">'
STAFF_NAME = '<span style="font-size:28pt;color:red">偽の職員</span><img src="/etc/hosts">'
PURPOSE = '<span style="font-size:28pt;color:red">偽の目的</span><img src="/etc/hosts">'
KANA = "にせのけいこく"
ROSTER = "山田 太郎\tヤマダ タロウ\n佐藤 花子\tサトウ ハナコ\n"
BOOKING_DAY = date(2026, 11, 25)
SHOTS = os.environ.get("HOSTILE_SHOTS_DIR", "")


def _actor(engine, role: str) -> Actor:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return Actor(st.id, st.name, st.role)


@pytest.fixture
def engine(engine):
    """The conftest database with the desk staff member, a group and its booking all named in HTML."""
    with write_session(engine) as s:
        s.scalars(select(Staff).where(Staff.role == "desk")).first().name = STAFF_NAME
    desk, manager = _actor(engine, "desk"), _actor(engine, "manager")
    with write_session(engine) as s:
        group_svc.register_group(s, desk, GroupInput(
            name=HOSTILE, kana=KANA, activity_fields=["まちづくり"], representative=HOSTILE,
            phone="083-111-2222", declarations={k: True for k in DECLARATIONS}), now=datetime(2026, 4, 10, 10))
    with read_session(engine) as s:
        gid = group_svc.search_groups(s, KANA)[0].id
        room_id = s.scalars(select(Room).where(Room.name == "大会議室")).one().id
    start = datetime.combine(BOOKING_DAY, time(13))
    with write_session(engine) as s:
        booking_svc.create_booking(s, desk, booking_svc.BookingInput(
            start=start, end=start + timedelta(hours=2), room_id=room_id, booker_kind="member", group_id=gid,
            purpose=PURPOSE, attendees=10, note=HOSTILE, override_reason="テスト用"), now=start - timedelta(days=3))
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, 2026, actor=manager) if p.plan.code == "VOL-BASIC")
        ins.enrol_group(s, desk, plan_id=plan.id, group_id=gid, people=ins.parse_roster_text(ROSTER),
                        applied_on=date(2026, 6, 1), now=datetime(2026, 6, 1, 9))
    return engine


@pytest.fixture
def ids(engine) -> dict[str, int]:
    with read_session(engine) as s:
        gid = group_svc.search_groups(s, KANA)[0].id
        (enrolment,) = ins.list_enrolments(s, fiscal_year=2026, group_id=gid)
    from booking_app.store.models import Booking

    with read_session(engine) as s:
        bid = s.scalars(select(Booking.id).where(Booking.group_id == gid)).one()
    return {"group": gid, "booking": bid, "enrolment": enrolment.id}


@pytest.fixture(autouse=True)
def no_error_boxes(monkeypatch, prompts):
    """An error box during the test is a failure with its text (none is expected)."""
    seen = prompts.shown("show_error")
    for mod in ("groups.groups_page", "groups.group_dialog", "booking.booking_dialog", "booking.today_list",
                "money.payment_dialog", "money.receipts_page", "admin.audit_page", "insurance.insurance_page",
                "insurance.enrol_dialog"):
        m = __import__(f"booking_app.ui.{mod}", fromlist=["show_error"])
        if hasattr(m, "show_error"):
            monkeypatch.setattr(m, "show_error", lambda parent, exc: prompts.show_error(parent, exc))
    yield seen
    assert seen == []


def shown(qtbot, w: QWidget, size=(1200, 760)) -> QWidget:
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def displayed(label: QLabel) -> str:
    """What staff read in the label: its text as Qt will draw it (rich text rendered, plain text as is)."""
    text = label.text()
    fmt = label.textFormat()
    if fmt == Qt.TextFormat.PlainText or (fmt == Qt.TextFormat.AutoText and not might_be_rich(text)):
        return text
    return QTextDocumentFragment.fromHtml(text).toPlainText()


def hostile_labels(w: QWidget, *names: str) -> list[QLabel]:
    """Every label under ``w`` whose text carries one of the names; each must show it as typed."""
    names = names or (HOSTILE, STAFF_NAME, PURPOSE)
    cores = [n.split(">")[1].split("<")[0] for n in names]  # 偽の警告：登録抹消 and the like
    found = []
    for label in w.findChildren(QLabel) + ([w] if isinstance(w, QLabel) else []):
        if not any(c in label.text() for c in cores):
            continue
        found.append(label)
        assert label.textFormat() != Qt.TextFormat.AutoText or not might_be_rich(label.text()), (
            label.objectName(), label.text())
        if label.textFormat() == Qt.TextFormat.RichText:
            assert "<span style=" + '"font-size:28pt' not in label.text() and "<img" not in label.text(), label.text()
        assert "<span" in displayed(label), (label.objectName(), label.text())
    return found


def tooltip_as_read(t: str) -> str:
    """A tooltip as Qt shows it: rendered when it looks like HTML (``Qt::mightBeRichText``), else as is."""
    return QTextDocumentFragment.fromHtml(t).toPlainText() if might_be_rich(t) else t


def assert_tooltips_plain(view: QAbstractItemView) -> None:
    """Cell tooltips that carry a name are escaped: Qt would render them as HTML otherwise."""
    model = view.model()
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            t = model.index(r, c).data(Qt.ItemDataRole.ToolTipRole)
            if isinstance(t, str) and "偽の" in t:
                assert "<span" in tooltip_as_read(t), t


def cells(view: QAbstractItemView) -> list[str]:
    model = view.model()
    return [str(model.index(r, c).data() or "") for r in range(model.rowCount()) for c in range(model.columnCount())]


def grab(w: QWidget, name: str) -> None:
    if SHOTS:
        assert w.grab().save(os.path.join(SHOTS, f"g2-{name}.png"))


# ----------------------------------------------------------------------------- tests


def test_the_groups_page_and_its_detail_show_the_name_as_typed(qtbot, ctx, engine, ids):
    page = shown(qtbot, GroupsPage(ctx), (1216, 720))
    page.search_edit.setText(KANA)
    page.run_search(select_id=ids["group"])
    assert page.results_model.rowCount() == 1 and page.selected_id() == ids["group"]
    qtbot.waitUntil(lambda: HOSTILE in page.detail_labels["name"].text(), timeout=3000)
    labels = hostile_labels(page, HOSTILE)
    names = {lb.objectName() for lb in labels}
    assert {"detail_name", "detail_representative"} <= names, names
    assert page.detail_labels["name"].textFormat() == Qt.TextFormat.PlainText
    assert displayed(page.detail_labels["name"]) == HOSTILE
    # The insurance lines keep our own bold/colour markup (their text goes in through esc()).
    assert page.insurance_label.textFormat() == Qt.TextFormat.RichText
    assert displayed(page.insurance_label).startswith("保険\n× ボランティア活動保険")
    grab(page, "groups-page")


def test_group_dialog_and_status_dialog_header(qtbot, ctx, engine, ids):
    dlg = shown(qtbot, GroupDialog(ctx, group_id=ids["group"]), (900, 700))
    assert dlg.name_edit.text() == HOSTILE
    hostile_labels(dlg)  # the header (番号と名前) if any, plain
    status = shown(qtbot, StatusChangeDialog(ctx, ids["group"], HOSTILE, "active"), (500, 300))
    (head,) = hostile_labels(status, HOSTILE)
    assert head.textFormat() == Qt.TextFormat.PlainText and HOSTILE in head.text()


def test_booking_dialog_shows_group_and_purpose_as_typed(qtbot, ctx, engine, ids):
    dlg = shown(qtbot, BookingDialog(ctx, booking_id=ids["booking"]), (1100, 740))
    assert dlg.purpose_edit.text() == PURPOSE and HOSTILE in dlg.group_edit.text()  # line edits: plain text
    hostile_labels(dlg)
    grab(dlg, "booking-dialog")


def test_today_list_and_its_no_show_question(qtbot, ctx, engine, ids, monkeypatch):
    page = shown(qtbot, TodayListPage(ctx))
    view = page.findChild(QAbstractItemView)
    qtbot.waitUntil(lambda: any("偽の警告" in c for c in cells(view)), timeout=3000)
    hostile_labels(page)
    assert_tooltips_plain(view)
    grab(page, "today-list")
    # The no-show question quotes the group's name: asked through the real Prompts, inspected, answered
    # 「やめる」 without a click.
    page.ctx.prompts = Prompts()
    boxes: list[QMessageBox] = []

    def answer(box):
        boxes.append(box)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "exec", answer)
    with read_session(engine) as s:
        v = booking_svc.get_booking(s, ids["booking"])
    assert page.confirm_no_show(v) is False
    (box,) = boxes
    assert box.textFormat() == Qt.TextFormat.PlainText and HOSTILE in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert box.button(QMessageBox.StandardButton.No).text() == "やめる"
    # 利用済（人数入力） asks with the name in its label: plain too (answered やめる without a click).
    asked: list[QInputDialog] = []
    monkeypatch.setattr(QInputDialog, "exec", lambda dlg: asked.append(dlg) or QInputDialog.DialogCode.Rejected)
    page.select_booking(ids["booking"])
    assert page.check_out() is False
    (label,) = hostile_labels(asked[0], HOSTILE)
    assert label.textFormat() == Qt.TextFormat.PlainText and asked[0].intValue() == 10
    # The calendar's block tooltip carries the name and the purpose: shown as typed.
    assert PURPOSE in tooltip_as_read(plain_text.tip(booking_tooltip(v)))


def test_enrolment_detail_and_add_people_dialog(qtbot, ctx, engine, ids):
    page = shown(qtbot, InsurancePage(ctx), (1216, 760))
    page.refresh_list()
    view = page.enrolments_view
    assert any("偽の警告" in c for c in cells(view)), cells(view)
    view.selectRow(0)
    qtbot.waitUntil(lambda: "偽の警告" in page.detail_label.text(), timeout=3000)
    hostile_labels(page, HOSTILE)
    assert page.detail_label.textFormat() == Qt.TextFormat.RichText
    assert HOSTILE in displayed(page.detail_label)
    assert_tooltips_plain(view)
    with read_session(engine) as s:
        enrolment = ins.get_enrolment(s, ids["enrolment"])
    dlg = shown(qtbot, AddPeopleDialog(ctx, enrolment), (600, 400))
    (head,) = [lb for lb in hostile_labels(dlg, HOSTILE)]
    assert HOSTILE in displayed(head)


def test_payment_dialog_and_receipts_page(qtbot, ctx, engine, ids, desk):
    dlg = shown(qtbot, PaymentDialog(ctx, booking_id=ids["booking"]), (1000, 700))
    labels = hostile_labels(dlg, HOSTILE)
    assert any(HOSTILE in displayed(lb) for lb in labels), [lb.text() for lb in dlg.findChildren(QLabel)]
    dlg.close()
    with read_session(engine) as s:  # the member's room is free: the enrolment's premium is what is paid
        charge_ids = list(ins.get_enrolment(s, ids["enrolment"]).open_charge_ids)
    with write_session(engine) as s:
        receipt = pay_svc.take_payment(s, desk, charge_ids, payer_name=HOSTILE, purpose="保険料として", method="cash")
    page = shown(qtbot, ReceiptsPage(ctx))
    view = page.findChild(QAbstractItemView)
    qtbot.waitUntil(lambda: any("偽の警告" in c for c in cells(view)), timeout=3000)
    hostile_labels(page)
    assert_tooltips_plain(view)
    void = shown(qtbot, VoidDialog(None, receipt), (500, 300))
    (info,) = hostile_labels(void, HOSTILE)
    assert info.textFormat() == Qt.TextFormat.PlainText and HOSTILE in info.text()


def test_audit_page_detail_names_the_staff_member_as_typed(qtbot, ctx, engine, ids):
    page = shown(qtbot, AuditPage(ctx))
    view = page.table
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=3000)
    assert any("偽の職員" in c for c in cells(view))
    for row in range(page.model.rowCount()):
        view.selectRow(row)
        if "偽の警告" in page.detail_title.text():
            break
    assert "偽の職員" in page.detail_title.text()
    hostile_labels(page)
    assert page.detail_title.textFormat() == Qt.TextFormat.PlainText
    assert_tooltips_plain(view)


def test_error_box_quoting_a_name_is_plain_text(qtbot, engine, ids, desk, manager):
    """A service's refusal that quotes the group's name (and its reason): the error box shows it as text."""
    with write_session(engine) as s:
        group_svc.change_status(s, manager, ids["group"], "suspended", HOSTILE, now=datetime(2026, 11, 25, 10))
    with read_session(engine) as s:
        room_id = s.scalars(select(Room).where(Room.name == "大会議室")).one().id
    start = datetime.combine(BOOKING_DAY + timedelta(days=7), time(9))
    with write_session(engine) as s, pytest.raises(DomainError) as raised:
        booking_svc.create_booking(s, desk, booking_svc.BookingInput(
            start=start, end=start + timedelta(hours=2), room_id=room_id, booker_kind="member",
            group_id=ids["group"], purpose=PURPOSE, attendees=5), now=datetime(2026, 11, 25, 10))
    exc = raised.value
    assert exc.message.startswith(f"「{HOSTILE}」は")
    box = build_error_box(None, exc)
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.TextFormat.PlainText and "<span" in box.text()
    (label,) = hostile_labels(box, HOSTILE)
    assert label.textFormat() == Qt.TextFormat.PlainText
    # An unexpected error's informative text (type: message) too.
    other = build_error_box(None, RuntimeError(HOSTILE))
    qtbot.addWidget(other)
    informative = other.findChild(QLabel, "qt_msgbox_informativelabel")
    assert informative is not None and informative.textFormat() == Qt.TextFormat.PlainText
    assert HOSTILE in informative.text()


def test_the_helpers_keep_our_markup_and_escape_the_name(qtbot, monkeypatch):
    box = plain_text.message_box(None, QMessageBox.Icon.Information, "確認", HOSTILE)
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == HOSTILE
    tip = plain_text.tip(f"{HOSTILE}\n二行目")
    assert might_be_rich(tip) and "<span style" not in tip
    assert QTextDocumentFragment.fromHtml(tip).toPlainText().startswith("<span")
    assert plain_text.tip("有効期限 2027/03/31") == "有効期限 2027/03/31"  # plain tooltips unchanged
    label = plain_text.rich(QLabel(f"<b>{plain_text.esc(HOSTILE)}</b>"))
    qtbot.addWidget(label)
    assert displayed(label) == HOSTILE
    # The real Prompts' questions (a choice of buttons, a line of text) show their text as typed too.
    seen: list[QMessageBox] = []

    def answer(self):
        seen.append(self)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    assert Prompts().ask_choice(None, "確認", HOSTILE, [("a", "はい")]) is None
    (box,) = seen
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == HOSTILE
    assert [b.text() for b in box.buttons()] == ["はい", "戻る"]


def test_the_lock_screen_names_the_staff_member_as_typed(qtbot, ctx, engine):
    """画面ロック shows who is on duty: a staff name in HTML is read as typed there too."""
    from PySide6.QtWidgets import QMainWindow

    from booking_app.ui.access.lock_screen import LockOverlay

    window = shown(qtbot, QMainWindow())
    ctx.set_actor(_actor(engine, "desk"))
    overlay = LockOverlay(window, ctx)
    overlay.cover()
    try:
        assert hostile_labels(overlay, STAFF_NAME), "the lock screen does not name the staff member"
    finally:
        overlay._may_close = True
        overlay.close()
