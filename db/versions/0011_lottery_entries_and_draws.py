"""lottery entries and draws: 抽選の申込 and 抽選の実施 (issue 18)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:00:00

Issue 18 (services/lottery.py, docs/design.md 「抽選の受付と実施 (issue 18)」). Both databases:

* ``lottery_entries``: one 申込 per row, numbered per month of use (``UNIQUE(month, entry_no)``: two
  terminals never give the same 受付番号); a withdrawal (取下げ) is a status with who, when and why;
* ``lottery_wishes``: one slot (区分) per row: ``rank`` 1..3 (第1〜第3希望), ``seq`` its place in an
  all-or-nothing wish, ``booking_id`` the 仮予約 the draw made for it;
* ``lottery_draws``: the draw of a month (``UNIQUE(month)``: a second draw is refused by the database),
  with its seed, digest, algorithm, counts and ``inputs`` (the slots booked at the draw and the limits).

PostgreSQL, who may do what (the grants of 0009's group roles; manager and admin inherit the desk's):

* fukufuku_desk: SELECT on all three; INSERT on ``lottery_entries`` and ``lottery_wishes`` (taking an
  entry); UPDATE of ``lottery_entries`` (status, withdrawn_at, withdrawn_by, withdraw_reason) only to
  withdraw it: the trigger ``fukufuku_lottery_entry_guard`` lets a desk login change ``status`` only from
  ``entered`` to ``withdrawn`` and only while the month has no draw; USAGE on the three new sequences
  (0009 granted ALL SEQUENCES when it ran; these are granted here). No DELETE for anyone.
* fukufuku_manager (the draw): INSERT on ``lottery_draws``; UPDATE (booking_id) on ``lottery_wishes``;
  the status updates of the draw (won / lost) pass the guard for a manager. The 仮予約 themselves are
  bookings, written with the desk's grants on ``bookings``.
* nobody else: PUBLIC has no privileges on the new tables.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ("lottery_entries", "lottery_wishes", "lottery_draws")
SEQUENCES = tuple(f"{t}_id_seq" for t in TABLES)
OWNER_CHECK = "pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'MEMBER')"

PG_GUARD = f"""
    CREATE OR REPLACE FUNCTION fukufuku_lottery_entry_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF {OWNER_CHECK} OR pg_has_role(session_user, 'fukufuku_manager', 'MEMBER') THEN
            RETURN NEW;
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status
           AND NOT (OLD.status = 'entered' AND NEW.status = 'withdrawn') THEN
            RAISE EXCEPTION '抽選の申込の状態（当選・落選）は抽選でのみ変わります（管理者）'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (SELECT 1 FROM lottery_draws d WHERE d.month = OLD.month) THEN
            RAISE EXCEPTION '抽選の済んだ月の申込は変更できません' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """


def upgrade() -> None:
    op.create_table('lottery_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('entry_no', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('taken_by', sa.Integer(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by', sa.Integer(), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint('entry_no > 0', name='ck_lottery_entries_no'),
    sa.CheckConstraint("channel IN ('counter','phone')", name='ck_lottery_entries_channel'),
    sa.CheckConstraint("status IN ('entered','won','lost','withdrawn')", name='ck_lottery_entries_status'),
    sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], ),
    sa.ForeignKeyConstraint(['taken_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['withdrawn_by'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', 'entry_no', name='uq_lottery_entries_month_no')
    )
    op.create_index('ix_lottery_entries_group_month', 'lottery_entries', ['group_id', 'month'], unique=False)
    op.create_table('lottery_wishes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rank BETWEEN 1 AND 3', name='ck_lottery_wishes_rank'),
    sa.CheckConstraint('seq > 0', name='ck_lottery_wishes_seq'),
    sa.CheckConstraint('end_at > start_at', name='ck_lottery_wishes_times'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['lottery_entries.id'], ),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id', 'rank', 'seq', name='uq_lottery_wishes_entry_rank_seq')
    )
    op.create_table('lottery_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('seed', sa.Text(), nullable=False),
    sa.Column('digest', sa.Text(), nullable=False),
    sa.Column('algorithm', sa.Text(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_by', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('won', sa.Integer(), nullable=False),
    sa.Column('lost', sa.Integer(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', name='uq_lottery_draws_month')
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(PG_GUARD)
    op.execute("REVOKE ALL ON FUNCTION fukufuku_lottery_entry_guard() FROM PUBLIC")
    op.execute("CREATE TRIGGER trg_lottery_entry_guard BEFORE UPDATE ON lottery_entries "
               "FOR EACH ROW EXECUTE FUNCTION fukufuku_lottery_entry_guard()")
    tables = ", ".join(TABLES)
    op.execute(f"REVOKE ALL ON {tables} FROM PUBLIC")
    op.execute(f"REVOKE ALL ON SEQUENCE {', '.join(SEQUENCES)} FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fukufuku_desk') THEN
                GRANT SELECT ON {tables} TO fukufuku_desk;
                GRANT INSERT ON lottery_entries, lottery_wishes TO fukufuku_desk;
                GRANT UPDATE (status, withdrawn_at, withdrawn_by, withdraw_reason) ON lottery_entries
                    TO fukufuku_desk;
                GRANT USAGE, SELECT ON SEQUENCE {', '.join(SEQUENCES)} TO fukufuku_desk;
                GRANT INSERT ON lottery_draws TO fukufuku_manager;
                GRANT UPDATE (booking_id) ON lottery_wishes TO fukufuku_manager;
            END IF;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_lottery_entry_guard ON lottery_entries")
        op.execute("DROP FUNCTION IF EXISTS fukufuku_lottery_entry_guard()")
    op.drop_table('lottery_draws')
    op.drop_table('lottery_wishes')
    op.drop_index('ix_lottery_entries_group_month', table_name='lottery_entries')
    op.drop_table('lottery_entries')
