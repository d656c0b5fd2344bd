"""service requests and their claims

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('service_type_id', sa.BigInteger(), nullable=False),
    sa.Column('resident', sa.String(length=40), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('volunteers_needed', sa.SmallInteger(), nullable=False),
    sa.Column('claimed_count', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status IN ('open', 'claimed', 'completed', 'cancelled')", name='service_request_status'),
    sa.CheckConstraint('claimed_count BETWEEN 0 AND volunteers_needed', name='service_request_not_over_claimed'),
    sa.CheckConstraint('ends_at > starts_at', name='service_request_ends_after_start'),
    sa.CheckConstraint('volunteers_needed BETWEEN 1 AND 20', name='service_request_needed'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index('ix_service_request_center_time', ['center_id', 'starts_at'], unique=False)

    op.create_table('service_request_claim',
    sa.Column('request_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('claimed_by', sa.BigInteger(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['service_record.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('request_id', 'volunteer_id')
    )
    with op.batch_alter_table('service_request_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_request_claim_volunteer_id'), ['volunteer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_request_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_request_claim_volunteer_id'))

    op.drop_table('service_request_claim')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_center_time')

    op.drop_table('service_request')
