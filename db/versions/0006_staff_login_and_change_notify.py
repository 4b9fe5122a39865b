"""staff login (password hash, lock-out) and change notification for other terminals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:10:00

On PostgreSQL every audit entry (every change writes one) sends ``NOTIFY fukufuku_changes`` with
the entity name, so other terminals refresh within a second without polling. SQLite terminals poll
``PRAGMA data_version`` instead (see booking_app/ui/change_watch.py).
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            """
            CREATE FUNCTION fukufuku_notify_change() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('fukufuku_changes', NEW.entity);
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER trg_audit_notify AFTER INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION fukufuku_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_audit_notify ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS fukufuku_notify_change()")
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('password_hash')
