"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer  # noqa: F401
