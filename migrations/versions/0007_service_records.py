"""service records, residents' confirmations, supervisors' reviews

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('service_type_id', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('missing_check_out', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sa.BigInteger(), nullable=True),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.Column('import_key', sa.String(length=64), nullable=True),
    sa.Column('entered_by', sa.BigInteger(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('credits', sa.BigInteger(), nullable=True),
    sa.Column('mint_transfer_id', sa.BigInteger(), nullable=True),
    sa.Column('reversed_by', sa.BigInteger(), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reverse_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("source IN ('staff', 'activity', 'check_in', 'import', 'request')", name='service_record_source'),
    sa.CheckConstraint("status <> 'approved' OR credits IS NOT NULL", name='service_record_approved_has_credits'),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'reversed')", name='service_record_status'),
    sa.CheckConstraint('ended_at > started_at', name='service_record_ends_after_start'),
    sa.CheckConstraint('minutes BETWEEN 1 AND 720', name='service_record_minutes'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['entered_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['mint_transfer_id'], ['transfer.id'], ),
    sa.ForeignKeyConstraint(['reversed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('import_key'),
    sa.UniqueConstraint('mint_transfer_id')
    )
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index('ix_service_record_activity', ['activity_id'], unique=False)
        batch_op.create_index('ix_service_record_center_status', ['center_id', 'status', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_record_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_service_record_volunteer_time', ['volunteer_id', 'started_at'], unique=False)

    op.create_table('record_confirmation',
    sa.Column('record_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name='confirmation_rating'),
    sa.ForeignKeyConstraint(['record_id'], ['service_record.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('record_id')
    )
    op.create_table('record_review',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name='review_rating'),
    sa.ForeignKeyConstraint(['record_id'], ['service_record.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_review', schema=None) as batch_op:
        batch_op.create_index('ux_record_review_once', ['record_id', 'reviewer_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('record_review', schema=None) as batch_op:
        batch_op.drop_index('ux_record_review_once')

    op.drop_table('record_review')
    op.drop_table('record_confirmation')
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index('ix_service_record_volunteer_time')
        batch_op.drop_index(batch_op.f('ix_service_record_request_id'))
        batch_op.drop_index('ix_service_record_center_status')
        batch_op.drop_index('ix_service_record_activity')

    op.drop_table('service_record')
