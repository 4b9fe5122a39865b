"""personal data erasure: 匿名化 of a group and the one-time redaction of its audit rows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:00:00

Issue 15 (個人情報の取扱い; services/privacy.py, docs/design.md 「操作履歴の匿名化（消去）」):

* ``member_groups.anonymised_at`` / ``anonymised_by``: when and by whom a group's personal fields were
  replaced with 「（匿名化済み）」 (a staff id; no foreign key, so SQLite adds and drops it with a plain
  ALTER TABLE);
* ``audit_log.redacted_in``: the id of the 匿名化 audit row that erased this row's summary / before /
  after. Added with a plain ``ALTER TABLE ADD COLUMN`` on SQLite (a batch rebuild would drop 0008's
  triggers).

The trail stays append-only except for one narrowly guarded UPDATE: a row's summary / before / after may
be changed only by setting ``redacted_in`` to a later row whose action is ``anonymise`` and whose
``after.rows`` lists this row's id and row_hash (that row is chained before the redaction happens, so what
may be erased is fixed in the chain first), once per 匿名化: ``redacted_in`` only grows (NULL, then a later
匿名化 — a row naming two groups is erased by each group's 匿名化 in turn). Every
other column (id, at, staff_id, action, entity, entity_id, prev_hash, row_hash) is unchanged, so the row
still links the chain and ``services.audit_log.verify_chain`` checks it against what the 匿名化 row
recorded (including ``redacted_hash``, the hash of the redacted content).

* PostgreSQL: no role has UPDATE on ``audit_log``. ``fukufuku_redact_audit`` (SECURITY DEFINER, EXECUTE
  for fukufuku_manager only) checks the caller is a manager (or the owner), that the 匿名化 row was
  written in the caller's own transaction, and — for all rows in one join — that each is listed there with
  its original row_hash and that its new content hashes to the recorded ``redacted_hash``; then it sets the
  transaction-local ``fukufuku.redaction`` and updates the rows. The BEFORE UPDATE trigger
  (``trg_audit_no_change``, now ``fukufuku_audit_change_guard``) lets an UPDATE through only with that
  setting and the per-row conditions (redacted_in grows, meta unchanged, a later anonymise row). The list is checked in
  the function rather than per row in the trigger: per row it cost O(rows²) (980 rows: 4.2 s), and only the
  owner, who can switch triggers off anyway, can UPDATE without the function. DELETE and TRUNCATE stay
  refused.
* SQLite: the BEFORE UPDATE trigger ``audit_log_no_update`` refuses every UPDATE but one meeting the
  conditions above (SQLite has no SHA-256: verify_chain checks ``redacted_hash``).
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

REFUSE_MESSAGE = '操作履歴は追記のみです。変更・削除はできません'
SD = "SECURITY DEFINER SET search_path = public, pg_temp"
REDACT_SIGNATURE = "fukufuku_redact_audit(bigint, bigint[], text[], text[], text[])"

SQLITE_OLD_UPDATE_TRIGGER = f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSE_MESSAGE}（UPDATE）'); END
    """

SQLITE_UPDATE_TRIGGER = f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT (
        NEW.redacted_in IS NOT NULL AND (OLD.redacted_in IS NULL OR NEW.redacted_in > OLD.redacted_in)
        AND NEW.id IS OLD.id AND NEW.prev_hash IS OLD.prev_hash AND NEW.row_hash IS OLD.row_hash
        AND NEW.at IS OLD.at AND NEW.staff_id IS OLD.staff_id AND NEW.action IS OLD.action
        AND NEW.entity IS OLD.entity AND NEW.entity_id IS OLD.entity_id
        AND EXISTS (SELECT 1 FROM audit_log a, json_each(a.after, '$.rows') r
                    WHERE a.id = NEW.redacted_in AND a.action = 'anonymise' AND a.id > OLD.id
                      AND json_extract(r.value, '$.id') = OLD.id
                      AND json_extract(r.value, '$.row_hash') = OLD.row_hash))
    BEGIN SELECT RAISE(ABORT, '{REFUSE_MESSAGE}（UPDATE：匿名化で一度だけ消去できる行ではありません）'); END
    """

PG_FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_audit_change_guard() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.redacted_in IS NOT NULL
           AND (OLD.redacted_in IS NULL OR NEW.redacted_in > OLD.redacted_in)
           AND current_setting('fukufuku.redaction', true) = NEW.redacted_in::text
           AND NEW.id = OLD.id AND NEW.prev_hash = OLD.prev_hash AND NEW.row_hash = OLD.row_hash
           AND NEW.at = OLD.at AND NEW.staff_id = OLD.staff_id AND NEW.action = OLD.action
           AND NEW.entity = OLD.entity AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id
           AND EXISTS (SELECT 1 FROM audit_log a
                        WHERE a.id = NEW.redacted_in AND a.action = 'anonymise' AND a.id > OLD.id)
        THEN
            -- The list and the hashes were checked, for all rows at once, by fukufuku_redact_audit (the
            -- only way a staff login reaches this UPDATE: no role has UPDATE on audit_log).
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{REFUSE_MESSAGE}（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_redact_audit(
        p_redaction_id bigint, p_ids bigint[], p_summaries text[], p_befores text[], p_afters text[])
    RETURNS integer
    LANGUAGE plpgsql {SD} AS $$
    DECLARE
        n integer := 0;
        i integer;
    BEGIN
        IF NOT (pg_has_role(session_user, 'fukufuku_manager', 'MEMBER')
                OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'audit_log'::regclass),
                               'MEMBER')) THEN
            RAISE EXCEPTION '操作履歴の匿名化は管理者のみ行えます' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.id = p_redaction_id AND a.action = 'anonymise'
                       AND a.xmin = pg_current_xact_id()::xid) THEN
            RAISE EXCEPTION '匿名化の記録（番号 %）がこの処理の中で書かれていません', p_redaction_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Every row must be listed by the 匿名化 row with its original hash and the hash of the new content,
        -- and not be erased by this or a later one (one join: the list is parsed once, not once per row).
        SELECT count(*) INTO n
          FROM unnest(p_ids, p_summaries, p_befores, p_afters) AS u(id, s, b, a)
          JOIN audit_log o ON o.id = u.id AND o.id < p_redaction_id
                          AND (o.redacted_in IS NULL OR o.redacted_in < p_redaction_id)
          JOIN (SELECT (r ->> 'id')::bigint AS id, r ->> 'row_hash' AS row_hash, r ->> 'redacted_hash' AS redacted_hash
                  FROM audit_log x, json_array_elements(x.after -> 'rows') r WHERE x.id = p_redaction_id) e
            ON e.id = u.id AND e.row_hash = o.row_hash
           AND e.redacted_hash = fukufuku_audit_hash(o.prev_hash, o.id, o.at, o.staff_id, o.action, o.entity,
                                                     o.entity_id, u.s, u.b, u.a);
        IF n IS DISTINCT FROM coalesce(array_length(p_ids, 1), 0)
           OR (SELECT count(DISTINCT x) FROM unnest(p_ids) x) <> n THEN
            RAISE EXCEPTION '操作履歴の消去が匿名化の記録（番号 %）と一致しません（消去済みの行、記録にない行、内容の違い）',
                p_redaction_id USING ERRCODE = 'insufficient_privilege';
        END IF;
        n := 0;
        PERFORM set_config('fukufuku.redaction', p_redaction_id::text, true);
        FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
            UPDATE audit_log SET summary = p_summaries[i], before = p_befores[i]::json,
                   after = p_afters[i]::json, redacted_in = p_redaction_id
             WHERE id = p_ids[i];
            IF NOT FOUND THEN
                RAISE EXCEPTION '操作履歴の番号 % がありません', p_ids[i] USING ERRCODE = 'no_data_found';
            END IF;
            n := n + 1;
        END LOOP;
        PERFORM set_config('fukufuku.redaction', '', true);
        RETURN n;
    END
    $$
    """,
]


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ALTER TABLE ADD COLUMN on both databases (no batch rebuild: 0008's triggers stay).
    op.add_column('audit_log', sa.Column('redacted_in', sa.Integer(), nullable=True))
    op.add_column('member_groups', sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    op.add_column('member_groups', sa.Column('anonymised_by', sa.Integer(), nullable=True))
    if bind.dialect.name == 'postgresql':
        for statement in PG_FUNCTIONS:
            op.execute(statement)
        op.execute("DROP TRIGGER IF EXISTS trg_audit_no_change ON audit_log")
        op.execute("CREATE TRIGGER trg_audit_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION fukufuku_audit_change_guard()")
        op.execute("REVOKE ALL ON FUNCTION fukufuku_audit_change_guard() FROM PUBLIC")
        op.execute(f"REVOKE ALL ON FUNCTION {REDACT_SIGNATURE} FROM PUBLIC")
        op.execute(f"""
            DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fukufuku_manager') THEN
                    GRANT EXECUTE ON FUNCTION {REDACT_SIGNATURE} TO fukufuku_manager;
                END IF;
            END $$""")
        # The new columns: the table-level grants of 0009 (SELECT for every staff role, INSERT on
        # audit_log, INSERT/UPDATE on member_groups for the desk) cover them; nobody gets UPDATE on audit_log.
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute(SQLITE_UPDATE_TRIGGER)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_audit_no_change ON audit_log")
        op.execute("CREATE TRIGGER trg_audit_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION fukufuku_audit_refuse()")
        op.execute(f"DROP FUNCTION IF EXISTS {REDACT_SIGNATURE}")
        op.execute("DROP FUNCTION IF EXISTS fukufuku_audit_change_guard()")
        op.drop_column('member_groups', 'anonymised_by')
        op.drop_column('member_groups', 'anonymised_at')
        op.drop_column('audit_log', 'redacted_in')
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute(SQLITE_OLD_UPDATE_TRIGGER)
        for table, column in (('member_groups', 'anonymised_by'), ('member_groups', 'anonymised_at'),
                              ('audit_log', 'redacted_in')):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
