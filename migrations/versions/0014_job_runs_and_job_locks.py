"""jobs: every run of a scheduled job, and the lock rows SQLite uses for one run at a time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_lock',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=32), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('process_started', sa.String(length=32), nullable=True),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('job')
    )
    op.create_table('job_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('started_via', sa.String(length=16), nullable=False),
    sa.Column('started_by', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("outcome = 'running' OR finished_at IS NOT NULL", name='job_run_finished_when'),
    sa.CheckConstraint("outcome IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')", name='job_run_outcome'),
    sa.CheckConstraint("started_via IN ('schedule', 'command', 'api', 'page')", name='job_run_started_via'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_job_outcome', ['job', 'outcome', 'started_at'], unique=False)
        batch_op.create_index('ix_job_run_started', ['started_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_started')
        batch_op.drop_index('ix_job_run_job_outcome')

    op.drop_table('job_run')
    op.drop_table('job_lock')
