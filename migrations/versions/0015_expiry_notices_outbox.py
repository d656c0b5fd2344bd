"""expiry notices (one per lot and window) and the outbox a channel sends from

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expiry_notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('lot_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('expiring_30d', 'expiring_7d')", name='expiry_notice_kind'),
    sa.CheckConstraint('credits > 0', name='expiry_notice_credits_positive'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('expiry_notice', schema=None) as batch_op:
        batch_op.create_index('ix_expiry_notice_volunteer', ['volunteer_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ux_expiry_notice_lot_kind', ['lot_id', 'kind'], unique=True)

    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('notice_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'wechat')", name='outbox_message_channel'),
    sa.ForeignKeyConstraint(['notice_id'], ['expiry_notice.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_unsent', ['channel', 'id'], unique=False, sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))
        batch_op.create_index('ux_outbox_message_notice_channel', ['notice_id', 'channel'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ux_outbox_message_notice_channel')
        batch_op.drop_index('ix_outbox_message_unsent', sqlite_where=sa.text('sent_at IS NULL'), postgresql_where=sa.text('sent_at IS NULL'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('expiry_notice', schema=None) as batch_op:
        batch_op.drop_index('ux_expiry_notice_lot_kind')
        batch_op.drop_index('ix_expiry_notice_volunteer')

    op.drop_table('expiry_notice')
