"""service certificates (志愿服务记录证明): each one issued, what it certified, one per volunteer, day and content

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('total_minutes', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('total_minutes >= 0', name='certificate_minutes_not_negative'),
    sa.CheckConstraint('record_count >= 0', name='certificate_records_not_negative'),
    sa.CheckConstraint('period_to IS NULL OR period_from IS NULL OR period_to >= period_from',
                       name='certificate_period_in_order'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['issued_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ux_certificate_same_day', ['volunteer_id', 'issued_on', 'fingerprint'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ux_certificate_same_day')
    op.drop_table('certificate')
