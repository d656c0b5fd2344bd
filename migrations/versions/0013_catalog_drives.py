"""catalog and drives: items, drives with stock per center, reservations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sku', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price > 0 AND price <= 1000000', name='catalog_item_price'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sku')
    )
    op.create_table('drive',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pickup_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name='drive_closes_after_opening'),
    sa.CheckConstraint('pickup_until >= closes_at', name='drive_pickup_after_closing'),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.create_index('ix_drive_opens', ['opens_at', 'id'], unique=False)

    op.create_table('drive_center',
    sa.Column('drive_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('center_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['drive_id'], ['drive.id'], ),
    sa.PrimaryKeyConstraint('drive_id', 'center_id')
    )
    op.create_table('drive_item',
    sa.Column('drive_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('limit_per_volunteer', sa.Integer(), nullable=True),
    sa.CheckConstraint('limit_per_volunteer IS NULL OR limit_per_volunteer BETWEEN 1 AND 999', name='drive_item_limit'),
    sa.ForeignKeyConstraint(['drive_id'], ['drive.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], ),
    sa.PrimaryKeyConstraint('drive_id', 'item_id')
    )
    op.create_table('drive_stock',
    sa.Column('drive_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('center_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.CheckConstraint('held + sold <= stock', name='drive_stock_within_stock'),
    sa.CheckConstraint('held >= 0 AND sold >= 0', name='drive_stock_not_negative'),
    sa.CheckConstraint('stock <= 1000000', name='drive_stock_bounded'),
    sa.ForeignKeyConstraint(['drive_id', 'center_id'], ['drive_center.drive_id', 'drive_center.center_id'], name='fk_drive_stock_center'),
    sa.ForeignKeyConstraint(['drive_id', 'item_id'], ['drive_item.drive_id', 'drive_item.item_id'], name='fk_drive_stock_item'),
    sa.PrimaryKeyConstraint('drive_id', 'center_id', 'item_id')
    )
    op.create_table('reservation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('drive_id', sa.BigInteger(), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('walk_up', sa.Boolean(), nullable=False),
    sa.Column('hold_transfer_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_by', sa.BigInteger(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.BigInteger(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name='reservation_cancelled_when'),
    sa.CheckConstraint("status <> 'fulfilled' OR fulfilled_at IS NOT NULL", name='reservation_fulfilled_when'),
    sa.CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name='reservation_voided_when'),
    sa.CheckConstraint("status IN ('held', 'fulfilled', 'cancelled', 'voided')", name='reservation_status'),
    sa.CheckConstraint('total > 0', name='reservation_total_positive'),
    sa.ForeignKeyConstraint(['cancelled_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['drive_id', 'center_id'], ['drive_center.drive_id', 'drive_center.center_id'], name='fk_reservation_drive_center'),
    sa.ForeignKeyConstraint(['drive_id'], ['drive.id'], ),
    sa.ForeignKeyConstraint(['fulfilled_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['hold_transfer_id'], ['transfer.id'], ),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hold_transfer_id')
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_drive_center_status', ['drive_id', 'center_id', 'status'], unique=False)
        batch_op.create_index('ix_reservation_drive_volunteer', ['drive_id', 'volunteer_id'], unique=False)
        batch_op.create_index('ix_reservation_status_drive', ['status', 'drive_id'], unique=False)
        batch_op.create_index('ix_reservation_volunteer_created', ['volunteer_id', 'created_at'], unique=False)

    op.create_table('reservation_line',
    sa.Column('reservation_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99', name='reservation_line_quantity'),
    sa.CheckConstraint('unit_price > 0', name='reservation_line_price_positive'),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_item.id'], ),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], ),
    sa.PrimaryKeyConstraint('reservation_id', 'item_id')
    )


def downgrade() -> None:
    op.drop_table('reservation_line')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_volunteer_created')
        batch_op.drop_index('ix_reservation_status_drive')
        batch_op.drop_index('ix_reservation_drive_volunteer')
        batch_op.drop_index('ix_reservation_drive_center_status')

    op.drop_table('reservation')
    op.drop_table('drive_stock')
    op.drop_table('drive_item')
    op.drop_table('drive_center')
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.drop_index('ix_drive_opens')

    op.drop_table('drive')
    op.drop_table('catalog_item')
