"""Registering or editing a group (団体登録・登録内容の変更), and a manager's status change.

The dialog only collects: the rules (required fields, the ordinance declarations, the registration
number) live in ``services.groups``. When the service refuses, its Japanese message is shown, the field
it names gets focus and a red border, and everything typed stays where it was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError
from booking_app.domain.groups import (
    ACTIVITY_FIELDS,
    DECLARATIONS,
    GROUP_STATUS_LABELS,
    GROUP_TYPES,
    MACHIZUKURI_DISTRICTS,
    TEXT_LIMITS,
    GroupInput,
    GroupStatus,
)
from booking_app.services import groups as group_svc
from booking_app.ui.context import AppContext
from booking_app.ui.forms import dialog_buttons, reason_edit
from booking_app.ui.keyboard import InputSnapshot, free_tab_everywhere, may_discard, shortcut_action
from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import run_modal

INVALID_STYLE = "border: 2px solid #d32f2f; border-radius: 3px;"

# The member_groups columns' String(n) (store/models.py), as the line edits' maximum length.
MAX_LENGTHS = {name: limit for name, (_label, limit) in TEXT_LIMITS.items()}  # the register's columns


class _WrapLabel(QLabel):
    """A word-wrapped label that ticks its checkbox when clicked (QCheckBox itself cannot wrap)."""

    def __init__(self, text: str, box: QCheckBox):
        super().__init__(text)
        self._box = box
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event):  # noqa: N802 (Qt naming)
        if event.button() == Qt.MouseButton.LeftButton and self._box.isEnabled():
            self._box.toggle()
        super().mouseReleaseEvent(event)


class GroupDialog(QDialog):
    """団体登録 / 登録内容の変更. Use :meth:`register` or :meth:`edit`."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, group_id: int | None = None):
        super().__init__(parent)
        self.setObjectName("group_dialog")
        self.ctx = ctx
        self.group_id = group_id
        self.result_id: int | None = None
        self._marked: list[QWidget] = []
        self._header = ""
        if group_id is not None:
            data, self._header = ctx.read(lambda s: _load_input(s, group_id))
        else:
            data = None
        self.setWindowTitle("登録内容の変更" if group_id is not None else "団体の新規登録")
        self._build()
        if data is not None:
            self.set_input(data)
        self._on_machizukuri_toggled()
        # Fits a 1366×768 desk screen with the taskbar; the form scrolls when it must.
        self.resize(980, 680)
        self._snapshot = InputSnapshot(self)  # Esc asks before throwing away what was typed

    def reject(self) -> None:
        """Esc, キャンセル or the close box: 「入力内容を破棄しますか？」 when something was typed."""
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        if self._header:
            head = plain_label(self._header)
            head.setObjectName("group_header")
            head.setStyleSheet("font-size: 13pt; font-weight: bold;")
            outer.addWidget(head)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop: the fields in it are
        body = QWidget()
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)
        grid = QGridLayout(body)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        # Left: who the group is and how to reach it.
        left = QFormLayout()
        left.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name_edit = self._line("name", "例：ふくふく読書会")
        left.addRow("団体名(&N) *", self.name_edit)
        self.kana_edit = self._line("kana", "例：ふくふくどくしょかい")
        kana_box = QVBoxLayout()
        kana_box.setSpacing(1)
        kana_box.addWidget(self.kana_edit)
        kana_hint = QLabel("ひらがな・カタカナのどちらでも検索できます")
        kana_hint.setStyleSheet("color: #616161; font-size: 9pt;")
        kana_box.addWidget(kana_hint)
        kana_label = QLabel("ふりがな(&K) *")
        kana_label.setBuddy(self.kana_edit)
        left.addRow(kana_label, kana_box)

        type_row = QHBoxLayout()
        self.type_group = QButtonGroup(self)
        self.type_buttons: dict[str, QRadioButton] = {}
        for key in ("purpose", "community"):
            rb = QRadioButton(GROUP_TYPES[key])
            rb.setObjectName(f"group_type_{key}")
            self.type_group.addButton(rb)
            self.type_buttons[key] = rb
            type_row.addWidget(rb)
        self.type_buttons["purpose"].setChecked(True)
        type_row.addStretch(1)
        self.type_box = QWidget()
        self.type_box.setObjectName("group_type")
        self.type_box.setLayout(type_row)
        type_row.setContentsMargins(0, 0, 0, 0)
        type_label = QLabel("区分(&T) *")
        type_label.setBuddy(self.type_buttons["purpose"])
        left.addRow(type_label, self.type_box)

        machi_row = QHBoxLayout()
        machi_row.setContentsMargins(0, 0, 0, 0)
        self.machizukuri_check = QCheckBox("まちづくり協議会")
        self.machizukuri_check.setObjectName("is_machizukuri")
        self.machizukuri_check.toggled.connect(self._on_machizukuri_toggled)
        self.district_combo = QComboBox()
        self.district_combo.setObjectName("district")
        self.district_combo.addItem("（地区を選択）", "")
        for d in MACHIZUKURI_DISTRICTS:
            self.district_combo.addItem(d, d)
        machi_row.addWidget(self.machizukuri_check)
        district_label = QLabel("地区(&I)")
        district_label.setBuddy(self.district_combo)
        machi_row.addWidget(district_label)
        machi_row.addWidget(self.district_combo, 1)
        left.addRow("", machi_row)

        self.representative_edit = self._line("representative", "例：山田 花子")
        left.addRow("代表者(&R) *", self.representative_edit)
        self.phone_edit = self._line("phone", "例：083-123-4567")
        left.addRow("電話(&P)", self.phone_edit)
        self.contact_name_edit = self._line("contact_name", "代表者と別の場合")
        left.addRow("連絡担当者(&C)", self.contact_name_edit)
        self.contact_phone_edit = self._line("contact_phone", "例：090-1234-5678")
        left.addRow("連絡先電話(&H)", self.contact_phone_edit)
        self.email_edit = self._line("email", "例：info@example.jp")
        left.addRow("メール(&M)", self.email_edit)
        self.address_edit = self._line("address", "例：下関市竹崎町4-4-8")
        left.addRow("住所(&A)", self.address_edit)
        self.meeting_place_edit = self._line("meeting_place", "例：センター小会議室、○○公民館")
        left.addRow("活動場所(&L)", self.meeting_place_edit)
        self.members_spin = QSpinBox()
        self.members_spin.setObjectName("members")
        self.members_spin.setRange(0, 99999)
        self.members_spin.setSpecialValueText("未記入")
        self.members_spin.setSuffix(" 人")
        left.addRow("会員数(&U)", self.members_spin)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("note")
        self.note_edit.setFixedHeight(60)
        left.addRow("備考(&B)", self.note_edit)
        contact_hint = QLabel("* は必須。電話・連絡先電話・メールのいずれか1つは必要です。")
        contact_hint.setWordWrap(True)
        contact_hint.setStyleSheet("color: #616161; font-size: 9pt;")
        left.addRow(contact_hint)
        grid.addLayout(left, 0, 0)

        # Right: the 20 fields of the NPO law, several allowed.
        self.fields_box = QGroupBox("活動分野(&F) *（複数選択可）")
        self.fields_box.setObjectName("activity_fields")
        fgrid = QGridLayout(self.fields_box)
        fgrid.setVerticalSpacing(4)
        self.field_checks: dict[str, QCheckBox] = {}
        half = (len(ACTIVITY_FIELDS) + 1) // 2
        for i, name in enumerate(ACTIVITY_FIELDS):
            cb = QCheckBox(name)
            cb.setObjectName(f"field_{i}")
            self.field_checks[name] = cb
            fgrid.addWidget(cb, i % half, i // half)
        grid.addWidget(self.fields_box, 0, 1, Qt.AlignmentFlag.AlignTop)

        # Bottom: the ordinance's declarations, each in full so the group reads what it declares.
        self.decl_box = QGroupBox("条例の要件の確認(&D) *（団体に確認してチェック）")
        self.decl_box.setObjectName("declarations")
        dl = QGridLayout(self.decl_box)
        dl.setColumnStretch(1, 1)
        self.declaration_checks: dict[str, QCheckBox] = {}
        for row, (key, text) in enumerate(DECLARATIONS.items()):
            cb = QCheckBox()
            cb.setObjectName(f"decl_{key}")
            cb.setAccessibleName(text)
            self.declaration_checks[key] = cb
            dl.addWidget(cb, row, 0, Qt.AlignmentFlag.AlignTop)
            lbl = _WrapLabel(text, cb)
            lbl.setObjectName(f"decl_label_{key}")
            dl.addWidget(lbl, row, 1)
        grid.addWidget(self.decl_box, 1, 0, 1, 2)
        grid.setRowStretch(2, 1)

        self.save_button, buttons = dialog_buttons(self, "登録する" if self.group_id is None else "変更を保存", "save",
                                                   self.save)
        self.save_button.setToolTip("キー：Ctrl+S（入力欄でEnterでも保存）")
        shortcut_action(self, self.save_button.text(), "Ctrl+S", self.save, section="団体の登録・変更",
                        name="save_group_key")
        outer.addWidget(buttons)
        # Enter in a field saves. Set once the button is in the dialog: set before, the dialog does not
        # know it as its default, and after Tab has passed キャンセル, Enter would cancel.
        self.save_button.setDefault(True)
        free_tab_everywhere(self)  # 備考 passes Tab on
        # Never narrower than the two columns need, so nothing is cut off at the right edge.
        m = outer.contentsMargins()
        self.setMinimumWidth(body.minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width()
                             + m.left() + m.right() + 2 * self.scroll.frameWidth() + 4)

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        e.setPlaceholderText(placeholder)
        # Never longer than the member_groups column (String(n)), which
        # SQLite ignores but PostgreSQL refuses with a technical error instead of a Japanese one.
        e.setMaxLength(MAX_LENGTHS.get(name, 200))
        return e

    def _on_machizukuri_toggled(self, *_) -> None:
        self.district_combo.setEnabled(self.machizukuri_check.isChecked())

    # ---------------------------------------------------------------- values

    def group_input(self) -> GroupInput:
        gtype = next((k for k, rb in self.type_buttons.items() if rb.isChecked()), "")
        members = self.members_spin.value() or None
        return GroupInput(
            name=self.name_edit.text(), kana=self.kana_edit.text(), group_type=gtype,
            is_machizukuri=self.machizukuri_check.isChecked(),
            district=self.district_combo.currentData() or "",
            activity_fields=[n for n, cb in self.field_checks.items() if cb.isChecked()],
            representative=self.representative_edit.text(), phone=self.phone_edit.text(),
            contact_name=self.contact_name_edit.text(), contact_phone=self.contact_phone_edit.text(),
            email=self.email_edit.text(), address=self.address_edit.text(),
            meeting_place=self.meeting_place_edit.text(), members=members,
            declarations={k: cb.isChecked() for k, cb in self.declaration_checks.items()},
            note=self.note_edit.toPlainText().replace("\x00", ""),  # PostgreSQL text refuses NUL
        )

    def set_input(self, d: GroupInput) -> None:
        self.name_edit.setText(d.name)
        self.kana_edit.setText(d.kana)
        if d.group_type in self.type_buttons:
            self.type_buttons[d.group_type].setChecked(True)
        else:  # 'other' from an old register: leave both unticked so staff choose
            self.type_group.setExclusive(False)
            for rb in self.type_buttons.values():
                rb.setChecked(False)
            self.type_group.setExclusive(True)
        self.machizukuri_check.setChecked(d.is_machizukuri)
        i = self.district_combo.findData(d.district)
        self.district_combo.setCurrentIndex(max(i, 0))
        for n, cb in self.field_checks.items():
            cb.setChecked(n in d.activity_fields)
        self.representative_edit.setText(d.representative)
        self.phone_edit.setText(d.phone)
        self.contact_name_edit.setText(d.contact_name)
        self.contact_phone_edit.setText(d.contact_phone)
        self.email_edit.setText(d.email)
        self.address_edit.setText(d.address)
        self.meeting_place_edit.setText(d.meeting_place)
        self.members_spin.setValue(d.members or 0)
        for k, cb in self.declaration_checks.items():
            cb.setChecked(bool(d.declarations.get(k)))
        self.note_edit.setPlainText(d.note)

    # ---------------------------------------------------------------- saving

    def widget_for_field(self, field: str | None) -> QWidget | None:
        """The widget a ValidationError's ``field`` points at (what gets the red border)."""
        mapping: dict[str, QWidget] = {
            "name": self.name_edit, "kana": self.kana_edit, "group_type": self.type_box,
            "district": self.district_combo, "activity_fields": self.fields_box,
            "representative": self.representative_edit, "phone": self.phone_edit,
            "contact_phone": self.contact_phone_edit, "email": self.email_edit, "members": self.members_spin,
            "declarations": self.decl_box, "address": self.address_edit, "note": self.note_edit,
            "contact_name": self.contact_name_edit, "meeting_place": self.meeting_place_edit,
        }
        return mapping.get(field or "")

    def _focus_target(self, field: str | None, w: QWidget) -> QWidget:
        if field == "declarations":
            return next((cb for cb in self.declaration_checks.values() if not cb.isChecked()), w)
        if field == "activity_fields":
            return next(iter(self.field_checks.values()))
        if field == "group_type":
            return self.type_buttons["purpose"]
        return w

    def _clear_marks(self) -> None:
        for w in self._marked:
            w.setStyleSheet("")
            w.setProperty("invalid", False)
        self._marked.clear()

    def mark_invalid(self, field: str | None) -> QWidget | None:
        w = self.widget_for_field(field)
        if w is None:
            return None
        name = w.objectName()
        if isinstance(w, QGroupBox):
            w.setStyleSheet(f"QGroupBox#{name} {{ {INVALID_STYLE} margin-top: 1.2em; padding-top: 4px; }}"
                            f"QGroupBox#{name}::title {{ color: #d32f2f; subcontrol-origin: margin; left: 8px; }}")
        elif name == "group_type":
            w.setStyleSheet(f"QWidget#{name} {{ {INVALID_STYLE} }}")
        else:
            w.setStyleSheet(INVALID_STYLE)
        w.setProperty("invalid", True)
        self._marked.append(w)
        target = self._focus_target(field, w)
        self.scroll.ensureWidgetVisible(w)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        return w

    def save(self) -> bool:
        self._clear_marks()
        data = self.group_input()
        try:
            if self.group_id is None:
                summary = self.ctx.write(lambda s, a: group_svc.register_group(s, a, data), changes={"group"})
            else:
                gid = self.group_id
                summary = self.ctx.write(lambda s, a: group_svc.update_group(s, a, gid, data), changes={"group"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            self.mark_invalid(exc.field)
            return False
        self.result_id = summary.id
        self.accept()
        return True

    # ---------------------------------------------------------------- entry points

    @classmethod
    def register(cls, parent: QWidget | None, ctx: AppContext) -> int | None:
        """Open an empty form; the new group's id, or None when cancelled."""
        return run_modal(parent, ctx.prompts, lambda: cls(ctx, parent),
                         lambda dlg, ok: dlg.result_id if ok else None, refused=None)

    @classmethod
    def edit(cls, parent: QWidget | None, ctx: AppContext, group_id: int) -> bool:
        """Open the group's register entry; True when it was saved."""
        return run_modal(parent, ctx.prompts, lambda: cls(ctx, parent, group_id=group_id),
                         lambda _dlg, ok: ok, refused=False)


def _load_input(session, group_id: int) -> tuple[GroupInput, str]:
    g = group_svc.get_group(session, group_id)
    data = GroupInput(
        name=g.name, kana=g.kana, group_type=g.group_type, is_machizukuri=bool(g.is_machizukuri),
        district=g.district or "", activity_fields=list(g.activity_fields or []),
        representative=g.representative, phone=g.phone, contact_name=g.contact_name,
        contact_phone=g.contact_phone, email=g.email, address=g.address, meeting_place=g.meeting_place,
        members=g.members, declarations=dict(g.declarations or {}), note=g.note,
    )
    return data, f"{g.reg_no or '（番号なし）'}　{g.name}"


class StatusChangeDialog(QDialog):
    """停止・抹消・解除: a manager picks the new status and writes the reason (理由は必須)."""

    CHOICES = (
        (GroupStatus.SUSPENDED.value, "停止（利用を一時停止する）"),
        (GroupStatus.DEREGISTERED.value, "抹消（登録を取り消す。元に戻せません）"),
        (GroupStatus.ACTIVE.value, "解除（停止を解いて有効に戻す）"),
    )

    def __init__(self, ctx: AppContext, group_id: int, title: str, current_status: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("status_dialog")
        self.ctx = ctx
        self.group_id = group_id
        self.setWindowTitle("団体の停止・抹消・解除")
        lay = QVBoxLayout(self)
        head = plain_label(f"{title}\n現在の状態：{GROUP_STATUS_LABELS.get(GroupStatus(current_status), current_status)}")
        head.setWordWrap(True)
        lay.addWidget(head)
        form = QFormLayout()
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("new_status")
        for value, label in self.CHOICES:
            self.status_combo.addItem(label, value)
        # Offer the likely next step first: a suspended group is usually being reinstated.
        if current_status == GroupStatus.SUSPENDED.value:
            self.status_combo.setCurrentIndex(2)
        form.addRow("変更後の状態(&S)", self.status_combo)
        self.reason_edit = reason_edit("例：会費未納のため（記録に残ります）")
        form.addRow("理由(&R) *", self.reason_edit)
        lay.addLayout(form)
        self.ok_button, buttons = dialog_buttons(self, "変更する", "apply", self.apply)
        self.ok_button.setToolTip("キー：Ctrl+S（理由の欄でEnterでも）")
        shortcut_action(self, "状態を変更する", "Ctrl+S", self.apply, section="団体の停止・抹消・解除",
                        name="apply_status_key")
        lay.addWidget(buttons)
        self.ok_button.setDefault(True)  # in the dialog first, so the dialog keeps it as its default
        self.resize(520, 200)
        self._snapshot = InputSnapshot(self)

    def reject(self) -> None:
        """Esc asks 「入力内容を破棄しますか？」 once a reason was typed or the choice changed."""
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    def apply(self) -> bool:
        new, reason, gid = self.status_combo.currentData(), self.reason_edit.text(), self.group_id
        try:
            self.ctx.write(lambda s, a: group_svc.change_status(s, a, gid, new, reason), changes={"group"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            if exc.field == "reason":
                self.reason_edit.setStyleSheet(INVALID_STYLE)
                self.reason_edit.setFocus()
            return False
        self.accept()
        return True

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, group_id: int, title: str, current_status: str) -> bool:
        dlg = cls(ctx, group_id, title, current_status, parent)
        try:
            return dlg.exec() == QDialog.DialogCode.Accepted
        finally:
            dlg.deleteLater()


__all__ = ["GroupDialog", "StatusChangeDialog"]
