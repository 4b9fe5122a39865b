"""Bad input (不正な入力), second part: accounts, login, connection, first start, and the small dialogs.

Same rule as ``test_bad_input_dialogs.py`` (whose harness this file reuses): hypothesis types
malformed values into a dialog like a person, presses its button, and then either

* the input was saved: no error shown, every stored value keeps the schema's promises; or
* it was refused: a Japanese message naming the field (in the dialog's red line or in an error
  box), the dialog still open where the dialog itself checks, and the database byte-for-byte
  unchanged (the connection setting: no file written).

No exception may escape a Qt slot. The login dialog additionally must never count a failure that
the rules do not count (empty password, attempts during a lock) nor touch anyone else's account.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWizard
from sqlalchemy import select
from sqlalchemy.engine import make_url

from booking_app import clock
from booking_app import config
from booking_app.domain.errors import DomainError
from booking_app.services import auth
from booking_app.services import bookings as booking_svc
from booking_app.services import insurance as ins
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Room, Staff
from booking_app.ui.context import AppContext
from days import open_day
from fingerprint import db_fingerprint, fingerprint_diff, stored_value_problems
from test_bad_input_dialogs import (  # noqa: F401 - fixtures are used by name
    BAD,
    JAPANESE,
    fresh,
    isolated_settings,
    judge,
    long,
    number_values,
    press,
    put_text,
    registered_club,
    shown,
    text_values,
    type_number,
)
from test_login import PASSWORD, set_passwords

#: what is typed as a password: the nasty classics, any text, or something that passes the rules
password_values = st.one_of(text_values, st.just(PASSWORD), st.just("fukufuku-2026"))


# ----------------------------------------------------------------------------- harness


def answer_modal(qtbot, cls, fn) -> list:
    """Run fn(dialog) once a modal dialog of type cls is open; the list gets True when it ran."""
    ran: list = []

    def act() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, cls):
            QTimer.singleShot(10, act)
            return
        ran.append(True)
        fn(dlg)

    QTimer.singleShot(0, act)
    return ran


def judge_inline(message: str, engine, before, labels: tuple[str, ...]) -> None:
    """Refused by the dialog's own red line: Japanese, names a field, database unchanged."""
    assert message, "refused without telling the user why"
    assert JAPANESE.search(message), message
    assert any(label in message for label in labels), f"the message names no field: {message!r}"
    if engine is not None:
        after = db_fingerprint(engine)
        assert after == before, f"refused but changed {fingerprint_diff(before, after)}"


def admin_of(engine) -> Actor:
    with read_session(engine) as s:
        st_ = s.scalars(select(Staff).where(Staff.role == "admin")).first()
        return Actor(st_.id, st_.name, st_.role)


@pytest.fixture
def with_passwords(engine):
    """The default staff can log in (one hash for all: scrypt is deliberately slow)."""
    set_passwords(engine)
    return engine


ACCOUNT_LABELS = ("名前", "氏名", "ふりがな", "パスワード", "権限")


def _account_dialog_round(qtbot, page, button, fill) -> tuple[list, list[str]]:
    """Open one of the account dialogs by its button, let fill() type, press OK; a dialog that
    stays open records its red line and is cancelled (as a person would give up)."""
    from booking_app.ui.admin.accounts_page import _FormDialog

    refused: list[str] = []

    def act(dlg) -> None:
        fill(dlg)
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
        if dlg.isVisible():
            refused.append(dlg.error_label.text())
            dlg.reject()

    ran = answer_modal(qtbot, _FormDialog, act)
    exceptions = press(qtbot, button)
    assert ran, "the dialog never opened"
    return exceptions, refused


def _accounts_page(qtbot, fresh_, role="admin"):
    from booking_app.ui.admin.accounts_page import AccountsPage

    engine, _ctx = fresh_()
    ctx = AppContext(engine, admin_of(engine))
    page = AccountsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    return engine, page


# ----------------------------------------------------------------------------- 職員アカウント


@pytest.mark.answers_modals
@BAD
@given(name=text_values, kana=text_values, pw=password_values, pw2=st.sampled_from(["same", "other"]))
@example(name="LONG_ASCII", kana="", pw=PASSWORD, pw2="same")
@example(name="林\x00由美", kana="", pw=PASSWORD, pw2="same")
@example(name="林 由美", kana="LONG_KANA", pw=PASSWORD, pw2="same")
@example(name="林 由美", kana="はやし\x00", pw=PASSWORD, pw2="same")
@example(name="センター長", kana="", pw=PASSWORD, pw2="same")
def test_account_add(qtbot, with_passwords, fresh, shown, name, kana, pw, pw2):
    engine, page = _accounts_page(qtbot, fresh)
    shown.clear()
    password = long(pw)

    def fill(dlg) -> None:
        put_text(dlg.name, name)
        put_text(dlg.kana, kana)
        put_text(dlg.password, password)
        put_text(dlg.password2, password if pw2 == "same" else password + "x")

    before = db_fingerprint(engine)
    exceptions, refused = _account_dialog_round(qtbot, page, page.add_button, fill)
    if refused:
        assert not exceptions and not shown
        judge_inline(refused[0], engine, before, ACCOUNT_LABELS)
        return
    saved = not shown and db_fingerprint(engine) != before
    judge(exceptions, shown, engine, before, saved=saved, labels=ACCOUNT_LABELS)


@pytest.mark.answers_modals
@BAD
@given(name=text_values, kana=text_values, active=st.booleans(), who=st.sampled_from(["受付スタッフ", "システム管理者"]))
@example(name="LONG_KANA", kana="", active=True, who="受付スタッフ")
@example(name="受付\x00", kana="", active=True, who="受付スタッフ")
@example(name="受付スタッフ", kana="LONG_ASCII", active=True, who="受付スタッフ")
@example(name="センター長", kana="", active=True, who="受付スタッフ")
@example(name="管理", kana="", active=False, who="システム管理者")
def test_account_edit(qtbot, with_passwords, fresh, shown, name, kana, active, who):
    engine, page = _accounts_page(qtbot, fresh)
    shown.clear()
    assert page.select_id(next(page.model.row(r).id for r in range(page.model.rowCount())
                               if page.model.row(r).name == who))

    def fill(dlg) -> None:
        put_text(dlg.name, name)
        put_text(dlg.kana, kana)
        dlg.active.setChecked(active)

    before = db_fingerprint(engine)
    exceptions, refused = _account_dialog_round(qtbot, page, page.edit_button, fill)
    if refused:
        assert not exceptions and not shown
        judge_inline(refused[0], engine, before, ACCOUNT_LABELS)
        return
    changed = db_fingerprint(engine) != before
    judge(exceptions, shown, engine, before, saved=not shown, labels=ACCOUNT_LABELS + ("システム管理者",))
    if not shown and not changed:
        # Nothing to change is fine only when the typed values are what was there already.
        assert name.strip() == who or not name.strip()


@pytest.mark.answers_modals
@BAD
@given(pw=password_values, same=st.booleans())
@example(pw="LONG_ASCII", same=True)
@example(pw=" " * 9, same=True)
@example(pw="a\x00bcdefgh", same=True)
def test_account_reset_password(qtbot, with_passwords, fresh, shown, pw, same):
    engine, page = _accounts_page(qtbot, fresh)
    shown.clear()
    page.select_id(next(page.model.row(r).id for r in range(page.model.rowCount())
                        if page.model.row(r).name == "受付スタッフ"))
    password = long(pw)

    typed: list[str] = []

    def fill(dlg) -> None:
        put_text(dlg.password, password)
        put_text(dlg.password2, password if same else password + "x")
        typed.append(dlg.password.text())  # control characters never reach a line edit

    before = db_fingerprint(engine)
    exceptions, refused = _account_dialog_round(qtbot, page, page.reset_button, fill)
    if refused:
        assert not exceptions and not shown
        judge_inline(refused[0], engine, before, ACCOUNT_LABELS)
        return
    judge(exceptions, shown, engine, before, saved=not shown, labels=ACCOUNT_LABELS)
    if not shown:
        desk_id = page.selected().id
        assert auth.attempt_login(engine, desk_id, typed[0]).name == "受付スタッフ"


@BAD
@given(old=password_values, new=password_values, same=st.booleans())
@example(old=PASSWORD, new="LONG_KANA", same=True)
@example(old=PASSWORD, new=PASSWORD, same=True)
@example(old="LONG_ASCII", new="fukufuku-2026", same=True)
@example(old=PASSWORD, new="fukufuku-2026", same=True)
def test_change_own_password(qtbot, with_passwords, fresh, shown, old, new, same):
    from booking_app.ui.admin.accounts_page import ChangePasswordDialog

    engine, _ctx = fresh()
    ctx = AppContext(engine, admin_of(engine))
    shown.clear()
    dlg = ChangePasswordDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    new_pw = long(new)
    put_text(dlg.old, long(old))
    put_text(dlg.password, new_pw)
    put_text(dlg.password2, new_pw if same else new_pw + "x")
    before = db_fingerprint(engine)
    exceptions = press(qtbot, dlg.ok_button)
    assert not exceptions and not shown
    if dlg.result() == QDialog.DialogCode.Accepted:
        assert stored_value_problems(engine) == []
        assert auth.attempt_login(engine, ctx.actor.id, dlg.password.text()).id == ctx.actor.id
        return
    assert dlg.isVisible()
    judge_inline(dlg.error_label.text(), engine, before, ACCOUNT_LABELS + ("現在のパスワード",))


# ----------------------------------------------------------------------------- ログイン


@BAD
@given(attempts=st.lists(password_values, min_size=1, max_size=7))
@example(attempts=["", " ", "\x00", "LONG_ASCII", "😀👨‍👩‍👧", "'; DROP TABLE staff; --", PASSWORD])
@example(attempts=["wrong-1", "wrong-2", "wrong-3", "wrong-4", "wrong-5", PASSWORD, "wrong-6"])
def test_login_dialog(qtbot, with_passwords, fresh, shown, attempts):
    from booking_app.ui.access.login_dialog import LoginDialog

    engine, _ctx = fresh()
    with read_session(engine) as s:
        desk_id = s.scalars(select(Staff.id).where(Staff.role == "desk")).one()
        others_before = [(r.id, r.failed_logins, r.locked_until) for r in s.scalars(
            select(Staff).where(Staff.id != desk_id).order_by(Staff.id))]
    dlg = LoginDialog(engine, current_id=desk_id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.selected_id() == desk_id
    counted = 0  # wrong passwords the rules count: non-empty, not during a lock, before a success
    for raw in attempts:
        put_text(dlg.password, long(raw))
        pw = dlg.password.text()  # what reached the field (control characters never do)
        with qtbot.captureExceptions() as exceptions:
            qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
        assert not exceptions, exceptions
        if dlg.result() == QDialog.DialogCode.Accepted:
            assert pw == PASSWORD and counted < auth.MAX_FAILED_LOGINS
            assert dlg.actor is not None and dlg.actor.id == desk_id
            counted = 0
            break
        message = dlg.error_label.text()
        assert dlg.isVisible() and JAPANESE.search(message), message
        assert "パスワード" in message or "ロック" in message, message
        assert dlg.password.text() == "" or not pw  # cleared for the next try
        if pw and counted < auth.MAX_FAILED_LOGINS:
            counted += 1
    with read_session(engine) as s:
        desk = s.get(Staff, desk_id)
        assert desk.failed_logins == counted, (attempts, desk.failed_logins)
        assert (desk.locked_until is not None) == (counted >= auth.MAX_FAILED_LOGINS)
        others_after = [(r.id, r.failed_logins, r.locked_until) for r in s.scalars(
            select(Staff).where(Staff.id != desk_id).order_by(Staff.id))]
    assert others_after == others_before, "another account was touched"
    assert shown == []


@BAD
@given(name=text_values, kana=text_values, pw=password_values, same=st.booleans())
@example(name="LONG_ASCII", kana="", pw=PASSWORD, same=True)
@example(name="山田\x00花子", kana="", pw=PASSWORD, same=True)
@example(name="山田 花子", kana="LONG_KANA", pw=PASSWORD, same=True)
@example(name="山田 花子", kana="やまだ\x00", pw=PASSWORD, same=True)
@example(name="センター長", kana="", pw=PASSWORD, same=True)
def test_first_admin_dialog(qtbot, fresh, shown, name, kana, pw, same):
    from booking_app.ui.access.login_dialog import FirstAdminDialog

    engine, _ctx = fresh()
    shown.clear()
    dlg = FirstAdminDialog(engine)
    qtbot.addWidget(dlg)
    dlg.show()
    password = long(pw)
    put_text(dlg.name, name)
    put_text(dlg.kana, kana)
    put_text(dlg.password, password)
    put_text(dlg.password2, password if same else password + "x")
    before = db_fingerprint(engine)
    exceptions = press(qtbot, dlg.ok_button)
    assert not exceptions and not shown
    if dlg.result() == QDialog.DialogCode.Accepted:
        assert stored_value_problems(engine) == []
        assert auth.attempt_login(engine, dlg.actor.id, dlg.password.text()).is_admin
        return
    assert dlg.isVisible()
    judge_inline(dlg.error_label.text(), engine, before, ACCOUNT_LABELS + ("システム管理者",))


# ----------------------------------------------------------------------------- 接続設定

CONNECTION_LABELS = ("ホスト名", "ポート", "データベース名", "ユーザー名", "パスワード", "ファイル")


@pytest.fixture
def no_network(monkeypatch):
    """接続テスト never leaves the machine: psycopg.connect answers like an unknown host at once."""
    import psycopg

    calls: list[dict] = []

    def refuse(*_a, **kw):
        calls.append(kw)
        raise psycopg.OperationalError(f'failed to resolve host "{kw.get("host")}": Name or service not known')

    monkeypatch.setattr(psycopg, "connect", refuse)
    return calls


@BAD
@given(host=text_values, port=number_values, database=text_values, user=text_values, password=text_values)
@example(host="server pc", port="5432", database="fukufuku", user="fukufuku", password="")
@example(host="user@evil:1/x", port="5432", database="fukufuku", user="fukufuku", password="")
@example(host="server-pc", port="5432", database="fuku/fuku?x=1", user="fukufuku", password="")
@example(host="server-pc", port="5432", database="fukufuku", user="fuku@fuku:x", password="p@ss:/?#")
@example(host="server\x00pc", port="5432", database="fukufuku", user="fukufuku", password="")
@example(host="LONG_ASCII", port="5432", database="fukufuku", user="fukufuku", password="")
@example(host="[::1", port="5432", database="fukufuku", user="fukufuku", password="")
@example(host="192.168.1.10", port="99999999999", database="fukufuku", user="fukufuku", password="")
def test_connection_dialog(qtbot, no_network, host, port, database, user, password):
    from booking_app.ui.access.connection_dialog import ConnectionDialog

    config.save_connection(None)
    dlg = ConnectionDialog(None)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.pg_radio.setChecked(True)
    put_text(dlg.host_edit, host)
    type_number(qtbot, dlg.port_spin, port)
    put_text(dlg.db_edit, database)
    put_text(dlg.user_edit, user)
    put_text(dlg.password_edit, password)
    # 接続テスト: a sentence in Japanese, never an escaped exception.
    exceptions = press(qtbot, dlg.test_button)
    assert not exceptions, exceptions
    assert JAPANESE.search(dlg.result_label.text()), dlg.result_label.text()
    # 保存: either a setting that reads back as exactly what was typed, or a refusal naming the field.
    exceptions = press(qtbot, dlg.save_button)
    assert not exceptions, exceptions
    path = config.connection_file()
    if dlg.result() == QDialog.DialogCode.Accepted:
        saved = json.loads(path.read_text(encoding="utf-8"))["url"]
        u = make_url(saved)
        assert u.get_backend_name() == "postgresql"
        assert (u.host, u.port, u.database, u.username, u.password or "") == (
            dlg.host_edit.text().strip(), dlg.port_spin.value(), dlg.db_edit.text().strip(),
            dlg.user_edit.text().strip(), dlg.password_edit.text()), saved
        assert config.resolve_db_url(None)[0] == saved
        config.save_connection(None)
        return
    assert dlg.isVisible() and not path.exists()
    message = dlg.result_label.text()
    assert JAPANESE.search(message) and any(label in message for label in CONNECTION_LABELS), message


@BAD
@given(path=text_values)
@example(path="a\x00b.sqlite3")
@example(path="/no/such/folder/x.sqlite3")
def test_connection_dialog_sqlite_file(qtbot, tmp_path, path):
    from booking_app.ui.access.connection_dialog import ConnectionDialog

    config.save_connection(None)
    dlg = ConnectionDialog(None)
    qtbot.addWidget(dlg)
    dlg.show()
    put_text(dlg.path_edit, path)
    exceptions = press(qtbot, dlg.test_button)
    assert not exceptions, exceptions
    assert JAPANESE.search(dlg.result_label.text()), dlg.result_label.text()
    exceptions = press(qtbot, dlg.save_button)
    assert not exceptions, exceptions
    if dlg.result() == QDialog.DialogCode.Accepted:
        assert config.resolve_db_url(None)[0] == dlg.url
        config.save_connection(None)
        return
    assert not config.connection_file().exists()
    assert JAPANESE.search(dlg.result_label.text()) and "ファイル" in dlg.result_label.text()


# ----------------------------------------------------------------------------- 初回起動ウィザード

CENTRE_LABELS = ("センター名", "愛称", "住所", "電話", "運営団体", "登録番号", "名前", "氏名", "ふりがな",
                 "パスワード", "システム管理者")


@BAD
@given(name=text_values, address=text_values, phone=text_values, operator=text_values, invoice=text_values,
       admin=text_values, pw=password_values)
@example(name="しものせき市民活動センター", address="", phone="", operator="", invoice="T1234567890123",
         admin="山田", pw=PASSWORD)
@example(name="LONG_KANA", address="LONG_ASCII", phone="0" * 100, operator="LONG_KANA", invoice="",
         admin="山田", pw=PASSWORD)
@example(name="センター\x00", address="", phone="", operator="NPO\x00", invoice="", admin="山田", pw=PASSWORD)
@example(name="センター", address="", phone="", operator="", invoice="", admin="LONG_ASCII", pw=PASSWORD)
@example(name="センター", address="", phone="", operator="", invoice="", admin="山田\x00", pw=PASSWORD)
def test_first_start_wizard(qtbot, engine, fresh, name, address, phone, operator, invoice, admin, pw):
    from booking_app.ui.access.first_start import FirstStartWizard

    db, _ctx = fresh()
    url = db.url.render_as_string(hide_password=False)
    db.dispose()
    before = db_fingerprint(db)
    wizard = FirstStartWizard(db_url=url)
    qtbot.addWidget(wizard)
    wizard.show()
    c = wizard.centre_page
    put_text(c.name_edit, name)
    put_text(c.address_edit, address)
    put_text(c.phone_edit, phone)
    put_text(c.operator_edit, operator)
    put_text(c.invoice_edit, invoice)
    centre_id = wizard.currentId()
    exceptions = press(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert not exceptions, exceptions
    if wizard.currentId() == centre_id:
        judge_inline(c.error_label.text(), db, before, CENTRE_LABELS)
        return
    a = wizard.admin_page
    password = long(pw)
    put_text(a.name_edit, admin)
    put_text(a.password_edit, password)
    put_text(a.password2_edit, password)
    admin_id = wizard.currentId()
    exceptions = press(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert not exceptions, exceptions
    if wizard.currentId() == admin_id:
        judge_inline(a.error_label.text(), db, before, CENTRE_LABELS)
        return
    with qtbot.captureExceptions() as exceptions:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wizard.result_url is not None or wizard.confirm_page.error_label.isVisible(),
                        timeout=20_000)
    assert not exceptions, exceptions
    if wizard.result_url is not None:
        assert stored_value_problems(db) == []
        assert auth.attempt_login(db, wizard.actor.id, a.password_edit.text()).is_admin
        db.dispose()
        return
    assert wizard.isVisible()
    judge_inline(wizard.confirm_page.error_label.text(), db, before, CENTRE_LABELS)
    db.dispose()


# ----------------------------------------------------------------------------- 団体の停止・抹消・解除


@pytest.fixture
def with_club(engine):
    registered_club(engine)
    return engine


@BAD
@given(reason=text_values, choice=st.integers(0, 2))
@example(reason="LONG_KANA", choice=0)
@example(reason="会費未納\x00", choice=0)
@example(reason="\u3000\u3000", choice=1)
def test_group_status_dialog(qtbot, with_club, fresh, shown, reason, choice):
    from booking_app.ui.groups.group_dialog import StatusChangeDialog

    engine, ctx = fresh("manager")
    shown.clear()
    with read_session(engine) as s:
        from booking_app.store.models import MemberGroup

        g = s.scalars(select(MemberGroup)).one()
        gid, title, status = g.id, g.name, g.status
    dlg = StatusChangeDialog(ctx, gid, title, status)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.status_combo.setCurrentIndex(choice)
    put_text(dlg.reason_edit, reason)
    before = db_fingerprint(engine)
    exceptions = press(qtbot, dlg.ok_button)
    saved = dlg.result() == QDialog.DialogCode.Accepted
    judge(exceptions, shown, engine, before, saved=saved, labels=("理由", "状態", "団体"),
          still_open=None if saved else dlg)


# ----------------------------------------------------------------------------- 名簿：人を追加・外す

ROSTER = "山田 太郎\tヤマダ タロウ\n佐藤 花子\tサトウ ハナコ\n"


@pytest.fixture
def with_enrolment(engine):
    registered_club(engine)
    from booking_app.store.models import MemberGroup

    desk = Actor(*next(iter(_staff_rows(engine, "desk"))))
    today = clock.today()
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id)).one()
    with write_session(engine) as s:
        # Cover starts the day after applying: on 31 March that is next year's plan (issue 12's sweep).
        fy = ins.jcal.fiscal_year(today + timedelta(days=1))
        plan = next(p for p in ins.plans_for_year(s, fy, actor=desk)
                    if p.plan.roster == "required")
        return ins.enrol_group(s, desk, plan_id=plan.id, group_id=gid, people=ins.parse_roster_text(ROSTER),
                               applied_on=today).id


def _staff_rows(engine, role):
    with read_session(engine) as s:
        return [(r.id, r.name, r.role) for r in s.scalars(select(Staff).where(Staff.role == role))]


@BAD
@given(name=text_values, kana=text_values)
@example(name="LONG_KANA", kana="")
@example(name="鈴木\x00一郎", kana="スズキ")
@example(name="鈴木 一郎", kana="LONG_ASCII")
def test_add_people_dialog(qtbot, with_enrolment, fresh, shown, name, kana):
    from booking_app.ui.insurance.enrol_dialog import AddPeopleDialog

    engine, ctx = fresh()
    shown.clear()
    view = ctx.read(lambda s: ins.get_enrolment(s, with_enrolment))
    dlg = AddPeopleDialog(ctx, view)
    qtbot.addWidget(dlg)
    dlg.show()
    # What the table's cell editors commit when staff type a new row.
    model = dlg.roster.model
    model.setData(model.index(model.rowCount() - 1, 0), long(name), Qt.ItemDataRole.EditRole)
    model.setData(model.index(model.rowCount() - 1, 1), long(kana), Qt.ItemDataRole.EditRole)
    before = db_fingerprint(engine)
    exceptions = press(qtbot, dlg.save_button)
    saved = dlg.result() == QDialog.DialogCode.Accepted
    judge(exceptions, shown, engine, before, saved=saved, labels=("氏名", "フリガナ", "ふりがな", "名簿", "人"),
          still_open=None if saved else dlg)


@BAD
@given(reason=text_values)
@example(reason="LONG_KANA")
@example(reason="退会\x00")
def test_remove_person_dialog(qtbot, with_enrolment, fresh, shown, reason):
    from booking_app.ui.insurance.enrol_dialog import RemovePersonDialog

    engine, ctx = fresh()
    shown.clear()
    view = ctx.read(lambda s: ins.get_enrolment(s, with_enrolment))
    dlg = RemovePersonDialog(ctx, view)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.list.setCurrentRow(0)
    put_text(dlg.reason_edit, reason)
    before = db_fingerprint(engine)
    exceptions = press(qtbot, dlg.save_button)
    saved = dlg.result() == QDialog.DialogCode.Accepted
    judge(exceptions, shown, engine, before, saved=saved, labels=("理由", "名簿", "人"),
          still_open=None if saved else dlg)


# ----------------------------------------------------------------------------- 予約の取消（理由）


@pytest.fixture
def with_booking(engine):
    day = open_day(after=8)
    start = datetime.combine(day, time(9))
    manager = Actor(*_staff_rows(engine, "manager")[0])
    with read_session(engine) as s:
        room_id = s.scalars(select(Room).where(Room.name == "大会議室")).one().id
    with write_session(engine) as s:
        return booking_svc.create_booking(
            s, manager, booking_svc.BookingInput(start=start, end=start + timedelta(hours=3), room_id=room_id,
                                                 booker_kind="group", booker_name="下関写真クラブ",
                                                 purpose="打合せ", attendees=12, override_reason="テスト用")).id


@BAD
@given(reason=text_values)
@example(reason="LONG_KANA")
@example(reason="雨天中止\x00")
def test_booking_cancel_reason(qtbot, with_booking, fresh, shown, prompts, reason):
    from booking_app.ui.booking import booking_dialog as bd

    engine, ctx = fresh()
    shown.clear()
    prompts.clear()
    # What the person types into the reason box (the recorder hands it back as the real box does:
    # stripped, without control characters); a fee or notice question is answered with 戻る.
    prompts.text_default = long(reason)
    asked = prompts.shown("ask_text")
    dlg = bd.BookingDialog(ctx, booking_id=with_booking)
    qtbot.addWidget(dlg)
    dlg.show()
    button = dlg.cancel_booking_button
    before = db_fingerprint(engine)
    exceptions = press(qtbot, button)
    assert asked, "the reason was never asked"
    changed = db_fingerprint(engine) != before
    judge(exceptions, shown, engine, before, saved=changed and not shown, labels=("理由", "取消"))


# ----------------------------------------------------------------------------- 行事・未精算（統計）


@pytest.mark.answers_modals
@BAD
@given(name=text_values, note=text_values, attendance=number_values)
@example(name="LONG_KANA", note="", attendance="10")
@example(name="講座\x00", note="", attendance="10")
@example(name="講座", note="備考\x00", attendance="10")
@example(name="講座", note="LONG_KANA", attendance="99999999999")
def test_event_dialog(qtbot, fresh, shown, name, note, attendance):
    from booking_app.ui.stats.dialogs import EventDialog
    from booking_app.ui.stats.stats_page import StatsPage

    engine, ctx = fresh("manager")
    shown.clear()
    page = StatsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_tab("events")
    refused: list[str] = []

    def fill(dlg) -> None:
        put_text(dlg.name_edit, name)
        dlg.note_edit.setPlainText(long(note))
        type_number(qtbot, dlg.attendance_spin, attendance)
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
        if dlg.isVisible():
            refused.append(dlg.error_label.text())
            dlg.reject()

    ran = answer_modal(qtbot, EventDialog, fill)
    before = db_fingerprint(engine)
    exceptions = press(qtbot, page.add_event_button)
    assert ran
    if refused:
        assert not exceptions and not shown
        judge_inline(refused[0], engine, before, ("行事名", "参加者数", "備考", "日付"))
        return
    saved = not shown and db_fingerprint(engine) != before
    judge(exceptions, shown, engine, before, saved=saved, labels=("行事名", "参加者数", "備考", "日付", "部屋"))


@pytest.fixture
def unsettled_october(engine):
    """A booking on 14 October 2026 never checked out: October cannot be closed without a reason."""
    day = date(2026, 10, 14)
    manager = Actor(*_staff_rows(engine, "manager")[0])
    with read_session(engine) as s:
        room_id = s.scalars(select(Room).where(Room.name == "大会議室")).one().id
    with write_session(engine) as s:
        booking_svc.create_booking(s, manager, booking_svc.BookingInput(
            start=datetime.combine(day, time(9)), end=datetime.combine(day, time(12)), room_id=room_id,
            booker_kind="group", booker_name="関門ウォーキングの会", purpose="例会", attendees=5),
            now=datetime.combine(day, time(8)))
    return engine


@pytest.mark.answers_modals
@pytest.mark.now("2026-11-25 10:00")  # closes October 2026: the page must be showing fiscal year 2026
@BAD
@given(reason=text_values)
@example(reason="LONG_KANA")
@example(reason="確認中\x00")
def test_unsettled_force_close(qtbot, unsettled_october, fresh, shown, monkeypatch, reason):
    from booking_app.ui.stats.dialogs import UnsettledDialog
    from booking_app.ui.stats.stats_page import StatsPage

    # 「締めますか」: the prompts recorder answers yes (its default); notices are recorded, never shown.
    engine, ctx = fresh("manager")
    shown.clear()
    page = StatsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_tab("months")
    row = next(i for i, m in enumerate(page.months_model.rows()) if (m.year, m.month) == (2026, 10))
    page.months_view.selectRow(row)
    stayed: list[str] = []

    def fill(dlg) -> None:
        put_text(dlg.reason_edit, reason)
        qtbot.mouseClick(dlg.force_button, Qt.MouseButton.LeftButton)
        if dlg.isVisible():  # a blank reason: the button does nothing, as designed
            stayed.append(dlg.reason_edit.text())
            dlg.reject()

    ran = answer_modal(qtbot, UnsettledDialog, fill)
    before = db_fingerprint(engine)
    exceptions = press(qtbot, page.close_button)
    assert ran, "the unsettled bookings were not listed"
    if stayed:
        assert not exceptions and not shown and not stayed[0].strip()
        assert db_fingerprint(engine) == before
        return
    saved = not shown and db_fingerprint(engine) != before
    judge(exceptions, shown, engine, before, saved=saved, labels=("理由", "締め", "未精算"))


# ----------------------------------------------------------------------------- 操作履歴（期間・キーワード）


@BAD
@given(since=st.integers(-800, 800), until=st.integers(-800, 800), keyword=text_values)
@example(since=5, until=-5, keyword="")
@example(since=0, until=0, keyword="%_\\")
@example(since=0, until=0, keyword="LONG_ASCII")
def test_audit_page_filters(qtbot, fresh, shown, since, until, keyword):
    from booking_app.ui.admin.audit_page import AuditPage
    from booking_app.ui.dates import to_qdate

    engine, ctx = fresh("manager")
    shown.clear()
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.show()
    today = clock.today()
    page.since_edit.setDate(to_qdate(today + timedelta(days=since)))
    page.until_edit.setDate(to_qdate(today + timedelta(days=until)))
    put_text(page.text_edit, keyword)
    shown.clear()
    before = db_fingerprint(engine)
    exceptions = press(qtbot, page.search_button)
    assert not exceptions, exceptions
    assert db_fingerprint(engine) == before
    if since > until:
        assert shown, "an impossible period was searched without a word"
        exc = shown[-1]
        assert isinstance(exc, DomainError) and JAPANESE.search(exc.message) and "期間" in exc.message, exc
    else:
        assert shown == []


# ----------------------------------------------------------------------------- 初回起動：サーバーの指定

SERVER_SMALL = BAD.__class__(parent=BAD, max_examples=6)


@SERVER_SMALL
@given(host=text_values, database=text_values, user=text_values)
@example(host="user@evil:1/x", database="fukufuku", user="fukufuku")
@example(host="server pc", database="fukufuku", user="fukufuku")
@example(host="server-pc", database="fuku\x00", user="fukufuku")
def test_first_start_server_fields(qtbot, no_network, host, database, user):
    from booking_app.ui.access.first_start import PAGE_DATABASE, FirstStartWizard

    no_network.clear()
    config.save_connection(None)
    wizard = FirstStartWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    while wizard.currentId() != PAGE_DATABASE:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    page = wizard.database_page
    page.pg_radio.setChecked(True)
    put_text(page.host_edit, host)
    put_text(page.db_edit, database)
    put_text(page.user_edit, user)
    with qtbot.captureExceptions() as exceptions:
        with qtbot.waitSignal(page.testFinished, timeout=10_000) as finished:
            qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=10_000)
    assert not exceptions, exceptions
    assert finished.args == [False]  # nothing answers: never a usable server
    message = page.result_label.text()
    assert JAPANESE.search(message), message
    if no_network:  # it got as far as asking the server: the URL said exactly what was typed
        sent = no_network[-1]
        assert (sent["host"], sent["dbname"], sent.get("user")) == (
            page.host_edit.text().strip(), page.db_edit.text().strip(), page.user_edit.text().strip())
    else:
        assert any(label in message for label in CONNECTION_LABELS), message
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not config.connection_file().exists() and not config.default_db_path().exists()
