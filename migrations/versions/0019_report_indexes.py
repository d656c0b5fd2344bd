"""the hours report's index: approved service records by start, with what the report sums

``GET /reports/hours`` sums the approved records of a period per center, service type and month. Partial on
``status = 'approved'`` and holding every column the report reads, the period is one range of this index (an
index-only scan on PostgreSQL, a covering index on SQLite, which needs ``status`` in it too) instead of a scan of every record ever logged.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    approved = sa.text("status = 'approved'")
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.create_index('ix_service_record_approved_start',
                              ['started_at', 'center_id', 'service_type_id', 'minutes', 'credits', 'status'], unique=False,
                              sqlite_where=approved, postgresql_where=approved)


def downgrade() -> None:
    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_index('ix_service_record_approved_start')
