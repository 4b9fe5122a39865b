"""waiting lists, refunds and reductions: キャンセル待ち, 還付 and 減免 (issue 18)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:30:00

Both databases:

* ``waitlist_entries``: one キャンセル待ち per row, in the order of ``id``; partial unique indexes keep a
  group from waiting twice for one slot and a slot from having two open offers;
* ``refunds``: one 還付 per cancelled booking and receipt, numbered per fiscal year (R2026-000001);
* ``bookings.reduction_code`` / ``reduction_approved_by``: the 減免 of a booking and the manager who
  approved it (added columns: SQLite keeps the table as it is);
* ``charges``: a 減免 is a charge line of kind ``reduction`` with a price below zero, so every total
  (receipt, cash-up, statistics) adds it up without knowing about it. ``ck_charges_price`` lets that kind,
  and only that kind, go below zero; ``ck_charges_reduction`` keeps it from going above. SQLite cannot
  change a CHECK in place: the table is copied (db/env.py turns foreign keys off around the copy and
  checks them after it, as Alembic's batch mode asks).

PostgreSQL, who may do what:

* fukufuku_desk: SELECT on both new tables; INSERT on ``waitlist_entries`` and UPDATE of its life-cycle
  columns (offering, answering, withdrawing); INSERT on ``refunds`` (the amount is the rule's, checked by
  ``ck_refunds_amount``; a refund is never edited or deleted: no UPDATE, no DELETE for anyone); USAGE on
  the new sequences.
* a 減免 is a manager's decision: the trigger ``fukufuku_booking_reduction_guard`` refuses a desk login
  that sets or changes ``bookings.reduction_code`` / ``reduction_approved_by``; and
  ``fukufuku_charge_reduction_guard`` refuses a ``reduction`` charge on a booking without an approved
  reduction, for everyone.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ("waitlist_entries", "refunds")
SEQUENCES = tuple(f"{t}_id_seq" for t in TABLES)
OWNER_CHECK = "pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'MEMBER')"

PG_FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION fukufuku_booking_reduction_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF {OWNER_CHECK} OR pg_has_role(session_user, 'fukufuku_manager', 'MEMBER') THEN
            RETURN NEW;
        END IF;
        IF (TG_OP = 'INSERT' AND (NEW.reduction_code IS NOT NULL OR NEW.reduction_approved_by IS NOT NULL))
           OR (TG_OP = 'UPDATE' AND (NEW.reduction_code IS DISTINCT FROM OLD.reduction_code
                                     OR NEW.reduction_approved_by IS DISTINCT FROM OLD.reduction_approved_by))
        THEN
            RAISE EXCEPTION '減免は管理者が承認します（減免区分は管理者のみ設定・変更できます）'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION fukufuku_charge_reduction_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF NEW.kind = 'reduction' AND NOT EXISTS (
            SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id
               AND b.reduction_code IS NOT NULL AND b.reduction_approved_by IS NOT NULL) THEN
            RAISE EXCEPTION '減免の明細は、管理者が減免を承認した予約にのみ付けられます'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
]
PG_TRIGGERS = [
    "CREATE TRIGGER trg_booking_reduction_guard BEFORE INSERT OR UPDATE ON bookings "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_booking_reduction_guard()",
    "CREATE TRIGGER trg_charge_reduction_guard BEFORE INSERT ON charges "
    "FOR EACH ROW EXECUTE FUNCTION fukufuku_charge_reduction_guard()",
]
NEW_FUNCTIONS = ("fukufuku_booking_reduction_guard()", "fukufuku_charge_reduction_guard()")


def _charges(price_check: str, with_reduction_check: bool) -> sa.Table:
    """The charges table as 0003 and 0004 made it, with the price CHECK given (for SQLite's copy)."""
    checks = [sa.CheckConstraint(price_check, name='ck_charges_price')]
    if with_reduction_check:
        checks.append(sa.CheckConstraint("kind <> 'reduction' OR unit_price <= 0", name='ck_charges_reduction'))
    return sa.Table(
        'charges', sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('printing_log_id', sa.Integer(), nullable=True),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('payer_name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('tax', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('receipt_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open','paid','cancelled')", name='ck_charges_status'),
        sa.CheckConstraint("tax IN ('taxable10','exempt')", name='ck_charges_tax'),
        sa.CheckConstraint('amount = quantity * unit_price', name='ck_charges_amount'),
        sa.CheckConstraint('quantity > 0', name='ck_charges_quantity'),
        *checks,
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
        sa.ForeignKeyConstraint(['created_by'], ['staff.id'], ),
        sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], ),
        sa.ForeignKeyConstraint(['printing_log_id'], ['printing_logs.id'], ),
        sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ),
        sa.ForeignKeyConstraint(['enrolment_id'], ['insurance_enrolments.id'], name='fk_charges_enrolment_id'),
        sa.PrimaryKeyConstraint('id'),
        sa.Index('ix_charges_booking_id', 'booking_id'),
        sa.Index('ix_charges_receipt_id', 'receipt_id'),
        sa.Index('ix_charges_enrolment_id', 'enrolment_id'),
        sa.Index('ix_charges_status', 'status', 'created_at'),
    )


NEW_PRICE = "unit_price >= 0 OR kind = 'reduction'"
OLD_PRICE = "unit_price >= 0"


def upgrade() -> None:
    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('booker_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('offered_at', sa.DateTime(), nullable=True),
    sa.Column('offered_by', sa.Integer(), nullable=True),
    sa.Column('reply_by', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint('end_at > start_at', name='ck_waitlist_times'),
    sa.CheckConstraint("status IN ('waiting','offered','accepted','declined','expired','withdrawn')",
                       name='ck_waitlist_status'),
    sa.CheckConstraint("status <> 'offered' OR (offered_at IS NOT NULL AND reply_by IS NOT NULL)",
                       name='ck_waitlist_offer'),
    sa.CheckConstraint("status <> 'accepted' OR booking_id IS NOT NULL", name='ck_waitlist_accepted'),
    sa.CheckConstraint("group_id IS NOT NULL OR booker_name <> ''", name='ck_waitlist_who'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['offered_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['closed_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_waitlist_slot', 'waitlist_entries', ['room_id', 'start_at'], unique=False)
    op.create_index('uq_waitlist_group_slot', 'waitlist_entries', ['room_id', 'start_at', 'end_at', 'group_id'],
                    unique=True,
                    sqlite_where=sa.text("status IN ('waiting','offered') AND group_id IS NOT NULL"),
                    postgresql_where=sa.text("status IN ('waiting','offered') AND group_id IS NOT NULL"))
    op.create_index('uq_waitlist_one_offer', 'waitlist_entries', ['room_id', 'start_at'], unique=True,
                    sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('refund_no', sa.String(length=20), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('rate', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('why_text', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('terminal', sa.String(length=100), nullable=False),
    sa.CheckConstraint('rate BETWEEN 0 AND 100', name='ck_refunds_rate'),
    sa.CheckConstraint('amount >= 0 AND amount <= paid', name='ck_refunds_amount'),
    sa.CheckConstraint("reason <> ''", name='ck_refunds_reason'),
    sa.CheckConstraint("method IN ('cash','card','transfer','qr','other')", name='ck_refunds_method'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('refund_no'),
    sa.UniqueConstraint('fiscal_year', 'seq', name='uq_refunds_fy_seq'),
    sa.UniqueConstraint('booking_id', 'receipt_id', name='uq_refunds_booking_receipt')
    )
    op.create_index('ix_refunds_at', 'refunds', ['at'], unique=False)
    op.create_index('ix_refunds_receipt_id', 'refunds', ['receipt_id'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reduction_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('reduction_approved_by', sa.Integer(), nullable=True))

    if op.get_bind().dialect.name != 'postgresql':
        with op.batch_alter_table('charges', recreate='always', copy_from=_charges(NEW_PRICE, True)):
            pass
        return
    op.execute("ALTER TABLE charges DROP CONSTRAINT ck_charges_price")
    op.execute(f"ALTER TABLE charges ADD CONSTRAINT ck_charges_price CHECK ({NEW_PRICE})")
    op.execute("ALTER TABLE charges ADD CONSTRAINT ck_charges_reduction CHECK (kind <> 'reduction' OR unit_price <= 0)")
    for sql in PG_FUNCTIONS:
        op.execute(sql)
    for fn in NEW_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
    for sql in PG_TRIGGERS:
        op.execute(sql)
    tables = ", ".join(TABLES)
    op.execute(f"REVOKE ALL ON {tables} FROM PUBLIC")
    op.execute(f"REVOKE ALL ON SEQUENCE {', '.join(SEQUENCES)} FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fukufuku_desk') THEN
                GRANT SELECT ON {tables} TO fukufuku_desk;
                GRANT INSERT ON waitlist_entries, refunds TO fukufuku_desk;
                GRANT UPDATE (status, offered_at, offered_by, reply_by, closed_at, closed_by, close_reason,
                              booking_id, note) ON waitlist_entries TO fukufuku_desk;
                GRANT USAGE, SELECT ON SEQUENCE {', '.join(SEQUENCES)} TO fukufuku_desk;
            END IF;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_booking_reduction_guard ON bookings")
        op.execute("DROP TRIGGER IF EXISTS trg_charge_reduction_guard ON charges")
        for fn in NEW_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
        op.execute("DELETE FROM charges WHERE kind = 'reduction'")
        op.execute("ALTER TABLE charges DROP CONSTRAINT ck_charges_reduction")
        op.execute("ALTER TABLE charges DROP CONSTRAINT ck_charges_price")
        op.execute(f"ALTER TABLE charges ADD CONSTRAINT ck_charges_price CHECK ({OLD_PRICE})")
    else:
        op.execute("DELETE FROM charges WHERE kind = 'reduction'")
        with op.batch_alter_table('charges', recreate='always', copy_from=_charges(OLD_PRICE, False)):
            pass
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('reduction_approved_by')
        batch_op.drop_column('reduction_code')
    op.drop_index('ix_refunds_receipt_id', table_name='refunds')
    op.drop_index('ix_refunds_at', table_name='refunds')
    op.drop_table('refunds')
    op.drop_index('uq_waitlist_one_offer', table_name='waitlist_entries')
    op.drop_index('uq_waitlist_group_slot', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_slot', table_name='waitlist_entries')
    op.drop_table('waitlist_entries')
