"""Receipts for HTTP tests, made the way the product makes them: a real center and volunteer (through the centers
and volunteers services), receipts issued and revoked with ``timebank.receipts.services``."""
from __future__ import annotations

import os
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.receipts import keys, services
from timebank.receipts.codec import Kind, Payload, encode_payload, encode_token, signed_message

# The volunteer's private details: none of these may ever appear in a receipt's answer or page.
FULL_NAME = "王小英"
MASKED_NAME = "王*英"
PHONE = "13805291234"
ID_CARD_TAIL = "123X"


@dataclass
class ReceiptCity:
    db: object
    center_id: int
    other_center_id: int
    volunteer_id: int
    references: dict = field(default_factory=dict)  # receipt id → the reference it was issued for
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def issue(self, kind: Kind = Kind.SERVICE_RECORD, *, amount: int = 250, days: int = 730,
              now: datetime | None = None) -> services.IssuedReceipt:
        now = now or utcnow()
        reference = next(self._serial)
        issued = services.issue_receipt(self.db, kind=kind, center_id=self.center_id,
                                        volunteer_id=self.volunteer_id, amount=amount, reference=reference,
                                        expires_at=now + timedelta(days=days), now=now)
        self.references[issued.id] = reference
        return issued

    def revoke(self, receipt: services.IssuedReceipt, status: str, *, at_other_center: bool = False):
        reference = self.references[receipt.id]
        return services.revoke_receipt(self.db, kind=Kind.from_label(receipt.kind), reference=reference,
                                       status=status, center_id=self.other_center_id if at_other_center else None)

    def forged_with_an_unknown_key(self) -> str:
        """A well-formed token signed by a key the time bank never had (its id is not in the key list)."""
        payload = self._payload(key_id=9_999)
        payload_bytes = encode_payload(payload)
        return encode_token(payload_bytes + Ed25519PrivateKey.generate().sign(signed_message(payload_bytes)))

    def signed_but_never_issued(self) -> str:
        """A token our own active key signed that was never stored as a receipt."""
        def work(s):
            key_id, signer = keys.signing_key(s, self.db, utcnow())
            payload_bytes = encode_payload(self._payload(key_id=key_id))
            return encode_token(payload_bytes + signer.sign(signed_message(payload_bytes)))

        return self.db.transaction(work)

    def _payload(self, *, key_id: int) -> Payload:
        now = utcnow().replace(microsecond=0)
        return Payload(kind=Kind.SERVICE_RECORD, key_id=key_id, center_id=self.center_id,
                       volunteer_id=self.volunteer_id, amount=250, reference=999_999, single_use_id=os.urandom(8),
                       issued_at=now, expires_at=now + timedelta(days=30))


def receipt_city(db) -> ReceiptCity:
    from timebank.volunteers.services import create_volunteer

    system = Principal.system("test")
    center = create_center(db, actor=system, code="JK01", name="大市口街道养老服务中心", district="京口区")
    other = create_center(db, actor=system, code="RZ02", name="金山街道养老服务中心", district="润州区")
    volunteer = create_volunteer(db, actor=system, name=FULL_NAME, phone=PHONE, home_center="JK01",
                                 id_card_tail=ID_CARD_TAIL, birth_year=1956)
    keys.ensure_signing_key(db)
    return ReceiptCity(db=db, center_id=center.id, other_center_id=other.id, volunteer_id=volunteer.id)


def tampered(token: str) -> str:
    """The token with one character of its signature changed (still well-formed base32)."""
    position = len(token) - 10
    return token[:position] + ("1" if token[position] != "1" else "2") + token[position + 1:]

