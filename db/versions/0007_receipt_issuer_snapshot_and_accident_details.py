"""receipt issuer snapshot; accident report reporter, contact and witnesses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

A receipt keeps the issuer (centre, 指定管理者, address, phone) as it was when issued, so a reissue
or a void prints what the original said (issue 13, item 11). Older receipts keep NULL and print the
current issuer, as before. An accident report records who reports it, their contact and the
witnesses, which the insurer asks for (issue 13, item 13).
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_centre_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('issuer_operator', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('issuer_address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('issuer_phone', sa.String(length=40), nullable=True))
    with op.batch_alter_table('accident_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reporter_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('witnesses', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('accident_reports', schema=None) as batch_op:
        batch_op.drop_column('witnesses')
        batch_op.drop_column('reporter_phone')
        batch_op.drop_column('reporter_name')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_column('issuer_phone')
        batch_op.drop_column('issuer_address')
        batch_op.drop_column('issuer_operator')
        batch_op.drop_column('issuer_centre_name')
