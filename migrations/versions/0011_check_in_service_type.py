"""the service a volunteer chose for an open check-in

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_type_id', sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key('fk_check_in_service_type_id', 'service_type', ['service_type_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_constraint('fk_check_in_service_type_id', type_='foreignkey')
        batch_op.drop_column('service_type_id')
