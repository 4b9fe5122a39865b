"""What every command shares: the context it runs in (the database, the signed-in actor, the opened
engine, its output file), the way a command is registered, and the ONE error tail.

A command module registers each sub-command with :func:`command`::

    p = sub.add_parser("export-stats", parents=parents, ...)
    command(p, run_export_stats, signin=SignIn("利用状況の書き出し"))

and its handler takes a :class:`Context` and returns the exit status. :class:`Command` builds the context
once: with ``signin`` the database must exist, SQLite is brought up to date, the command signs in
(cli/signin.py) and an engine is opened on the signed-in URL; without it the handler gets the resolved
database only and opens what it needs itself (backup, restore, staff break-glass, db upgrade, seed-demo,
the window). Whatever a handler raises goes through :func:`error_tail`: a DomainError is its Japanese
message on stderr and exit status 1, as are a file or database that cannot be opened and Ctrl+C; never a
traceback (the people running this are city IT staff, not developers).

SQLAlchemy, the models and the services are imported inside the functions that need them, not at the
top: ``build_parser`` imports this module and must stay light for the plain ``run`` path (measured with
``python -X importtime -m booking_app --help``: ``--help`` takes 0.3–0.5 s and 16 MB instead of
0.6–0.85 s and 56 MB when the parser imported services.group_io and with it SQLAlchemy and the models).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booking_app.cli.parser import EXIT_ERROR
from booking_app.domain.errors import DomainError, NotFound, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from booking_app.output_files import Output
    from booking_app.services.common import Actor


def out(message: str = "") -> None:
    print(message)


def err(message: str) -> None:
    print(message, file=sys.stderr)


def os_user() -> str:
    """The operating-system account running the command, for the audit trail."""
    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (a bare container): still record something
        return f"不明（uid {os.getuid()}）" if hasattr(os, "getuid") else "不明"


# --------------------------------------------------------------------------- the one error tail


def error_tail(run: Callable[[], int]) -> int:
    """``run()``'s exit status; the expected failures as a Japanese message on stderr and EXIT_ERROR."""
    try:
        return run()
    except DomainError as exc:
        err(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("中断しました。")
        return EXIT_ERROR
    except Exception as exc:  # the last guard: database and file trouble as a message, not a traceback
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError | OSError):
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            err(f"データベースまたはファイルを開けませんでした：{detail}\n"
                "指定した場所・接続先・権限を確かめてください。")
            return EXIT_ERROR
        raise


# --------------------------------------------------------------------------- the context


@dataclass(frozen=True)
class SignIn:
    """What a command signs in for (cli/signin.sign_in's keywords): its purpose in messages and in a
    refusal's audit row, the token scope that suffices, and the role it needs."""

    purpose: str
    token_scope: str = "all"
    manager: bool = False
    admin: bool = False


@dataclass
class Context:
    """One command's run: built once by :class:`Command`, handed to the handler."""

    args: argparse.Namespace
    actor: Actor | None = None  # who signed in (commands registered with a SignIn)
    engine: Engine | None = None  # opened on the signed-in URL (commands registered with a SignIn)
    _db: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def db(self) -> tuple[str, str]:
        """(url, label): --db, else the environment, else this terminal's setting, else the default file."""
        if self._db is None:
            from booking_app.config import resolve_db_url

            self._db = resolve_db_url(getattr(self.args, "db", None))
        return self._db

    @property
    def url(self) -> str:
        return self.db[0]

    @property
    def label(self) -> str:
        return self.db[1]

    def use_url(self, url: str) -> None:
        """From now on the database is reached through ``url`` (PostgreSQL: the signed-in login's)."""
        self._db = (url, self.label)

    def signed_actor(self) -> Actor:
        assert self.actor is not None, "a command registered with a SignIn"
        return self.actor

    def opened_engine(self) -> Engine:
        assert self.engine is not None, "a command registered with a SignIn"
        return self.engine

    def today(self) -> date:
        from booking_app import clock

        return clock.today()  # --today / --now set the clock before the handler runs

    def moment(self) -> datetime | None:
        """The moment --today names (09:00 that day), for the use cases that take ``now``; None otherwise."""
        today = getattr(self.args, "today", None)
        return datetime.combine(today, time(9, 0)) if today else None

    @contextmanager
    def output(self, path: Path, *, suffixes: Sequence[str]) -> Iterator[Output]:
        """The command's output file, written like every command's (booking_app/output_files.py): an
        existing file needs --force, a temporary file is renamed into place; the side notes go to stderr.
        A file that cannot be written is a Japanese message naming it (through the error tail)."""
        from booking_app.output_files import check_destination, written_output

        force = bool(getattr(self.args, "force", False))
        try:
            check_destination(path, force=force)  # before the work: an existing file is not overwritten
            with written_output(path, force=force, suffixes=tuple(suffixes)) as written:
                yield written
        except OSError as exc:
            raise ValidationError(f"「{path}」に書き出せません（{exc.strerror or exc}）。"
                                  "フォルダがあるか、Excelで開いたままでないか確かめてください。",
                                  field="output") from None
        for note in written.notes():  # side remarks on stderr; stdout keeps the one result line
            err(note)


Handler = Callable[[Context], int]


@dataclass(frozen=True)
class Command:
    """``args.handler``: builds the context once and runs the handler inside the error tail.

    ``main`` calls ``args.handler(args)``. A test may hand in an engine and an actor of its own
    (``args.handler(args, engine, actor)``): the sign-in and the start-up are then skipped."""

    run: Handler
    signin: SignIn | None = None
    check: Callable[[argparse.Namespace], None] | None = None  # before anything opens (a missing input file)

    def __call__(self, args: argparse.Namespace, engine: Engine | None = None, actor: Actor | None = None) -> int:
        ctx = Context(args, actor=actor, engine=engine)
        return error_tail(lambda: self._run(ctx, own_engine=engine is None))

    def _run(self, ctx: Context, *, own_engine: bool) -> int:
        if self.check is not None:
            self.check(ctx.args)
        if self.signin is None or not own_engine:
            return self.run(ctx)
        sign_in_and_open(ctx, self.signin)
        try:
            return self.run(ctx)
        finally:
            ctx.opened_engine().dispose()


def command(parser: argparse.ArgumentParser, run: Handler, *, signin: SignIn | None = None,
            check: Callable[[argparse.Namespace], None] | None = None) -> None:
    """Register ``run`` as ``parser``'s handler, the one way every command module does."""
    parser.set_defaults(handler=Command(run, signin, check))


def input_file_exists(args: argparse.Namespace) -> None:
    """A ``check``: the command's FILE must be there (before the sign-in asks for a password)."""
    if not args.file.exists():
        raise ValidationError(f"ファイル「{args.file}」が見つかりません。", field="file")


# --------------------------------------------------------------------------- the shared start-up


def require_database(url: str, label: str) -> None:
    """Refuse a database that is not there: a mistyped --db must not become a new, empty database on which
    an export reports 0人 and exits 0. Only ``db upgrade`` and ``seed-demo`` create one.

    SQLite: the file must exist and hold the app's tables (checked before anything opens it, since
    opening creates the file). PostgreSQL: the database must have the app's tables; a connection
    failure is reported as such by the error tail."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from booking_app.store.engine import make_engine

    hint = ("--db の指定（ファイル名・接続先）を確かめてください。"
            "新しいデータベースを作るときは「db upgrade」を使います。")
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise NotFound(f"データベースが見つかりません：{label}\n{hint}")
        path = Path(u.database)
        if not path.is_file():
            raise NotFound(f"データベースが見つかりません：{path}\n{hint}")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            has_tables = inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()
    if not has_tables:
        raise NotFound(f"データベースが見つかりません：{label}（ふくふくデスクのデータがありません）\n{hint}")


def migrate(url: str) -> None:
    from booking_app.store.migrate import safe_upgrade

    result = safe_upgrade(url)  # backs up a database that needs migrating; MigrationFailed is a DomainError
    if result.warning:
        err(result.warning)
    if result.backup is not None:
        err(f"更新前のデータベースを {result.backup} にバックアップしました。")


def prepare(url: str, *, run_migrations: bool = True) -> Engine:
    """Migrate, make the engine, fill an empty database with rooms, equipment and staff."""
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.engine import make_engine, write_session

    if run_migrations:
        migrate(url)
    engine = make_engine(url)
    with write_session(engine) as session:
        ensure_initial_data(session)
    return engine


def sign_in_and_open(ctx: Context, signin: SignIn) -> None:
    """The database must be there (require_database); SQLite is brought up to date first (a schema
    upgrade, as opening the window does: the sign-in reads today's staff table); then the command signs
    in (cli/signin.sign_in) before it reads or writes anything, and the engine opens as that login."""
    from booking_app.cli.signin import sign_in
    from booking_app.store.engine import is_sqlite

    url, label = ctx.db
    options: dict[str, Any] = {"purpose": signin.purpose, "token_scope": signin.token_scope,
                               "manager": signin.manager, "admin": signin.admin}
    if is_sqlite(url):
        require_database(url, label)
        migrate(url)
        signed = sign_in(ctx.args, url, label, **options)
    else:  # PostgreSQL: nothing connects without a login, so the sign-in comes first.
        signed = sign_in(ctx.args, url, label, **options)
        require_database(signed.url, label)
        migrate(signed.url)  # a no-op unless the schema is behind (then the owner's job: db upgrade)
    ctx.use_url(signed.url)
    ctx.actor = signed.actor
    ctx.engine = prepare(signed.url, run_migrations=False)
