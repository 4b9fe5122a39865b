"""The group on the 団体 page's right-hand side: what it shows (GroupDetail, read in one session by
:func:`load_detail`) and the panel that shows it (GroupPanel: the large status card, the registration
details, the year's insurance and the group's bookings). The page puts its action buttons into
``GroupPanel.actions``, between the card and the details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QFrame, QGridLayout, QHeaderView, QLabel, QScrollArea, QVBoxLayout, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.groups import GROUP_TYPES
from booking_app.services import groups as group_svc
from booking_app.services import group_lookup, lookups
from booking_app.services.bookings import BookingView
from booking_app.services.groups import Verdict
from booking_app.ui.groups.group_models import GroupBookingsModel, group_status_background, group_status_color
from booking_app.ui.plain_text import esc, plain_label, rich
from booking_app.ui.widgets import list_table

NO_SHOW_SIGN = "⚠"  # in front of the no-show bar: the warning is not told by its red alone
NO_SHOW_COLOR = "#c62828"

@dataclass(frozen=True)
class GroupDetail:
    """Everything the status panel shows about one group, read in one session (no ORM kept)."""

    id: int
    reg_no: str | None
    name: str
    kana: str
    type_label: str
    is_machizukuri: bool
    district: str
    activity_fields: tuple[str, ...]
    representative: str
    phone: str
    contact_name: str
    contact_phone: str
    email: str
    members: int | None
    registered_on: date | None
    valid_until: date | None
    status: str
    verdict: Verdict
    last_verified: str
    anonymised_on: date | None = None  # 匿名化: personal fields read 「（匿名化済み）」
    no_show_bar: str = ""  # 無断キャンセルで抽選に申し込めない: the service's sentence, empty when not barred

    @property
    def title(self) -> str:
        return f"{self.reg_no}　{self.name}" if self.reg_no else self.name


def load_detail(session, group_id: int, today: date, *, shown: int) -> tuple[GroupDetail, list[BookingView]]:
    """The group and its ``shown`` newest bookings, plus one more when there are more (the panel says so)."""
    g = group_svc.get_group(session, group_id)
    v = group_svc.verdict(g, today)
    last = lookups.last_verification(session, group_id)
    bar = group_lookup.no_show_bar(session, group_id, today)
    last_text = ""
    if last is not None:
        at, who = last.at, last.staff_name
        last_text = f"{jcal.format_slash(at.date())} {jcal.format_time(at.time())}　{who}"
    detail = GroupDetail(
        id=g.id, reg_no=g.reg_no, name=g.name, kana=g.kana, type_label=GROUP_TYPES.get(g.group_type, g.group_type),
        is_machizukuri=bool(g.is_machizukuri), district=g.district or "",
        activity_fields=tuple(g.activity_fields or ()), representative=g.representative, phone=g.phone,
        contact_name=g.contact_name, contact_phone=g.contact_phone, email=g.email, members=g.members,
        registered_on=g.registered_on, valid_until=g.valid_until, status=v.status, verdict=v,
        last_verified=last_text, anonymised_on=g.anonymised_at.date() if g.anonymised_at else None,
        no_show_bar=bar.text if bar is not None else "",
    )
    # One more than shown, so the panel can say it lists only the newest (no silent cap).
    return detail, group_svc.group_bookings(session, group_id, limit=shown + 1)


def date_both(d: date | None) -> str:
    """'2027/03/31（令和9年3月31日）': staff and groups think in both calendars."""
    if d is None:
        return "—"
    return f"{jcal.format_slash(d)}（{jcal.wareki(d)}）"


class GroupPanel(QWidget):
    """The status card, the page's actions (``actions``), the details, insurance and bookings of one group."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        rl = QVBoxLayout(self)
        rl.setContentsMargins(6, 0, 0, 0)
        self.status_frame = QFrame()
        self.status_frame.setObjectName("status_frame")
        sl = QGridLayout(self.status_frame)
        sl.setContentsMargins(14, 8, 14, 10)
        self.group_title = plain_label()
        self.group_title.setObjectName("group_title")
        self.group_title.setWordWrap(True)
        self.group_title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        sl.addWidget(self.group_title, 0, 0, 1, 2)
        self.status_label = plain_label()
        self.status_label.setObjectName("status_label")
        big = QFont(self.font())
        big.setPointSize(34)
        big.setBold(True)
        self.status_label.setFont(big)
        sl.addWidget(self.status_label, 1, 0, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        self.reason_label = plain_label()
        self.reason_label.setObjectName("reason_label")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("font-size: 12pt;")
        sl.addWidget(self.reason_label, 1, 1)
        self.advice_label = plain_label()
        self.advice_label.setObjectName("advice_label")
        self.advice_label.setWordWrap(True)
        self.advice_label.setStyleSheet("font-size: 11pt;")
        sl.addWidget(self.advice_label, 2, 1)
        # The no-show bar (無断キャンセル): red and bold, with a sign in front so it is not told by colour alone.
        self.no_show_label = plain_label()
        self.no_show_label.setObjectName("no_show_label")
        self.no_show_label.setWordWrap(True)
        self.no_show_label.setStyleSheet(f"font-size: 11pt; font-weight: bold; color: {NO_SHOW_COLOR};")
        self.no_show_label.setVisible(False)
        sl.addWidget(self.no_show_label, 3, 0, 1, 2)
        sl.setColumnStretch(1, 1)
        rl.addWidget(self.status_frame)

        self.actions = QGridLayout()  # filled by the page
        rl.addLayout(self.actions)
        self.verified_label = plain_label()
        self.verified_label.setObjectName("verified_label")
        self.verified_label.setStyleSheet("color: #1b7a3a;")
        rl.addWidget(self.verified_label)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop: the bookings table in it is
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        bl = QVBoxLayout(body)
        bl.setContentsMargins(0, 0, 4, 0)
        self.insurance_label = rich(QLabel("<b>保険</b>"))  # enrolment lines go in through esc()
        self.insurance_label.setObjectName("insurance_label")
        self.insurance_label.setWordWrap(True)
        self.details = QFormLayout()
        self.details.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.detail_labels: dict[str, QLabel] = {}
        for key, caption in (("reg_no", "登録番号"), ("name", "団体名"), ("kana", "ふりがな"), ("type", "区分"),
                             ("fields", "活動分野"), ("representative", "代表者"), ("phones", "電話"),
                             ("members", "会員数"), ("registered_on", "登録日"), ("valid_until", "有効期限"),
                             ("last_verified", "最終確認")):
            lbl = plain_label()
            lbl.setObjectName(f"detail_{key}")
            lbl.setWordWrap(True)
            lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail_labels[key] = lbl
            self.details.addRow(caption, lbl)
        bl.addLayout(self.details)
        bl.addWidget(self.insurance_label)  # above the bookings, so it is seen without scrolling
        self.bookings_heading = rich(QLabel("<b>予約</b>"))
        self.bookings_heading.setObjectName("bookings_heading")
        bl.addWidget(self.bookings_heading)
        self.bookings_model = GroupBookingsModel(self)
        self.bookings_view = list_table("group_bookings")
        self.bookings_view.setModel(self.bookings_model)
        # Date and time fixed to the font, the room takes what is left, the status always in view
        # (at 1366 px the pane is ~440 px wide).
        char = self.bookings_view.fontMetrics().horizontalAdvance("0")
        bh = self.bookings_view.horizontalHeader()
        bh.setStretchLastSection(False)
        for col, chars in ((0, 15), (1, 12), (3, 7)):
            self.bookings_view.setColumnWidth(col, char * chars + 12)
        bh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.bookings_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.bookings_view.setMinimumHeight(120)
        bl.addWidget(self.bookings_view, 1)
        scroll.setWidget(body)
        rl.addWidget(scroll, 1)
        self.show_nothing()

    def show_detail(self, d: GroupDetail, bookings: Sequence[BookingView], insurance: Sequence[tuple[bool, str]],
                    verified_note: str, *, shown: int) -> None:
        """One group: its verdict on the card, its details, this year's insurance, its ``shown`` newest
        bookings (``bookings`` holds one more when there are more)."""
        self.show_verdict(d.verdict, title=d.title)
        labels = self.detail_labels
        labels["reg_no"].setText(d.reg_no or "—")
        labels["name"].setText(d.name)
        labels["kana"].setText(d.kana or "—")
        type_text = d.type_label
        if d.is_machizukuri:
            type_text += f"（まちづくり協議会・{d.district}地区）" if d.district else "（まちづくり協議会）"
        labels["type"].setText(type_text)
        labels["fields"].setText("、".join(d.activity_fields) or "—")
        rep = d.representative or "—"
        if d.contact_name and d.contact_name != d.representative:
            rep += f"（連絡担当：{d.contact_name}）"
        if d.anonymised_on is not None:
            rep = f"（{jcal.format_slash(d.anonymised_on)}に個人情報を匿名化済み）"
        labels["representative"].setText(rep)
        phones = list(dict.fromkeys(p for p in (d.phone, d.contact_phone, d.email) if p))
        labels["phones"].setText("　".join(phones) or "—")
        labels["members"].setText(f"{d.members}人" if d.members else "—")
        labels["registered_on"].setText(date_both(d.registered_on))
        labels["valid_until"].setText(date_both(d.valid_until))
        labels["last_verified"].setText(d.last_verified or "まだありません")
        capped = len(bookings) > shown
        self.bookings_model.set_rows(list(bookings[:shown]))
        self.bookings_heading.setText(
            f"<b>予約</b>（新しい順に{shown}件を表示。それより前は予約検索で）" if capped else "<b>予約</b>")
        self.show_insurance(insurance)
        self.verified_label.setText(verified_note)
        self.show_no_show_bar(d.no_show_bar)

    def show_no_show_bar(self, text: str) -> None:
        """The lottery bar for no-shows on the card, or nothing."""
        self.no_show_label.setText(f"{NO_SHOW_SIGN} {text}" if text else "")
        self.no_show_label.setVisible(bool(text))

    def show_verdict(self, v: Verdict, *, title: str) -> None:
        """The large status card; an unregistered verdict (nobody found) clears the details."""
        color = group_status_color(v.status)
        self.group_title.setText(title)
        self.status_label.setText(v.label)
        self.status_label.setStyleSheet(f"color: {color.name()};")
        self.reason_label.setText(v.reason)
        self.reason_label.setStyleSheet(f"font-size: 12pt; color: {color.name() if not v.good else '#212121'};")
        self.advice_label.setText(v.advice)
        self.status_frame.setStyleSheet(
            f"QFrame#status_frame {{ background: {group_status_background(v.status).name()};"
            f" border: 2px solid {color.name()}; border-radius: 6px; }}")
        if v.status == "unregistered":
            self.clear_details()

    def show_nothing(self) -> None:
        """No group chosen: how to find one."""
        self.group_title.setText("")
        self.status_label.setText("")
        self.reason_label.setText("団体名・ふりがな・登録番号・電話番号を入力してください。")
        self.reason_label.setStyleSheet("font-size: 12pt; color: #616161;")
        self.advice_label.setText("会員証のQRコードを読み取っても開きます。")
        self.status_frame.setStyleSheet(
            "QFrame#status_frame { background: #f5f5f5; border: 1px solid #d0d0d0; border-radius: 6px; }")
        self.clear_details()

    def clear_details(self) -> None:
        self.show_no_show_bar("")
        for lbl in self.detail_labels.values():
            lbl.setText("")
        self.bookings_model.set_rows([])
        self.bookings_heading.setText("<b>予約</b>")
        self.insurance_label.setText("<b>保険</b>")
        self.verified_label.setText("")

    def show_insurance(self, lines: Sequence[tuple[bool, str]]) -> None:
        """The group's enrolments this fiscal year and whether each covers today."""
        if not lines:
            self.insurance_label.setText("<b>保険</b>　今年度の加入はありません")
            return
        rows = "".join(f"<br><span style='color:{'#1b7a3a' if ok else '#c62828'};'>{'●' if ok else '×'}</span> {esc(text)}"
                       for ok, text in lines)
        self.insurance_label.setText(f"<b>保険</b>{rows}")


__all__ = ["GroupDetail", "GroupPanel", "date_both", "load_detail", "NO_SHOW_SIGN"]
