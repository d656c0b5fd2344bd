"""What crosses the HTTP boundary for receipts: the published key list, the revocation list, and what checking a
receipt tells (SPEC §5: never more than valid or not, kind, amount, center, date, the masked name, and status).

The key and revocation lists are also the files an offline verifier keeps (``timebank receipts keys --output``,
``timebank receipts revocations --output``): ``verification.load_key_list`` and ``load_revocation_list`` read them.
"""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.paging import MAX_PER_PAGE
from timebank.receipts.codec import KIND_LABELS
from timebank.receipts.rules import INVALID_REASONS, STATUSES
from timebank.receipts.verification import encode_public_key
from timebank.schemas import PageSchema, PagingQuerySchema, Schema


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


class ReceiptCheckSchema(Schema):
    """What checking a receipt answers (SPEC §8 and §8.1): dumped from ``timebank.receipts.facts.ReceiptFacts``."""

    valid = fields.Boolean(required=True, dump_only=True)
    status = fields.String(required=True, dump_only=True, metadata={
        "enum": [*STATUSES, "invalid"], "description": "valid, reversed, redeemed, cancelled, expired or invalid"})
    reason = fields.String(required=True, dump_only=True, allow_none=True, metadata={
        "enum": [*INVALID_REASONS, None], "description": "why it is invalid (null unless status is invalid)"})
    message = fields.String(required=True, dump_only=True,
                            metadata={"description": "the status and reason in words, in the caller's language"})
    kind = fields.String(required=True, dump_only=True, allow_none=True,
                         metadata={"enum": [*KIND_LABELS, None], "description": "null when nothing is known of it"})
    credits = fields.String(required=True, dump_only=True, allow_none=True, metadata={
        "pattern": r"^\d+\.\d{2}$", "example": "1.50",
        "description": "service records and vouchers, a decimal string (null for a certificate)"})
    minutes = fields.Integer(required=True, dump_only=True, allow_none=True,
                             metadata={"description": "a certificate's service time (null otherwise)"})
    center = fields.String(required=True, dump_only=True, allow_none=True, metadata={"description": "center code"})
    center_name = fields.String(required=True, dump_only=True, allow_none=True)
    issued_at = fields.AwareDateTime(required=True, dump_only=True, allow_none=True, format="iso")
    expires_at = fields.AwareDateTime(required=True, dump_only=True, allow_none=True, format="iso")
    volunteer = fields.String(required=True, dump_only=True, allow_none=True,
                              metadata={"description": "the volunteer's masked name, such as 王*英"})
    short_code = fields.String(required=True, dump_only=True, allow_none=True,
                               metadata={"description": "the code to read aloud or type, such as K7QXM-3PA9W"})
    url = fields.String(required=True, dump_only=True, allow_none=True,
                        metadata={"description": "exactly the text the receipt's QR code encodes"})
    redeemed_at = fields.AwareDateTime(required=True, dump_only=True, allow_none=True, format="iso")
    redeemed_center = fields.String(required=True, dump_only=True, allow_none=True,
                                    metadata={"description": "where a redeemed voucher was used (center code)"})
    status_since = fields.AwareDateTime(required=True, dump_only=True, allow_none=True, format="iso",
                                        metadata={"description": "when it was reversed, redeemed or cancelled"})
