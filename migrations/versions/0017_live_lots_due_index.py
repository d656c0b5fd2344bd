"""the index of lots by date holds only the live ones, with their ids: the expiry job's batches, soonest first

The expiry job takes the lots past their date in batches (``WHERE expired_at IS NULL AND expires_at <= now ORDER BY
expires_at, id``). Over all lots, that index kept every lot ever expired in front of the ones due today, and each run
walked them all; partial on ``expired_at IS NULL``, a lot leaves it when it expires, so a run reads only what is due.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    live = sa.text("expired_at IS NULL")
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_due')
        batch_op.create_index('ix_lot_due', ['expires_at', 'id'], unique=False,
                              sqlite_where=live, postgresql_where=live)


def downgrade() -> None:
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_due')
        batch_op.create_index('ix_lot_due', ['expires_at'], unique=False)
