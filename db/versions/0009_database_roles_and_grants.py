"""database roles and grants: the database decides who may do what

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00

Issue 14. Both databases: ``staff.db_login`` (the PostgreSQL login of a staff member, unique, NULL on
SQLite). PostgreSQL only (docs/design.md, 「データベースの権限（PostgreSQL のロールと GRANT）」):

* the group roles ``fukufuku_desk`` < ``fukufuku_manager`` < ``fukufuku_admin`` (NOLOGIN, cluster-wide,
  created only when missing: the test template and several databases share one cluster);
* ``REVOKE ALL … FROM PUBLIC`` on the tables, sequences and functions, then GRANTs per group role
  (booking_app/domain/roles.py); the tables stay owned by the migrating role, so nobody else can ALTER,
  DROP or TRUNCATE them;
* the writes a desk makes to money and staff tables go through column grants guarded by triggers
  (``charges.status/receipt_id``, ``number_sequences.next_value``, the sign-in columns of ``staff``);
* ``receipts`` numbering is checked by a SECURITY DEFINER trigger (the next number of its fiscal year);
* the audit chain trigger (0008) becomes SECURITY DEFINER with a fixed search_path and, for a staff
  login, writes the session's staff id and the server's Japan time;
* ``fukufuku_create_login`` / ``fukufuku_set_login_password`` (SECURITY DEFINER, checking the caller
  themselves) and a trigger on ``staff`` that keeps a login's group role and LOGIN in step with
  ``staff.role`` / ``staff.active`` (and ends the sessions of a deactivated login).

The downgrade drops what this created except the cluster-wide roles (other databases may use them); it
gives PUBLIC its default privileges back.
"""

from alembic import op
import sqlalchemy as sa

from booking_app.store.audit_chain import GENESIS, PG_LOCK_KEY


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

GROUPS = ("fukufuku_desk", "fukufuku_manager", "fukufuku_admin")

ALL_TABLES = (
    "staff", "rooms", "equipment_types", "member_groups", "group_status_history", "group_verifications",
    "number_sequences", "centre_settings", "booking_series", "bookings", "booking_equipment", "audit_log",
    "charges", "receipts", "receipt_lines", "receipt_voids", "receipt_prints", "printing_logs",
    "day_closings", "insurance_plans", "insurance_enrolments", "insured_people", "accident_reports",
    "walkin_tallies", "centre_events", "month_closings", "stat_amendments",
)

# The counter's daily work: a desk inserts, changes and deletes these freely.
DESK_OPERATIONAL = (
    "member_groups", "group_status_history", "group_verifications", "booking_series", "bookings",
    "booking_equipment", "printing_logs", "insurance_enrolments", "insured_people", "accident_reports",
    "walkin_tallies", "centre_events",
)
# Rows a desk adds but never changes (money, the trail): INSERT only.
DESK_INSERT_ONLY = ("charges", "receipts", "receipt_lines", "receipt_prints", "audit_log", "number_sequences",
                    "day_closings")
# Column grants, each guarded by a trigger below.
DESK_COLUMNS = {
    "charges": ("status", "receipt_id"),
    "number_sequences": ("next_value",),
    "staff": ("failed_logins", "locked_until", "last_login_at", "password_hash", "password_changed_at"),
}
# Settings, voids, month close: a manager inserts and changes these.
MANAGER_WRITE = ("centre_settings", "rooms", "equipment_types", "insurance_plans", "month_closings",
                 "stat_amendments", "day_closings")
MANAGER_INSERT_ONLY = ("receipt_voids",)
MANAGER_UPDATE = ("charges",)  # a void cancels paid charges (the guard lets a manager)
# A void locks its receipt (SELECT … FOR UPDATE needs an UPDATE grant): one column, and the trigger
# fukufuku_receipt_refuse refuses every UPDATE of a receipt all the same.
MANAGER_LOCK_COLUMNS = {"receipts": ("terminal",)}
# Likewise a booking with equipment locks its equipment types; fukufuku_manager_update_only refuses a desk's
# UPDATE of them.
DESK_LOCK_COLUMNS = {"equipment_types": ("sort_order",)}

OWNER_CHECK = "pg_has_role({who}, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'MEMBER')"
SD = "SECURITY DEFINER SET search_path = public, pg_temp"

PG_FUNCTIONS = [
    # The staff id of the connection's login (NULL for the owner or any non-staff login).
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_session_staff_id() RETURNS integer
    LANGUAGE sql STABLE {SD} AS $$
        SELECT s.id FROM staff s WHERE s.db_login = session_user::text
    $$
    """,
    # 0008's chain trigger, now SECURITY DEFINER and naming the session's staff member and time.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_audit_chain() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    DECLARE
        last_id bigint;
        last_hash text;
        sid integer;
    BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION '操作履歴は READ COMMITTED のトランザクションでのみ追加できます';
        END IF;
        SELECT s.id INTO sid FROM staff s WHERE s.db_login = session_user::text;
        IF sid IS NOT NULL THEN
            -- A staff login: the server, not the terminal, says who and when.
            NEW.staff_id := sid;
            NEW.at := (clock_timestamp() AT TIME ZONE 'Asia/Tokyo');
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
    # Gapless receipt numbers even for SQL typed by hand: the next number of its fiscal year.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_receipt_number_check() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    DECLARE
        expected integer;
    BEGIN
        IF {OWNER_CHECK.format(who="session_user")} THEN
            RETURN NEW;  -- the owner's own scripts (migrations, imports by the owner)
        END IF;
        SELECT coalesce(max(r.seq), 0) + 1 INTO expected FROM receipts r WHERE r.fiscal_year = NEW.fiscal_year;
        IF NEW.seq IS DISTINCT FROM expected
           OR NEW.receipt_no IS DISTINCT FROM NEW.fiscal_year::text || '-' || lpad(NEW.seq::text, 6, '0') THEN
            RAISE EXCEPTION '領収書番号は連番です：%年度の次の番号は%です（指定：%）',
                NEW.fiscal_year, expected, NEW.receipt_no USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    # A desk may only mark an open charge paid by a receipt made in this transaction, or cancel it.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_charge_guard() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    BEGIN
        IF {OWNER_CHECK.format(who="session_user")}
           OR pg_has_role(session_user, 'fukufuku_manager', 'MEMBER') THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'INSERT' THEN
            IF NEW.status = 'open' AND NEW.receipt_id IS NULL THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '受付の権限で追加できる請求明細は未収のものだけです（%）', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.status = 'open' AND NEW.status = 'cancelled' AND NEW.receipt_id IS NULL THEN
            RETURN NEW;
        END IF;
        IF OLD.status = 'open' AND NEW.status = 'paid' AND NEW.receipt_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM receipts r WHERE r.id = NEW.receipt_id
               AND (r.xmin = pg_current_xact_id()::xid
                    OR EXISTS (SELECT 1 FROM receipt_lines l WHERE l.receipt_id = r.id AND l.charge_id = NEW.id)))
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '受付の権限では請求明細を変更できません（%→%）。管理者に依頼してください',
            OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    # A receipt is never edited or deleted (a void is a row of its own); the owner only.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_receipt_refuse() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    BEGIN
        IF {OWNER_CHECK.format(who="session_user")} THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION '領収書は変更・削除できません（%）。誤りは管理者が取消してください', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    # A receipt's lines are written with it, in the same transaction: never added to an older receipt.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_receipt_line_guard() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    BEGIN
        IF {OWNER_CHECK.format(who="session_user")}
           OR EXISTS (SELECT 1 FROM receipts r WHERE r.id = NEW.receipt_id AND r.xmin = pg_current_xact_id()::xid) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '発行済みの領収書に明細は追加できません（領収書ID %）', NEW.receipt_id
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    # Equipment types: a desk locks them (FOR UPDATE, to count the stock) but never changes them.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_manager_update_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    BEGIN
        IF {OWNER_CHECK.format(who="session_user")}
           OR pg_has_role(session_user, 'fukufuku_manager', 'MEMBER') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '備品の登録・変更は管理者のみ行えます' USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    # Counters never go back.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_sequence_guard() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    BEGIN
        IF NEW.next_value < OLD.next_value AND NOT {OWNER_CHECK.format(who="session_user")} THEN
            RAISE EXCEPTION '番号（%）は戻せません', OLD.name USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    # Below admin, a staff login changes only its own sign-in columns; db_login only through
    # fukufuku_create_login (which runs as the owner) or by the owner.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_staff_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    DECLARE
        owner_now boolean := {OWNER_CHECK.format(who="current_user")};
    BEGIN
        IF NEW.db_login IS DISTINCT FROM OLD.db_login AND NOT owner_now THEN
            RAISE EXCEPTION 'データベースのログイン名は「ログインの作成」でのみ設定できます'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT owner_now AND NOT pg_has_role(session_user, 'fukufuku_admin', 'MEMBER')
           AND NEW.id IS DISTINCT FROM fukufuku_session_staff_id() THEN
            RAISE EXCEPTION '他の担当者の記録は変更できません（システム管理者のみ）'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    # Role / active of a staff row with a login -> group role membership and LOGIN, at once.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_staff_sync() RETURNS trigger
    LANGUAGE plpgsql {SD} AS $$
    DECLARE
        g text;
        target text := 'fukufuku_' || NEW.role;
    BEGIN
        IF NEW.db_login IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = NEW.db_login) THEN
            RETURN NULL;
        END IF;
        FOREACH g IN ARRAY ARRAY['fukufuku_desk', 'fukufuku_manager', 'fukufuku_admin'] LOOP
            IF g = target AND NEW.active THEN
                EXECUTE format('GRANT %I TO %I', g, NEW.db_login);
            ELSIF pg_has_role(NEW.db_login, g, 'MEMBER')
                  AND EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = g::regrole
                              AND m.member = NEW.db_login::regrole) THEN
                EXECUTE format('REVOKE %I FROM %I', g, NEW.db_login);
            END IF;
        END LOOP;
        IF NEW.active THEN
            EXECUTE format('ALTER ROLE %I LOGIN', NEW.db_login);
        ELSE
            EXECUTE format('ALTER ROLE %I NOLOGIN', NEW.db_login);
            BEGIN
                PERFORM pg_terminate_backend(a.pid) FROM pg_stat_activity a
                 WHERE a.usename = NEW.db_login AND a.pid <> pg_backend_pid();
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE WARNING 'ログイン % の接続を切断できませんでした（pg_signal_backend が必要です）', NEW.db_login;
            END;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    # Create a staff member's login (admin or owner): the password arrives as a SCRAM verifier.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_create_login(p_staff_id integer, p_login text, p_verifier text)
    RETURNS void
    LANGUAGE plpgsql {SD} AS $$
    DECLARE
        st record;
    BEGIN
        IF NOT (pg_has_role(session_user, 'fukufuku_admin', 'MEMBER')
                OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'staff'::regclass),
                               'MEMBER')) THEN
            RAISE EXCEPTION 'ログインの作成はシステム管理者のみ行えます' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_login !~ '^[a-z0-9_]{{3,63}}$' OR p_login LIKE 'pg\\_%' OR p_login LIKE 'fukufuku\\_%' THEN
            RAISE EXCEPTION 'ログイン名「%」は使えません', p_login USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF p_verifier IS NULL OR p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION 'パスワードは SCRAM で暗号化して渡してください' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT s.id, s.role, s.active, s.db_login INTO st FROM staff s WHERE s.id = p_staff_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION '担当者（ID %）が見つかりません', p_staff_id USING ERRCODE = 'no_data_found';
        END IF;
        IF st.db_login IS NOT NULL THEN
            RAISE EXCEPTION 'この担当者には既にログイン「%」があります', st.db_login
                USING ERRCODE = 'duplicate_object';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN
            RAISE EXCEPTION 'ログイン名「%」は既に使われています', p_login USING ERRCODE = 'duplicate_object';
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', p_login, p_verifier);
        UPDATE staff SET db_login = p_login WHERE id = p_staff_id;  -- the sync trigger grants the group
    END
    $$
    """,
    # Change a login's password (an admin, or the login itself); the password arrives as a SCRAM verifier.
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_set_login_password(p_login text, p_verifier text) RETURNS void
    LANGUAGE plpgsql {SD} AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM staff s WHERE s.db_login = p_login) THEN
            RAISE EXCEPTION 'ログイン「%」は担当者のログインではありません', p_login USING ERRCODE = 'no_data_found';
        END IF;
        IF NOT (session_user::text = p_login OR pg_has_role(session_user, 'fukufuku_admin', 'MEMBER')
                OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'staff'::regclass),
                               'MEMBER')) THEN
            RAISE EXCEPTION '他の担当者のパスワードはシステム管理者のみ変更できます'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_verifier IS NULL OR p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION 'パスワードは SCRAM で暗号化して渡してください' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_verifier);
    END
    $$
    """,
]

PG_TRIGGERS = [
    "CREATE TRIGGER trg_receipt_number BEFORE INSERT ON receipts "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_receipt_number_check()",
    "CREATE TRIGGER trg_receipt_no_change BEFORE UPDATE OR DELETE ON receipts "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_receipt_refuse()",
    "CREATE TRIGGER trg_equipment_manager_only BEFORE UPDATE ON equipment_types "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_manager_update_only()",
    "CREATE TRIGGER trg_receipt_line_guard BEFORE INSERT ON receipt_lines "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_receipt_line_guard()",
    "CREATE TRIGGER trg_charge_guard BEFORE INSERT OR UPDATE ON charges "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_charge_guard()",
    "CREATE TRIGGER trg_sequence_guard BEFORE UPDATE ON number_sequences "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_sequence_guard()",
    "CREATE TRIGGER trg_staff_guard BEFORE UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION fukufuku_staff_guard()",
    "CREATE TRIGGER trg_staff_sync AFTER UPDATE OF role, active, db_login ON staff "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_staff_sync()",
]

NEW_FUNCTIONS = ("fukufuku_session_staff_id()", "fukufuku_receipt_number_check()", "fukufuku_receipt_refuse()",
                 "fukufuku_receipt_line_guard()", "fukufuku_charge_guard()", "fukufuku_sequence_guard()",
                 "fukufuku_staff_guard()", "fukufuku_staff_sync()", "fukufuku_manager_update_only()",
                 "fukufuku_create_login(integer, text, text)", "fukufuku_set_login_password(text, text)")
# What any staff login may call (each checks the caller itself).
CALLABLE = ("fukufuku_session_staff_id()", "fukufuku_create_login(integer, text, text)",
            "fukufuku_set_login_password(text, text)")


def _create_groups() -> None:
    # Cluster-wide and maybe already made by another database of the same cluster: only when missing.
    parents = {"fukufuku_desk": None, "fukufuku_manager": "fukufuku_desk", "fukufuku_admin": "fukufuku_manager"}
    for role, parent in parents.items():
        op.execute(f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} NOLOGIN;
                END IF;
            END $$""")
        if parent:
            op.execute(f"""
                DO $$ BEGIN
                    IF NOT pg_has_role('{role}', '{parent}', 'MEMBER') THEN
                        GRANT {parent} TO {role};
                    END IF;
                END $$""")


def _grants() -> None:
    tables = ", ".join(ALL_TABLES)
    op.execute(f"REVOKE ALL ON {tables} FROM PUBLIC")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC")
    op.execute("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT SELECT ON {tables} TO fukufuku_desk")
    # So the app can tell a staff member at sign-in that the schema is older than the app (app.schema_problem).
    op.execute("GRANT SELECT ON alembic_version TO fukufuku_desk")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fukufuku_desk")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(DESK_OPERATIONAL)} TO fukufuku_desk")
    op.execute(f"GRANT INSERT ON {', '.join(DESK_INSERT_ONLY)} TO fukufuku_desk")
    for table, columns in {**DESK_COLUMNS, **DESK_LOCK_COLUMNS}.items():
        op.execute(f"GRANT UPDATE ({', '.join(columns)}) ON {table} TO fukufuku_desk")
    op.execute(f"GRANT INSERT, UPDATE ON {', '.join(MANAGER_WRITE)} TO fukufuku_manager")
    op.execute(f"GRANT INSERT ON {', '.join(MANAGER_INSERT_ONLY)} TO fukufuku_manager")
    op.execute(f"GRANT UPDATE ON {', '.join(MANAGER_UPDATE)} TO fukufuku_manager")
    for table, columns in MANAGER_LOCK_COLUMNS.items():
        op.execute(f"GRANT UPDATE ({', '.join(columns)}) ON {table} TO fukufuku_manager")
    op.execute("GRANT INSERT, UPDATE ON staff TO fukufuku_admin")
    for fn in CALLABLE:
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO fukufuku_desk")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('staff', sa.Column('db_login', sa.String(length=63), nullable=True))
    op.create_index('uq_staff_db_login', 'staff', ['db_login'], unique=True)
    if bind.dialect.name != 'postgresql':
        return
    _create_groups()
    for statement in PG_FUNCTIONS + PG_TRIGGERS:
        op.execute(statement)
    _grants()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for trigger, table in (("trg_equipment_manager_only", "equipment_types"),
                               ("trg_receipt_line_guard", "receipt_lines"), ("trg_receipt_no_change", "receipts"), ("trg_staff_sync", "staff"), ("trg_staff_guard", "staff"),
                               ("trg_sequence_guard", "number_sequences"), ("trg_charge_guard", "charges"),
                               ("trg_receipt_number", "receipts")):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        tables = ", ".join(ALL_TABLES)
        for role in GROUPS:
            op.execute(f"""
                DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                        REVOKE ALL ON {tables} FROM {role};
                        REVOKE ALL ON alembic_version FROM {role};
                        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};
                        REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {role};
                    END IF;
                END $$""")
        for fn in NEW_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
        # 0008's chain trigger as it was (SECURITY INVOKER, no session staff).
        op.execute(f"""
            CREATE OR REPLACE FUNCTION fukufuku_audit_chain() RETURNS trigger
            LANGUAGE plpgsql SECURITY INVOKER AS $$
            DECLARE
                last_id bigint;
                last_hash text;
            BEGIN
                IF current_setting('transaction_isolation') <> 'read committed' THEN
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
            $$""")
        op.execute("ALTER FUNCTION fukufuku_audit_chain() RESET search_path")
        # PUBLIC has no table or sequence privileges by default; functions it may execute.
        op.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC")
    op.drop_index('uq_staff_db_login', table_name='staff')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('db_login')
