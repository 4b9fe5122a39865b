"""Alembic environment: run by ``booking_app.store.migrate.upgrade`` at every start."""

from alembic import context
from booking_app.store.engine import make_engine
from booking_app.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch copy of a table that others reference (0012 copies ``charges``) drops the old table;
        # with foreign keys on, SQLite refuses that. Alembic's batch mode asks for them off around the
        # migrations; they are checked below and turned back on before the connection goes back.
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection)
        if sqlite:
            broken = _pragma(connection, "PRAGMA foreign_key_check")
            if broken:
                raise RuntimeError(f"migration left foreign keys broken: {broken[:5]}")
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection, sql: str):
    """Run a PRAGMA outside any transaction: inside one SQLite ignores foreign_keys, and every SQLAlchemy
    transaction here starts with BEGIN IMMEDIATE (store/engine.py), so it goes to the driver directly."""
    if connection.in_transaction():
        connection.commit()
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        return cursor.execute(sql).fetchall()
    finally:
        cursor.close()


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
