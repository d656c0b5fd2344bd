"""indexes the record book pages by: an account's transfers and a volunteer's records, by time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:40:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_debit_time', ['debit_account_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_transfer_credit_time', ['credit_account_id', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index('ix_service_record_volunteer_entered', ['volunteer_id', 'entered_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index('ix_service_record_volunteer_entered')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_credit_time')
        batch_op.drop_index('ix_transfer_debit_time')
