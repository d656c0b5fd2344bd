"""ledger: accounts, transfers, lots

Revision ID: 0001
Revises:
Create Date: 2026-11-27 06:34:24.991400
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=True),
    sa.Column('no_overdraft', sa.Boolean(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('volunteer', 'issuance', 'redemption', 'expiry')", name='account_kind'),
    sa.CheckConstraint('NOT no_overdraft OR debits_posted + debits_pending <= credits_posted', name='account_no_overdraft'),
    sa.CheckConstraint('debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0', name='account_totals_not_negative'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('ledger_refusal',
    sa.Column('idempotency_key', sa.String(length=160), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('idempotency_key')
    )
    op.create_table('transfer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('debit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('credit_account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('pending_id', sa.BigInteger(), nullable=True),
    sa.Column('reverses_id', sa.BigInteger(), nullable=True),
    sa.Column('timeout_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=160), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('reason_type', sa.String(length=40), nullable=False),
    sa.Column('reason_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(pending_id IS NOT NULL) = (kind IN ('post', 'void', 'timeout'))", name='transfer_resolution_names_hold'),
    sa.CheckConstraint("(reverses_id IS NOT NULL) = (kind = 'reversal')", name='transfer_reversal_names_original'),
    sa.CheckConstraint("(timeout_at IS NOT NULL) = (kind = 'pending')", name='transfer_hold_has_timeout'),
    sa.CheckConstraint("kind IN ('mint', 'pending', 'post', 'void', 'timeout', 'expire', 'reversal')", name='transfer_kind'),
    sa.CheckConstraint('amount > 0', name='transfer_amount_positive'),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name='transfer_two_accounts'),
    sa.ForeignKeyConstraint(['credit_account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['debit_account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['pending_id'], ['transfer.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('pending_id'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_credit_account', ['credit_account_id', 'id'], unique=False)
        batch_op.create_index('ix_transfer_debit_account', ['debit_account_id', 'id'], unique=False)
        batch_op.create_index('ix_transfer_open_holds', ['kind', 'timeout_at'], unique=False)
        batch_op.create_index('ix_transfer_reason', ['reason_type', 'reason_id'], unique=False)

    op.create_table('lot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('mint_transfer_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name='lot_amount_positive'),
    sa.CheckConstraint('expired_at IS NULL OR remaining = 0', name='lot_expired_is_empty'),
    sa.CheckConstraint('remaining >= 0 AND remaining <= amount', name='lot_remaining_in_range'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['mint_transfer_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mint_transfer_id')
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.create_index('ix_lot_due', ['expires_at'], unique=False)
        batch_op.create_index('ix_lot_fifo', ['account_id', 'expires_at', 'id'], unique=False)

    op.create_table('lot_movement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transfer_id', sa.BigInteger(), nullable=False),
    sa.Column('lot_id', sa.BigInteger(), nullable=False),
    sa.Column('delta', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('delta <> 0', name='lot_movement_not_zero'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lot_movement', schema=None) as batch_op:
        batch_op.create_index('ix_lot_movement_lot', ['lot_id'], unique=False)
        batch_op.create_index('ix_lot_movement_transfer', ['transfer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lot_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_movement_transfer')
        batch_op.drop_index('ix_lot_movement_lot')

    op.drop_table('lot_movement')
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_fifo')
        batch_op.drop_index('ix_lot_due')

    op.drop_table('lot')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_reason')
        batch_op.drop_index('ix_transfer_open_holds')
        batch_op.drop_index('ix_transfer_debit_account')
        batch_op.drop_index('ix_transfer_credit_account')

    op.drop_table('transfer')
    op.drop_table('ledger_refusal')
    op.drop_table('account')
