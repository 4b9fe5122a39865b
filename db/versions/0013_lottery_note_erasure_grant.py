"""lottery entries' 備考 erasable by a manager: the grant 匿名化 needs (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:10:00

A group's 匿名化 (services/privacy.py, a manager's act) blanks the 備考 of its lottery entries. 0011 let a
manager through the entry guard trigger but granted no UPDATE of ``note``: on PostgreSQL a manager's own
login was refused. No table changes; SQLite has no grants.
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fukufuku_manager') THEN
                GRANT UPDATE (note) ON lottery_entries TO fukufuku_manager;
            END IF;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fukufuku_manager') THEN
                REVOKE UPDATE (note) ON lottery_entries FROM fukufuku_manager;
            END IF;
        END $$""")
