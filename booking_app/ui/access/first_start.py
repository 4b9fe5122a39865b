"""The first start of the app on a PC (初回起動ウィザード): where the data lives, the centre, the first administrator.

A truly first start (nothing configured: no ``--db``, no ``BOOKING_APP_DB_URL``, no saved 接続設定 and
no default SQLite file yet) shows five pages: ようこそ → データの保存場所 → センター情報 → システム管理者
→ 確認. A database that is reached but has no administrator with a password (e.g. created by
``fukufuku-desk db upgrade``) shows only the centre, administrator and confirmation pages.

On PostgreSQL the データの保存場所 page asks the schema owner's user and password once
(used for the test and the set-up, never stored); 完了 runs the migrations as the owner, creates the
first システム管理 staff row and its own database login (``db_roles.create_login`` on the owner's
connection), saves this terminal's connection without any credential, and the app then shows the
normal login, where the administrator signs in with that login.

All the work of 完了 is :func:`apply_first_start` (``services/first_start.py``, no widgets, tested on its own):
it migrates, creates the administrator and saves the profile and the receipt issuer in ONE
transaction, and saves this terminal's connection only after everything else succeeded, so a
failure leaves nothing half-done and the next start simply shows the wizard again.
"""

from __future__ import annotations

import gc
import html
import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from booking_app import config
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.fees import FeeSchedule, normalise_invoice_number
from booking_app.domain.profile import CentreProfile
from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.services.first_start import (  # noqa: F401 - the wizard's names, importable from here
    EMPTY,
    INVOICE_EMPTY_NOTE,
    INVOICE_EXAMPLE,
    INVOICE_FIELD,
    NEEDS_ADMIN,
    NEWER,
    READY,
    AdminFields,
    CentreFields,
    FirstStartChoice,
    apply_first_start,
    check_admin_fields,
    check_centre_fields,
    database_state,
    default_sqlite_url,
    initial_values,
    is_default_sqlite,
    is_first_start,
    target_of,
)
from booking_app.ui import prompts
from booking_app.ui.about_dialog import resources_dir
from booking_app.ui.access.connection_dialog import (
    TlsFields,
    check_connection,
    explain_connect_error,
    is_unreachable,
    server_field_problem,
)
from booking_app.ui.access.login_dialog import LAST_STAFF_KEY
from booking_app.ui.keyboard import InputSnapshot, may_discard
from booking_app.ui.workers import Op


log = logging.getLogger(__name__)

PAGE_WELCOME, PAGE_DATABASE, PAGE_CENTRE, PAGE_ADMIN, PAGE_CONFIRM = range(5)

ERROR_STYLE = "QLabel { color: #c62828; }"
HINT_STYLE = "QLabel { color: #616161; }"
OK_STYLE = "QLabel { color: #2e7d32; }"


def failure_message(exc: BaseException) -> str:
    """The Japanese sentence for a failed 完了."""
    if isinstance(exc, DomainError):
        return exc.message
    if is_unreachable(exc):
        return explain_connect_error(getattr(exc, "orig", None) or exc)
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return ("設定を保存できませんでした。何も変更されていません。"
            f"接続先・ディスクの空き・書き込みの権限を確かめて、もう一度［完了］を押してください。\n（{detail}）")


# --------------------------------------------------------------------------- widgets


def collect_garbage_here() -> None:
    """Collect cyclic garbage on the GUI thread before starting a worker.

    Otherwise Python's collector may run in the worker (migrations allocate a lot) and free Qt
    wrappers there, which crashes Qt (seen as a segfault in this module's tests). Anki avoids the same
    by collecting only on the main thread.
    """
    gc.collect()


def _label(text: str = "", *, name: str = "", style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    if style:
        label.setStyleSheet(style)
    return label


def _edit(name: str, text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit


class WelcomePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page_welcome")
        self.setTitle("ふくふくデスクへようこそ")
        self.setSubTitle("しものせき市民活動センターの窓口業務アプリです。はじめに少しだけ設定をします。")
        lay = QVBoxLayout(self)
        lay.addWidget(_label(
            "部屋の予約、登録団体の管理、受付と会計、利用統計を、この一つのアプリで行います。", name="what"))
        lay.addSpacing(8)
        lay.addWidget(_label(
            "この後、次のことをおたずねします（3分ほどで終わります）。\n\n"
            "　1. データの保存場所（このパソコンだけで使うか、センターのサーバーを使うか）\n"
            "　2. センターの情報（名称・住所・運営団体・適格請求書の登録番号）\n"
            "　3. システム管理者のアカウント（職員のアカウントを管理する人）\n\n"
            "入力した内容は、あとから［設定］画面で変更できます。", name="steps"))
        lay.addStretch(1)


class DatabasePage(QWizardPage):
    """データの保存場所: the default SQLite file, or a PostgreSQL server that must pass 接続テスト."""

    testFinished = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page_database")
        self.setTitle("データの保存場所")
        self.setSubTitle("受付の端末が1台ならこのパソコンに、2台以上で同じデータを使うならセンターのサーバーに保存します。")
        # (url, ConnectionCheck, state, initial values) of the last successful test.
        self.tested: tuple[str, object, str, tuple | None] | None = None
        self._op = None
        lay = QVBoxLayout(self)

        self.sqlite_radio = QRadioButton("このパソコンだけで使う（SQLite）")
        self.sqlite_radio.setObjectName("use_sqlite")
        self.pg_radio = QRadioButton("センターのサーバーを使う（PostgreSQL）")
        self.pg_radio.setObjectName("use_postgresql")
        group = QButtonGroup(self)
        group.addButton(self.sqlite_radio)
        group.addButton(self.pg_radio)
        lay.addWidget(self.sqlite_radio)
        self.sqlite_path = _label(f"保存するファイル：{config.default_db_path()}", name="sqlite_path",
                                  style=HINT_STYLE)
        self.sqlite_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sqlite_path.setContentsMargins(24, 0, 0, 0)
        lay.addWidget(self.sqlite_path)
        lay.addSpacing(6)
        lay.addWidget(self.pg_radio)

        self.pg_box = QGroupBox()
        self.pg_box.setObjectName("pg_box")
        form = QFormLayout(self.pg_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.host_edit = _edit("host", placeholder="例：192.168.1.10 または server-pc")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("port")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(config.DEFAULT_PG_PORT)
        self.db_edit = _edit("database", "fukufuku")
        self.tls = TlsFields(self, self.host_edit, ca_placeholder="IT担当者から受け取った ca.crt")
        self.sslmode_combo, self.ca_edit, ca_row = self.tls.combo, self.tls.ca_edit, self.tls.ca_row
        # The schema owner (made by the IT person, docs/admin-guide.md 3): asked once, never stored.
        self.user_edit = _edit("user", config.DEFAULT_OWNER)
        self.password_edit = _edit("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("ホスト名", self.host_edit)
        form.addRow("ポート番号", self.port_spin)
        form.addRow("データベース名", self.db_edit)
        form.addRow("暗号化", self.sslmode_combo)
        form.addRow("CAファイル", ca_row)
        form.addRow("所有者のユーザー名", self.user_edit)
        form.addRow("所有者のパスワード", self.password_edit)
        form.addRow(_label("所有者のパスワードは、データベースの準備に一度だけ使い、保存しません。"
                           "設定済みのサーバーなら、あなたのログイン名とパスワードでもかまいません。",
                           name="owner_note", style=HINT_STYLE))
        row = QHBoxLayout()
        self.test_button = QPushButton("接続テスト")
        self.test_button.setObjectName("test_connection")
        self.test_button.clicked.connect(self.run_test)
        row.addWidget(self.test_button)
        row.addWidget(_label("サーバーの設定はセンターのIT担当者にたずねてください。", style=HINT_STYLE), 1)
        form.addRow(row)
        self.result_label = _label(name="test_result")
        form.addRow(self.result_label)
        lay.addWidget(self.pg_box)
        lay.addStretch(1)

        self.sqlite_radio.setChecked(True)
        self.sqlite_radio.toggled.connect(self._changed)
        for edit in (self.host_edit, self.db_edit, self.user_edit, self.password_edit, self.ca_edit):
            edit.textChanged.connect(self._changed)
        self.port_spin.valueChanged.connect(self._changed)
        self.sslmode_combo.currentIndexChanged.connect(self._changed)
        self._changed()

    def sslmode(self) -> str:
        return self.tls.mode()

    # -- state
    def use_postgresql(self) -> bool:
        return self.pg_radio.isChecked()

    def server_url(self) -> str | None:
        host, db, user = self.host_edit.text().strip(), self.db_edit.text().strip(), self.user_edit.text().strip()
        if not host or not db or not user:
            return None
        # A host such as "user@pc:1/x" made a URL naming another server.
        if server_field_problem(host, db, user, self.password_edit.text()):
            return None
        return config.postgres_url(host, self.port_spin.value(), db, user, self.password_edit.text(),
                                   sslmode=self.sslmode(), sslrootcert=self.tls.ca_path())

    def chosen_url(self) -> str | None:
        return self.server_url() if self.use_postgresql() else default_sqlite_url()

    def state(self) -> str | None:
        """The tested database's state when the test matches the current values (None otherwise)."""
        if not self.use_postgresql():
            return None
        url = self.server_url()
        if self.tested is None or url is None or self.tested[0] != url:
            return None
        return self.tested[2]

    def already_set_up(self) -> bool:
        return self.state() == READY

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        if self._op is not None:
            return False
        if not self.use_postgresql():
            return True
        return self.state() in (EMPTY, NEEDS_ADMIN, READY)

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return PAGE_CONFIRM if self.already_set_up() else PAGE_CENTRE

    def _changed(self, *_args) -> None:
        pg = self.use_postgresql()
        self.pg_box.setEnabled(pg)
        self.sqlite_path.setEnabled(not pg)
        if pg and self.tested is not None and self.state() is None and self._op is None:
            self._show("入力が変わりました。もう一度［接続テスト］を押してください。", HINT_STYLE)
        elif pg and self.tested is None and self._op is None:
            self._show("［接続テスト］で接続できることを確かめると、［次へ］を押せるようになります。", HINT_STYLE)
        self.completeChanged.emit()

    def _show(self, text: str, style: str) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(style)

    # -- 接続テスト
    def run_test(self) -> None:
        url = self.server_url()
        if url is None:
            host, db, user = (self.host_edit.text().strip(), self.db_edit.text().strip(),
                              self.user_edit.text().strip())
            problem = (host and db and user and server_field_problem(host, db, user, self.password_edit.text()))
            self._show(problem or "ホスト名・データベース名・所有者のユーザー名を入力してください。", ERROR_STYLE)
            self.testFinished.emit(False)
            return
        ca = self.ca_edit.text().strip()
        if self.sslmode() == "verify-full" and not ca:
            self._show("「検証付き暗号化」にはCAファイルが必要です。［参照…］でIT担当者から受け取った ca.crt を"
                       "選んでください。", ERROR_STYLE)
            self.testFinished.emit(False)
            return
        if ca and not Path(ca).expanduser().is_file():
            self._show(f"CAファイル「{ca}」が見つかりません。［参照…］で ca.crt を選んでください。", ERROR_STYLE)
            self.testFinished.emit(False)
            return
        self._show("接続しています…", HINT_STYLE)
        self.test_button.setEnabled(False)
        collect_garbage_here()
        self._op = Op(self, lambda: _probe(url)).success(lambda r: self._tested(url, r)).failure(self._failed)
        self.completeChanged.emit()
        self._op.run_in_background()

    def _finish_test(self) -> None:
        self._op = None
        self.test_button.setEnabled(True)
        self.completeChanged.emit()

    def _tested(self, url: str, outcome) -> None:
        check, state, values = outcome
        self._op = None
        if not check.ok:
            self.tested = None
            self._show(check.message, ERROR_STYLE)
            self._finish_test()
            self.testFinished.emit(False)
            return
        self.tested = (url, check, state, values)
        if state == READY:
            self._show("接続できました。このデータベースは別の端末で設定済みです（システム管理者が登録されています）。"
                       "センター情報と管理者の入力は不要です。［次へ］→［完了］でログイン画面を開きます。", OK_STYLE)
        elif state == NEWER:
            self._show(check.message, ERROR_STYLE)
        elif state == NEEDS_ADMIN:
            self._show(f"{check.message}続けてセンター情報とシステム管理者を設定します。", OK_STYLE)
        else:
            self._show(check.message, OK_STYLE)
        self._finish_test()
        self.testFinished.emit(state != NEWER)

    def _failed(self, exc: BaseException) -> None:
        self.tested = None
        self._show(failure_message(exc), ERROR_STYLE)
        self._finish_test()
        self.testFinished.emit(False)


def _probe(url: str):
    """Worker thread: the connection check, the database's state and (if set up halfway) its profile."""
    check = check_connection(url)
    if not check.ok:
        return check, None, None
    state = database_state(url)
    values = initial_values(url) if state == NEEDS_ADMIN else None
    return check, state, values


class _FormPage(QWizardPage):
    """A page of labelled fields with a red line below them: ［次へ］ first checks the fields (:meth:`check`);
    a refusal is said on the page and puts the cursor in the field it names (:meth:`focus_for`)."""

    def __init__(self, name: str, title: str, subtitle: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.lay = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.lay.addLayout(self.form)

    def add_error_label(self, name: str) -> None:
        """The red line, below what the page has laid out so far; then the rest of the page is space."""
        self.error_label = _label(name=name, style=ERROR_STYLE)
        self.error_label.setVisible(False)
        self.lay.addWidget(self.error_label)
        self.lay.addStretch(1)

    def check(self) -> None:
        """Raise ValidationError when a field is wrong."""
        raise NotImplementedError

    def focus_for(self, exc: ValidationError) -> None:
        """Put the cursor where the refusal points."""

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        try:
            self.check()
        except ValidationError as exc:
            self.error_label.setText(exc.message)
            self.error_label.setVisible(True)
            self.focus_for(exc)
            return False
        self.error_label.setVisible(False)
        return True


class CentrePage(_FormPage):
    """センター情報: name, nickname, address, phone, operator and the invoice registration number."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("page_centre", "センター情報",
                         "画面の見出しや領収書・利用票に印刷されます。あとから［設定］画面で変更できます。", parent)
        self.source: object = None  # which database the fields were filled from
        form = self.form
        self.name_edit = _edit("centre_name")
        self.nickname_edit = _edit("nickname", placeholder="任意（例：ふくふくサポート）")
        self.address_edit = _edit("address")
        self.phone_edit = _edit("phone", placeholder="例：083-000-0000")
        self.operator_edit = _edit("operator", placeholder="例：NPO法人○○（指定管理者）")
        self.invoice_edit = _edit("invoice_number", placeholder=f"例：{INVOICE_EXAMPLE}")
        self.invoice_edit.setMaxLength(20)
        form.addRow("センター名", self.name_edit)
        form.addRow("愛称", self.nickname_edit)
        form.addRow("住所", self.address_edit)
        form.addRow("電話番号", self.phone_edit)
        form.addRow("運営団体", self.operator_edit)
        form.addRow(INVOICE_FIELD, self.invoice_edit)
        # Below the form, full width: a word-wrapped label in the field column wraps far too narrow.
        self.lay.addWidget(_label(f"{INVOICE_FIELD}はTと13桁の数字です（検査数字も確かめます）。{INVOICE_EMPTY_NOTE}",
                                  name="invoice_note", style=HINT_STYLE))
        self.add_error_label("centre_error")

    def fill(self, profile: CentreProfile, schedule: FeeSchedule, source: object) -> None:
        self.source = source
        self.name_edit.setText(profile.name)
        self.nickname_edit.setText(profile.nickname)
        self.address_edit.setText(profile.address)
        self.phone_edit.setText(profile.phone)
        self.operator_edit.setText(profile.operator or schedule.operator)
        self.invoice_edit.setText(schedule.invoice_number)

    def raw_fields(self) -> CentreFields:
        return CentreFields(self.name_edit.text(), self.nickname_edit.text(), self.address_edit.text(),
                            self.phone_edit.text(), self.operator_edit.text(), self.invoice_edit.text())

    def fields(self) -> CentreFields:
        return check_centre_fields(self.raw_fields())

    def check(self) -> None:
        self.fields()

    def focus_for(self, exc: ValidationError) -> None:
        {"name": self.name_edit, "invoice_number": self.invoice_edit}.get(exc.field or "", self.name_edit).setFocus()


class AdminPage(_FormPage):
    """システム管理者: the first account, which then creates the staff accounts."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("page_admin", "システム管理者",
                         "職員のアカウントを作成・管理する人のアカウントです。パスワードは忘れないように控えてください。",
                         parent)
        form = self.form
        self.name_edit = _edit("admin_name", placeholder="例：山田 花子")
        self.kana_edit = _edit("admin_kana", placeholder="任意（例：やまだ はなこ）")
        self.password_edit = _edit("admin_password", placeholder=f"{auth.MIN_PASSWORD_LENGTH}文字以上")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2_edit = _edit("admin_password2", placeholder="もう一度入力")
        self.password2_edit.setEchoMode(QLineEdit.EchoMode.Password)
        # PostgreSQL: the administrator's own database login (半角英小文字・数字・_).
        self.login_edit = _edit("admin_db_login", placeholder="例：yamada_h（半角英小文字・数字・_）")
        self.login_label = QLabel("ログイン名")
        form.addRow("名前", self.name_edit)
        form.addRow("ふりがな", self.kana_edit)
        form.addRow(self.login_label, self.login_edit)
        form.addRow("パスワード", self.password_edit)
        form.addRow("パスワード（確認）", self.password2_edit)
        self.postgres = False
        self.set_postgres(False)
        self.add_error_label("admin_error")

    def set_postgres(self, postgres: bool) -> None:
        """On a server the administrator also gets a database login (ログイン名) to sign in with."""
        self.postgres = postgres
        self.login_edit.setVisible(postgres)
        self.login_label.setVisible(postgres)

    def fields(self) -> AdminFields:
        return check_admin_fields(self.name_edit.text(), self.password_edit.text(), self.password2_edit.text(),
                                  self.kana_edit.text(),
                                  db_login=self.login_edit.text() if self.postgres else None)

    def check(self) -> None:
        self.fields()

    def focus_for(self, exc: ValidationError) -> None:
        if exc.field == "パスワード（確認）":
            self.password2_edit.clear()
        {"パスワード（確認）": self.password2_edit, "パスワード": self.password_edit,
         "ログイン名": self.login_edit}.get(exc.field or "", self.name_edit).setFocus()


class ConfirmPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page_confirm")
        self.setTitle("確認")
        self.setSubTitle("内容を確かめて［完了］を押してください。［戻る］で直せます。")
        lay = QVBoxLayout(self)
        self.summary = _label(name="summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        self.status_label = _label(name="status", style=HINT_STYLE)
        lay.addWidget(self.status_label)
        self.error_label = _label(name="finish_error", style=ERROR_STYLE)
        self.error_label.setVisible(False)
        lay.addWidget(self.error_label)
        lay.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wizard = self.wizard()
        if isinstance(wizard, FirstStartWizard):
            self.summary.setText(wizard.summary_html())
            self.status_label.setText(wizard.finish_note())
        self.error_label.setVisible(False)


class FirstStartWizard(QWizard):
    """The first start (初回起動ウィザード).

    ``db_url=None``: a truly first start (all five pages). With ``db_url``: that database is reached
    but has no administrator yet; only センター情報, システム管理者 and 確認.
    After 完了, ``result_url`` and ``actor`` (None when another terminal had set the database up).
    """

    def __init__(self, parent: QWidget | None = None, *, db_url: str | None = None):
        super().__init__(parent)
        self.setObjectName("first_start_wizard")
        self.setWindowTitle("ふくふくデスク — 初回設定")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, False)
        for which, text in ((QWizard.WizardButton.BackButton, "戻る"), (QWizard.WizardButton.NextButton, "次へ"),
                            (QWizard.WizardButton.FinishButton, "完了"),
                            (QWizard.WizardButton.CancelButton, "キャンセル")):
            self.setButtonText(which, text)
        self.fixed_url = config._normalise(db_url) if db_url else None
        self.result_url: str | None = None
        self.actor: Actor | None = None
        self._running = False
        self.database_page: DatabasePage | None = None
        if self.fixed_url is None:
            self.setPage(PAGE_WELCOME, WelcomePage(self))
            self.database_page = DatabasePage(self)
            self.setPage(PAGE_DATABASE, self.database_page)
        self.centre_page = CentrePage(self)
        self.admin_page = AdminPage(self)
        self.confirm_page = ConfirmPage(self)
        self.setPage(PAGE_CENTRE, self.centre_page)
        self.setPage(PAGE_ADMIN, self.admin_page)
        self.setPage(PAGE_CONFIRM, self.confirm_page)
        self.setStartId(PAGE_WELCOME if self.fixed_url is None else PAGE_CENTRE)
        if self.fixed_url is not None:
            self.centre_page.setSubTitle("このデータベースにはシステム管理者がまだいません。"
                                         "センター情報を確かめて、管理者を登録してください。")
        profile, schedule = initial_values(self.fixed_url)
        self.centre_page.fill(profile, schedule, self.fixed_url)
        self.currentIdChanged.connect(self._entered)
        logo = resources_dir() / "icons" / "fukufuku-desk.png"
        if logo.is_file():
            self.setPixmap(QWizard.WizardPixmap.LogoPixmap, QPixmap(str(logo)).scaledToHeight(
                48, Qt.TransformationMode.SmoothTransformation))
        # Fits a 1366×768 desk screen with the taskbar; the pages scale down to this.
        self.setMinimumSize(720, 560)
        self.resize(780, 600)
        # Esc or キャンセル after something was typed asks 「入力内容を破棄しますか？」 first (the fields as
        # filled in from the defaults are not 'typed').
        self._snapshot = InputSnapshot(self)

    # -- what was chosen
    def chosen_url(self) -> str:
        if self.fixed_url is not None:
            return self.fixed_url
        assert self.database_page is not None
        return self.database_page.chosen_url() or default_sqlite_url()

    def already_set_up(self) -> bool:
        return self.database_page is not None and self.database_page.already_set_up()

    def choice(self) -> FirstStartChoice:
        url = self.chosen_url()
        save = self.fixed_url is None and not is_default_sqlite(url)
        if self.already_set_up():
            return FirstStartChoice(url, save_connection=save, already_set_up=True)
        return FirstStartChoice(url, save_connection=save, centre=self.centre_page.fields(),
                                admin=self.admin_page.fields())

    def _entered(self, page_id: int) -> None:
        if page_id == PAGE_ADMIN:
            self.admin_page.set_postgres(config.is_postgres_url(self.chosen_url()))
        # Leaving データの保存場所 for a server set up halfway by another install: start from its profile.
        if page_id == PAGE_CENTRE and self.database_page is not None and self.database_page.use_postgresql():
            tested = self.database_page.tested
            if tested is not None and tested[3] is not None and self.centre_page.source != tested[0]:
                self.centre_page.fill(*tested[3], tested[0])

    def summary_html(self) -> str:
        e = html.escape
        url = self.chosen_url()
        u = target_of(url)
        if u.backend == "sqlite":
            where = f"このパソコン（SQLite）<br>{e(u.database)}"
        else:
            where = (f"センターのサーバー（PostgreSQL）<br>{e(u.host or 'localhost')}:{u.port or config.DEFAULT_PG_PORT}"
                     f" / {e(u.database)}（{e(u.sslmode)}、"
                     f"所有者 {e(u.username)}：パスワードは保存しません）")
        rows = [("データの保存場所", where)]
        if self.already_set_up():
            rows.append(("センター情報・管理者", "別の端末で設定済みです（変更しません）"))
        else:
            c = self.centre_page.raw_fields()
            invoice = normalise_invoice_number(c.invoice_number)
            rows += [("センター名", e(c.name.strip())), ("愛称", e(c.nickname.strip()) or "（なし）"),
                     ("住所", e(c.address.strip()) or "（なし）"), ("電話番号", e(c.phone.strip()) or "（なし）"),
                     ("運営団体", e(c.operator.strip()) or "（なし）"),
                     (INVOICE_FIELD, e(invoice) or "（空欄：領収書に登録番号を印刷しません）")]
            name, kana = self.admin_page.name_edit.text().strip(), self.admin_page.kana_edit.text().strip()
            rows.append(("システム管理者", e(name) + (f"（{e(kana)}）" if kana else "")))
            if self.admin_page.postgres:
                rows.append(("ログイン名", e(self.admin_page.login_edit.text().strip())))
        body = "".join(f"<tr><td style='padding:3px 16px 3px 0; color:#555; white-space:nowrap'>{k}</td>"
                       f"<td style='padding:3px 0'>{v}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    def finish_note(self) -> str:
        if config.is_postgres_url(self.chosen_url()) and self.fixed_url is None:
            if self.already_set_up():
                return "［完了］を押すと接続先（パスワードなし）をこのパソコンに保存し、ログイン画面を表示します。"
            return ("［完了］を押すと所有者としてデータベースを用意し、システム管理者とそのログインを作成します。"
                    "続くログイン画面で、そのログイン名とパスワードでログインしてください。")
        if self.already_set_up():
            return "［完了］を押すと接続先をこのパソコンに保存し、ログイン画面を表示します。"
        if self.fixed_url is None:
            return "［完了］を押すとデータベースを用意して設定を保存し、システム管理者としてふくふくデスクを開きます。"
        return "［完了］を押すと設定を保存し、システム管理者としてふくふくデスクを開きます。"

    # -- 完了
    def _set_busy(self, busy: bool) -> None:
        self._running = busy
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.FinishButton,
                      QWizard.WizardButton.CancelButton):
            button = self.button(which)
            if button is not None:
                button.setEnabled(not busy)
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        else:
            QApplication.restoreOverrideCursor()

    def accept(self) -> None:
        if self._running:
            return
        try:
            choice = self.choice()
        except ValidationError as exc:  # the pages check this already; a last guard
            self._show_failure(exc.message)
            return
        self.confirm_page.error_label.setVisible(False)
        self.confirm_page.status_label.setText("設定しています…（データベースの準備に数秒かかることがあります）")
        self._set_busy(True)
        collect_garbage_here()
        Op(self, lambda: apply_first_start(choice)).success(self._applied).failure(self._apply_failed) \
            .run_in_background()

    def _applied(self, result: tuple[str, Actor | None]) -> None:
        self._set_busy(False)
        self.result_url, self.actor = result
        if self.actor is not None:
            QSettings().setValue(LAST_STAFF_KEY, self.actor.id)
        super().accept()

    def _apply_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, DomainError):
            log.error("first start failed", exc_info=exc)
        self._show_failure(failure_message(exc))

    def _show_failure(self, message: str) -> None:
        self.confirm_page.status_label.setText(self.finish_note())
        self.confirm_page.error_label.setText(message)
        self.confirm_page.error_label.setVisible(True)

    def reject(self) -> None:
        if self._running:  # the database work cannot be interrupted halfway
            return
        if not may_discard(self, prompts.shared(), self._snapshot):
            return
        super().reject()

    @classmethod
    def get(cls, parent: QWidget | None = None, *, db_url: str | None = None) -> tuple[str, Actor | None] | None:
        """Run the wizard; (database URL, new administrator or None) after 完了, None when cancelled."""
        wizard = cls(parent, db_url=db_url)
        if wizard.exec() != QWizard.DialogCode.Accepted or wizard.result_url is None:
            return None
        return wizard.result_url, wizard.actor


__all__ = ["FirstStartWizard", "FirstStartChoice", "CentreFields", "AdminFields", "apply_first_start",
           "is_first_start", "database_state", "initial_values", "check_centre_fields", "check_admin_fields"]
