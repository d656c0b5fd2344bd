"""What the notices' tests share: volunteers at a center, and lots of credits expiring when a test says, all made
through the services and the ledger (integration, e2e and browser tests alike)."""
from __future__ import annotations

import uuid
from datetime import datetime

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.ledger import standalone
from timebank.ledger.postings import Cause
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
CAUSE = Cause("test", "test", "notices")


def open_center(db, code: str = "JK01", name: str = "大市口街道养老服务中心"):
    return create_center(db, actor=SYSTEM, code=code, name=name, district="京口区")


def new_volunteer(db, center, *, name: str = "王秀英"):
    return create_volunteer(db, actor=SYSTEM, name=name, phone=f"139{uuid.uuid4().int % 10**8:08d}",
                            home_center=center.code)


def lot(db, volunteer, center, amount: int, *, expires_at: datetime, now: datetime) -> int:
    """A new lot of ``amount`` hundredths in ``volunteer``'s account, minted at ``now``; its id."""
    return standalone.mint(db, account_id=volunteer.account_id, issuer_account_id=center.issuance_account_id,
                           amount=amount, expires_at=expires_at, key=f"notice-test:{uuid.uuid4().hex}", cause=CAUSE,
                           now=now).lot_id
