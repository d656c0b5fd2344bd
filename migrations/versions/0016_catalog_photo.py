"""catalog photos: an item's photo as the app re-encoded it, with a thumbnail

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_photo',
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('full', sa.LargeBinary(), nullable=False),
    sa.Column('thumb', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id')
    )


def downgrade() -> None:
    op.drop_table('catalog_photo')
