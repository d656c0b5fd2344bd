"""Server time. Every timestamp the ledger stores comes from here, in UTC."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
