"""every center gets its own redemption and expiry sink, found by (center_id, kind)

A posting locks the account rows it changes until it commits, so the one city-wide redemption sink would queue every
pickup of a drive day, and the one expiry sink every expiry. Each center now has its own two sinks
(``redemption:<code>``, ``expiry:<code>``, carrying the center's id), and a unique partial index per kind finds a
center's sink and allows only one. Existing centers get theirs here; their issuance accounts get their center's id
where it was missing, so the expiry of what a center minted finds its sink. The city-wide ``sink:redemption`` and
``sink:expiry`` stay as they are: what was already credited to them is valid history.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SINK_KINDS = ('redemption', 'expiry')


def upgrade() -> None:
    # An issuance account names its center (create_center does it since 0002; this mends any that does not).
    op.execute(sa.text(
        "UPDATE account SET center_id = (SELECT center.id FROM center WHERE center.issuance_account_id = account.id) "
        "WHERE kind = 'issuance' AND center_id IS NULL "
        "AND EXISTS (SELECT 1 FROM center WHERE center.issuance_account_id = account.id)"))
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as timebank.db.UTCDateTime stores it: naive UTC text
    for kind in SINK_KINDS:
        op.execute(sa.text(
            "INSERT INTO account (code, kind, center_id, no_overdraft, debits_pending, debits_posted, "
            "credits_pending, credits_posted, created_at) "
            f"SELECT '{kind}:' || center.code, '{kind}', center.id, :no_overdraft, 0, 0, 0, 0, :now "
            "FROM center WHERE NOT EXISTS (SELECT 1 FROM account a "
            f"WHERE a.code = '{kind}:' || center.code OR (a.center_id = center.id AND a.kind = '{kind}')) "
            "ORDER BY center.id").bindparams(sa.bindparam("no_overdraft", True, type_=sa.Boolean()),
                                               sa.bindparam("now", now, type_=sa.DateTime(timezone=True))))
    with op.batch_alter_table('account', schema=None) as batch_op:
        for kind in SINK_KINDS:
            where = sa.text(f"kind = '{kind}'")
            batch_op.create_index(f'ux_account_{kind}_sink', ['center_id'], unique=True,
                                  sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        for kind in reversed(SINK_KINDS):
            batch_op.drop_index(f'ux_account_{kind}_sink')
    # The sinks stay: transfers may name them, and transfers are never deleted.
