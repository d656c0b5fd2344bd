"""review periods: two-month periods, each center's sample (drawn once), evaluations, anomaly explanations, published results

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 22:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_period',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.SmallInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name='review_period_status'),
    sa.CheckConstraint('ends_at > starts_at', name='review_period_ends_after_start'),
    sa.CheckConstraint('number BETWEEN 1 AND 6', name='review_period_number'),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_period', schema=None) as batch_op:
        batch_op.create_index('ux_review_period_year_number', ['year', 'number'], unique=True)

    op.create_table('anomaly_explanation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('period_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('anomaly_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('explained_by', sa.BigInteger(), nullable=True),
    sa.Column('explained_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['explained_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['review_period.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('anomaly_explanation', schema=None) as batch_op:
        batch_op.create_index('ux_anomaly_explanation_key', ['period_id', 'center_id', 'anomaly_key'], unique=True)

    op.create_table('review_draw',
    sa.Column('period_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('drawn_by', sa.BigInteger(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['drawn_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['review_period.id'], ),
    sa.PrimaryKeyConstraint('period_id', 'center_id')
    )
    op.create_table('review_evaluation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('period_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('supervisor_id', sa.BigInteger(), nullable=False),
    sa.Column('punctuality', sa.SmallInteger(), nullable=False),
    sa.Column('service_quality', sa.SmallInteger(), nullable=False),
    sa.Column('record_keeping', sa.SmallInteger(), nullable=False),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('punctuality BETWEEN 1 AND 5', name='review_evaluation_punctuality'),
    sa.CheckConstraint('record_keeping BETWEEN 1 AND 5', name='review_evaluation_record_keeping'),
    sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name='review_evaluation_satisfaction'),
    sa.CheckConstraint('service_quality BETWEEN 1 AND 5', name='review_evaluation_service_quality'),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['review_period.id'], ),
    sa.ForeignKeyConstraint(['supervisor_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_evaluation', schema=None) as batch_op:
        batch_op.create_index('ux_review_evaluation_once', ['period_id', 'center_id', 'supervisor_id'], unique=True)

    op.create_table('review_result',
    sa.Column('period_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['review_period.id'], ),
    sa.PrimaryKeyConstraint('period_id', 'center_id')
    )
    with op.batch_alter_table('review_result', schema=None) as batch_op:
        batch_op.create_index('ix_review_result_center', ['center_id', 'period_id'], unique=False)

    op.create_table('review_sample',
    sa.Column('period_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['review_period.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['service_record.id'], ),
    sa.PrimaryKeyConstraint('period_id', 'center_id', 'position')
    )
    with op.batch_alter_table('review_sample', schema=None) as batch_op:
        batch_op.create_index('ux_review_sample_record', ['period_id', 'center_id', 'record_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('review_sample', schema=None) as batch_op:
        batch_op.drop_index('ux_review_sample_record')

    op.drop_table('review_sample')
    with op.batch_alter_table('review_result', schema=None) as batch_op:
        batch_op.drop_index('ix_review_result_center')

    op.drop_table('review_result')
    with op.batch_alter_table('review_evaluation', schema=None) as batch_op:
        batch_op.drop_index('ux_review_evaluation_once')

    op.drop_table('review_evaluation')
    op.drop_table('review_draw')
    with op.batch_alter_table('anomaly_explanation', schema=None) as batch_op:
        batch_op.drop_index('ux_anomaly_explanation_key')

    op.drop_table('anomaly_explanation')
    with op.batch_alter_table('review_period', schema=None) as batch_op:
        batch_op.drop_index('ux_review_period_year_number')

    op.drop_table('review_period')
