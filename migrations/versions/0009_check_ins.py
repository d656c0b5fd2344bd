"""check-ins by the center's rotating QR poster

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('check_in',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing', sa.String(length=16), nullable=True),
    sa.Column('record_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("closing IN ('checked_out', 'stale', 'overlap')", name='check_in_closing'),
    sa.CheckConstraint('(closed_at IS NULL) = (closing IS NULL)', name='check_in_closed_with_closing'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['service_record.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index('ix_check_in_open_since', ['checked_in_at'], unique=False, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.create_index('ix_check_in_volunteer_closed', ['volunteer_id', 'closed_at'], unique=False)
        batch_op.create_index('ux_check_in_open', ['volunteer_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('ux_check_in_open', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_check_in_volunteer_closed')
        batch_op.drop_index('ix_check_in_open_since', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.drop_table('check_in')
