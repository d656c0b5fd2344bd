"""pending volunteer imports: a checked file waits server-side for its confirmation

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pending_import',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.create_index('ix_pending_import_expires', ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_import_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_import_user_id'))
        batch_op.drop_index('ix_pending_import_expires')
    op.drop_table('pending_import')
