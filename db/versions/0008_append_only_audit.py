"""append-only audit trail with a hash chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

Issue 14, "an audit that cannot be edited": ``audit_log`` gets ``prev_hash`` and ``row_hash``
(booking_app/store/audit_chain.py says what is hashed); the rows already there are chained here in id
order. Then the database refuses to change the trail:

* PostgreSQL: ``fukufuku_audit_refuse`` refuses UPDATE and DELETE (row triggers) and TRUNCATE (a
  statement trigger); ``fukufuku_audit_chain`` (BEFORE INSERT) takes ``pg_advisory_xact_lock``, numbers
  the row after the last one and computes its hash in SQL (``fukufuku_audit_hash``, the same canonical
  form as the Python one), so every terminal's rows form one chain whatever the client sent.
* SQLite: BEFORE UPDATE / BEFORE DELETE triggers ``RAISE(ABORT)``; a BEFORE INSERT trigger refuses a
  row that does not continue the chain (id = last id + 1, prev_hash = the last row's hash). The hash
  itself is computed by the app (SQLite has no SHA-256) inside its BEGIN IMMEDIATE transaction.

A later migration that rebuilds ``audit_log`` on SQLite (``batch_alter_table``) drops these triggers
with the old table and must create them again.
"""

from alembic import op
import sqlalchemy as sa

from booking_app.store.audit_chain import GENESIS, PG_LOCK_KEY, row_hash


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REFUSE_MESSAGE = '操作履歴は追記のみです。変更・削除はできません'
CHAIN_MESSAGE = '操作履歴の連鎖を続けない行は追加できません'

PG_FUNCTIONS = [
    f"""
    CREATE FUNCTION fukufuku_audit_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN value IS NULL THEN '-' ELSE length(value)::text || ':' || value END
    $$
    """,
    """
    CREATE FUNCTION fukufuku_audit_hash(prev_hash text, id bigint, at timestamp, staff_id bigint,
                                        action text, entity text, entity_id bigint, summary text,
                                        before text, after text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(concat_ws(E'\\n',
            'fukufuku-audit-v1', prev_hash,
            fukufuku_audit_field(id::text),
            fukufuku_audit_field(to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US')),
            fukufuku_audit_field(staff_id::text), fukufuku_audit_field(action),
            fukufuku_audit_field(entity), fukufuku_audit_field(entity_id::text),
            fukufuku_audit_field(summary), fukufuku_audit_field(before), fukufuku_audit_field(after)),
            'UTF8')), 'hex')
    $$
    """,
    f"""
    CREATE FUNCTION fukufuku_audit_chain() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        last_id bigint;
        last_hash text;
    BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            -- A snapshot older than the lock could miss the row just committed and fork the chain.
            RAISE EXCEPTION '操作履歴は READ COMMITTED のトランザクションでのみ追加できます';
        END IF;
        PERFORM pg_advisory_xact_lock({PG_LOCK_KEY});
        SELECT a.id, a.row_hash INTO last_id, last_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
        NEW.id := coalesce(last_id, 0) + 1;
        NEW.prev_hash := coalesce(last_hash, '{GENESIS}');
        NEW.summary := coalesce(NEW.summary, '');
        NEW.row_hash := fukufuku_audit_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.staff_id, NEW.action,
                                            NEW.entity, NEW.entity_id, NEW.summary,
                                            NEW.before::text, NEW.after::text);
        RETURN NEW;
    END
    $$
    """,
    f"""
    CREATE FUNCTION fukufuku_audit_refuse() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSE_MESSAGE}（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
]

PG_TRIGGERS = [
    "CREATE TRIGGER trg_audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fukufuku_audit_chain()",
    "CREATE TRIGGER trg_audit_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_audit_refuse()",
    "CREATE TRIGGER trg_audit_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION fukufuku_audit_refuse()",
]

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSE_MESSAGE}（UPDATE）'); END
    """,
    f"""
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSE_MESSAGE}（DELETE）'); END
    """,
    f"""
    CREATE TRIGGER audit_log_chain_check BEFORE INSERT ON audit_log
    WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_log)
      OR NEW.prev_hash IS NOT coalesce((SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1), '{GENESIS}')
      OR NEW.row_hash IS NULL OR length(NEW.row_hash) <> 64
    BEGIN SELECT RAISE(ABORT, '{CHAIN_MESSAGE}'); END
    """,
]


def _chain_existing_rows(bind, batch: int = 5000) -> None:
    """Chain the rows already there, in id order (before any trigger refuses an UPDATE)."""
    at_proc = sa.DateTime().dialect_impl(bind.dialect).result_processor(bind.dialect, None)
    prev, last_id = GENESIS, None
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, at, staff_id, action, entity, entity_id, summary, CAST(before AS TEXT), "
            "CAST(after AS TEXT) FROM audit_log WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last_id if last_id is not None else -1, "n": batch}).all()
        if not rows:
            return
        updates = []
        for id_, at, staff_id, action, entity, entity_id, summary, before, after in rows:
            if at_proc is not None and isinstance(at, str):
                at = at_proc(at)
            h = row_hash(prev, id_, at, staff_id, action, entity, entity_id, summary, before, after)
            updates.append({"id": id_, "p": prev, "h": h})
            prev, last_id = h, id_
        bind.execute(sa.text("UPDATE audit_log SET prev_hash = :p, row_hash = :h WHERE id = :id"), updates)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    _chain_existing_rows(bind)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
    if bind.dialect.name == 'postgresql':
        for statement in PG_FUNCTIONS + PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_audit_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_chain ON audit_log")
        for fn in ("fukufuku_audit_refuse()", "fukufuku_audit_chain()",
                   "fukufuku_audit_hash(text, bigint, timestamp, bigint, text, text, bigint, text, text, text)",
                   "fukufuku_audit_field(text)"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    else:
        for name in ("audit_log_chain_check", "audit_log_no_delete", "audit_log_no_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
