"""signed receipts: signing keys, receipts, revocations

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signing_key',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signs_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'verify_only', 'retired')", name='signing_key_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_key')
    )
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.create_index('ux_signing_key_one_active', ['status'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('receipt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.BigInteger(), nullable=False),
    sa.Column('single_use_id', sa.LargeBinary(length=8), nullable=False),
    sa.Column('short_code', sa.String(length=10), nullable=False),
    sa.Column('token', sa.String(length=320), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('service_record', 'voucher', 'certificate')", name='receipt_kind'),
    sa.CheckConstraint('amount >= 0', name='receipt_amount_not_negative'),
    sa.CheckConstraint('expires_at >= issued_at', name='receipt_expires_after_issue'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['key_id'], ['signing_key.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('short_code'),
    sa.UniqueConstraint('single_use_id')
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_key_expiry', ['key_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('ux_receipt_reference', ['kind', 'reference'], unique=True)

    op.create_table('receipt_revocation',
    sa.Column('receipt_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('reversed', 'redeemed', 'cancelled')", name='receipt_revocation_status'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], ),
    sa.PrimaryKeyConstraint('receipt_id')
    )
    with op.batch_alter_table('receipt_revocation', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_revocation_at', ['revoked_at', 'receipt_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('receipt_revocation', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_revocation_at')

    op.drop_table('receipt_revocation')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('ux_receipt_reference')
        batch_op.drop_index(batch_op.f('ix_receipt_volunteer_id'))
        batch_op.drop_index('ix_receipt_key_expiry')

    op.drop_table('receipt')
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_index('ux_signing_key_one_active', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.drop_table('signing_key')
