"""The first start as a use case (初回起動): which state a database is in, what the centre page starts with,
and :func:`apply_first_start`, the work of the wizard's 完了 (migrate, the first administrator and its database
login, the centre profile and the receipt issuer in one transaction, then this terminal's connection).

The wizard (``booking_app/ui/access/first_start.py``) collects the fields and calls these; it names no store module
(the ``ui-no-sql`` contract in ``.importlinter``). Nothing here imports Qt, so the command line can ask
:func:`is_first_start` without loading the widgets.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from booking_app import config
from booking_app.domain.errors import ValidationError
from booking_app.domain.fees import FeeSchedule, load_default_fees, normalise_invoice_number, valid_invoice_number
from booking_app.domain.profile import CentreProfile, load_default_profile
from booking_app.services import auth, centre, fees
from booking_app.services.common import Actor
from booking_app.services.connection import Target, target_of
from booking_app.store.db_roles import create_login, valid_login_name
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.migrate import current_revision, known_revisions, safe_upgrade

log = logging.getLogger(__name__)

# The same words and example as the 料金 settings tab (ui/settings/fee_settings.py), kept here so the wizard
# does not pull the whole settings screen in at start.
INVOICE_FIELD = "適格請求書発行事業者登録番号"
INVOICE_EXAMPLE = "T8000000000001"  # a made-up number whose check digit is right
INVOICE_EMPTY_NOTE = "空欄のままにすると、領収書に登録番号は印刷されません（あとで［設定］→［料金］で入力できます）。"

# What a test of the chosen database found.
EMPTY, NEEDS_ADMIN, READY, NEWER = "empty", "needs_admin", "ready", "newer"



@dataclass(frozen=True)
class CentreFields:
    """What the センター情報 page collects (the invoice number goes to the fee schedule's issuer)."""

    name: str
    nickname: str = ""
    address: str = ""
    phone: str = ""
    operator: str = ""
    invoice_number: str = ""


@dataclass(frozen=True)
class AdminFields:
    name: str
    password: str
    kana: str = ""
    db_login: str = ""  # PostgreSQL: the administrator's own database login


@dataclass(frozen=True)
class FirstStartChoice:
    """Everything the wizard collected; the input of :func:`apply_first_start`.

    ``already_set_up``: another terminal set the (PostgreSQL) database up; only the connection is saved.
    """

    db_url: str
    save_connection: bool = False
    already_set_up: bool = False
    centre: CentreFields | None = None
    admin: AdminFields | None = None


def check_centre_fields(fields: CentreFields) -> CentreFields:
    """Trimmed, with the invoice number folded; ValidationError (Japanese, naming the field) otherwise."""
    name = fields.name.strip()
    if not name:
        raise ValidationError("センター名を入力してください。", field="name")
    raw_invoice = fields.invoice_number.strip()
    invoice = normalise_invoice_number(raw_invoice)
    if invoice and not valid_invoice_number(invoice):
        raise ValidationError(
            f"{INVOICE_FIELD}「{raw_invoice}」が正しくありません。"
            f"Tと13桁の数字で、検査数字が合うものを入力してください（例：{INVOICE_EXAMPLE}）。",
            field="invoice_number")
    return CentreFields(name, fields.nickname.strip(), fields.address.strip(), fields.phone.strip(),
                        fields.operator.strip(), invoice)


def check_admin_fields(name: str, password: str, password2: str, kana: str = "", *,
                       db_login: str | None = None) -> AdminFields:
    """The administrator's entries, or ValidationError naming the field. ``db_login`` (PostgreSQL):
    the login name, checked by ``db_roles.valid_login_name``."""
    name = name.strip()
    if not name:
        raise ValidationError("システム管理者の名前を入力してください。", field="氏名")
    login = ""
    if db_login is not None:
        login = valid_login_name(db_login)
    auth.check_password_rules(password, names=(name, login or None))
    if password != password2:
        raise ValidationError("「パスワード（確認）」が「パスワード」と一致しません。もう一度入力してください。",
                              field="パスワード（確認）")
    return AdminFields(name, password, kana.strip(), login)


def default_sqlite_url() -> str:
    return config.sqlite_url_for(config.default_db_path())


def is_default_sqlite(url: str) -> bool:
    return config._normalise(url) == default_sqlite_url()


def is_first_start(cli_value: str | None = None) -> bool:
    """A truly first start on this PC: nothing names a database and the default SQLite file is not there yet."""
    if (cli_value or "").strip() or os.environ.get(config.ENV_DB_URL, "").strip():
        return False
    if config.load_connection():
        return False
    return not config.default_db_path().exists()


def sqlite_file(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def database_state(url: str) -> str:
    """EMPTY (no app tables), NEEDS_ADMIN, READY (an administrator with a password exists) or NEWER.

    Connection errors propagate (the caller has just tested the connection).
    """
    url = config._normalise(url)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return EMPTY
    engine = make_engine(url)
    try:
        try:
            revision = current_revision(engine)
        except ProgrammingError as exc:
            if "permission denied" not in str(exc.orig).lower():
                raise
            # A staff member's own login may not read the schema's version: such logins
            # exist only in a database that is set up, with its administrator.
            return READY
        if revision is None:
            return EMPTY
        if revision not in known_revisions():
            return NEWER
        # Before migration 0006 nobody had a password: the upgrade at 完了 is followed by the admin.
        if "password_hash" not in {c["name"] for c in inspect(engine).get_columns("staff")}:
            return NEEDS_ADMIN
        with read_session(engine) as session:
            return NEEDS_ADMIN if auth.needs_first_admin(session) else READY
    finally:
        engine.dispose()


def initial_values(url: str | None = None) -> tuple[CentreProfile, FeeSchedule]:
    """What the centre page starts with: the database's stored profile and fees when it has the app's
    tables (another install began there), otherwise the shipped defaults."""
    if url is not None:
        url = config._normalise(url)
        path = sqlite_file(url)
        if path is None or path.exists():
            engine = make_engine(url)
            try:
                with read_session(engine) as session:
                    return centre.get_profile(session), fees.get_fees(session)
            except Exception:  # noqa: BLE001 - no tables yet (or an old schema): the shipped defaults
                log.info("no stored profile in %s; using the shipped defaults", config.db_label(url))
            finally:
                engine.dispose()
    return load_default_profile(), load_default_fees()


def apply_first_start(choice: FirstStartChoice) -> tuple[str, Actor | None]:
    """Do what the wizard's 完了 means; returns (database URL, the new administrator or None).

    Order: migrate → default rooms/staff → (administrator + centre profile + issuer, one transaction)
    → save the connection of this terminal. The connection is saved last so that a failure never
    leaves a saved connection pointing at a half set-up database; a new default SQLite file that a
    failure leaves behind is removed, so the next start is a first start again.
    """
    url = config._normalise(choice.db_url)
    if choice.already_set_up:
        if choice.save_connection:
            config.save_connection(url)  # without the user and password the test used
            return result_url(url), None
        return url, None
    if choice.centre is None or choice.admin is None:
        raise ValueError("centre and admin are required unless the database is already set up")
    fields = check_centre_fields(choice.centre)
    admin = choice.admin
    path = sqlite_file(url)
    new_file = path is not None and not path.exists()
    engine = None
    try:
        result = safe_upgrade(url)
        if result.warning:
            log.warning(result.warning)
        engine = make_engine(url)
        with write_session(engine) as session:
            centre.ensure_initial_data(session)
        with write_session(engine) as session:
            actor = auth.create_first_admin(session, name=admin.name, password=admin.password, kana=admin.kana)
            if config.is_postgres_url(url) and admin.db_login:
                # On the owner's connection, in the same transaction: the administrator's own login.
                create_login(session, actor.id, admin.db_login, admin.password)
            # The new administrator passes the manager checks of both services (admin ⊇ manager).
            profile = replace(centre.get_profile(session), name=fields.name, nickname=fields.nickname,
                              address=fields.address, phone=fields.phone, operator=fields.operator)
            centre.save_profile(session, actor, profile)
            # On receipts the issuer (指定管理者) is the centre's operator.
            schedule = replace(fees.get_fees(session), operator=fields.operator,
                               invoice_number=fields.invoice_number)
            fees.save_fees(session, actor, schedule)
        engine.dispose()
        engine = None
        if choice.save_connection:
            config.save_connection(url)  # the server and TLS settings only, never the owner's credential
    except BaseException:
        if engine is not None:
            engine.dispose()
        if new_file and path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                except OSError:
                    log.warning("could not remove %s%s after a failed first start", path, suffix)
        raise
    return (result_url(url) if choice.save_connection else url), actor


def result_url(url: str) -> str:
    """What the app goes on with: on PostgreSQL the server without the owner's credential, so the
    administrator then signs in with their own login."""
    return config.without_credentials(url) if config.is_postgres_url(url) else url


__all__ = ["INVOICE_FIELD", "INVOICE_EXAMPLE", "INVOICE_EMPTY_NOTE", "EMPTY", "NEEDS_ADMIN", "READY", "NEWER",
           "CentreFields", "AdminFields", "FirstStartChoice", "check_centre_fields", "check_admin_fields",
           "default_sqlite_url", "is_default_sqlite", "is_first_start", "sqlite_file", "Target", "target_of",
           "database_state", "initial_values", "apply_first_start", "result_url"]
