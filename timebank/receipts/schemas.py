"""What crosses the HTTP boundary for receipts: the published key list, the revocation list, and what checking a
receipt tells (SPEC §5: never more than valid or not, kind, amount, center, date, the masked name, and status).

The key and revocation lists are also the files an offline verifier keeps (``timebank receipts keys --output``,
``timebank receipts revocations --output``): ``verification.load_key_list`` and ``load_revocation_list`` read them.
"""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.receipts.codec import KIND_LABELS
from timebank.receipts.verification import encode_public_key
from timebank.schemas import PageSchema, PagingQuerySchema, Schema
from timebank.paging import MAX_PER_PAGE


class KeySchema(Schema):
    key_id = fields.Integer(attribute="id", dump_only=True)
    algorithm = fields.Constant("Ed25519", dump_only=True)
    public_key = fields.Function(lambda key: encode_public_key(key.public_key), dump_only=True,
                                 metadata={"description": "the raw 32-byte Ed25519 public key, base64url unpadded"})
    status = fields.String(dump_only=True, metadata={"description": "active (signs now), verify_only (signs no "
                                                                    "more, still verifies), retired"})
    valid_from = fields.AwareDateTime(dump_only=True, format="iso")
    signs_until = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    valid_until = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True,
                                       metadata={"description": "when the last receipt it signed expires"})


class KeyPageSchema(PageSchema):
    items = fields.List(fields.Nested(KeySchema), required=True)


class KeyListQuerySchema(PagingQuerySchema):
    per_page = fields.Integer(load_default=MAX_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class RevocationSchema(Schema):
    single_use_id = fields.Function(lambda row: bytes(row.single_use_id).hex(), dump_only=True,
                                    metadata={"description": "the receipt's random single-use id, 16 hex digits"})
    status = fields.String(dump_only=True, metadata={"description": "reversed, redeemed or cancelled"})
    revoked_at = fields.AwareDateTime(dump_only=True, format="iso")


class RevocationPageSchema(PageSchema):
    items = fields.List(fields.Nested(RevocationSchema), required=True)


class RevocationQuerySchema(PagingQuerySchema):
    since = fields.AwareDateTime(format="iso", metadata={"description": "only revocations at or after this time"})
    per_page = fields.Integer(load_default=MAX_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class ReceiptQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(KIND_LABELS),
                         metadata={"description": "the kind expected; another kind answers valid false, wrong_kind"})
