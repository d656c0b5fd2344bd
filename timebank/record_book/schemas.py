"""What crosses the HTTP boundary for an account and a record book (SPEC §8): credits as decimal strings."""
from __future__ import annotations

from marshmallow import fields

from timebank.hours.schemas import RecordSchema
from timebank.record_book.queries import RECORD
from timebank.schemas import Credits, PageSchema, PagingQuerySchema, Schema

ENTRY_KINDS = (RECORD, "mint", "pending", "post", "void", "timeout", "expire", "reversal")


class LotSchema(Schema):
    remaining = Credits(dump_only=True, metadata={"description": "what is left of the lot, neither held nor spent"})
    expires_at = fields.AwareDateTime(dump_only=True, format="iso")


class AccountSchema(Schema):
    balance = Credits(dump_only=True)
    held = Credits(dump_only=True, metadata={"description": "reserved by holds (reservations not yet picked up)"})
    available = Credits(dump_only=True, metadata={"description": "balance minus held: what can be spent now"})
    lots = fields.List(fields.Nested(LotSchema), dump_only=True,
                       metadata={"description": "the live lots, soonest expiry first (in a statement: the "
                                                "soonest 20 of them; the account lists every one)"})
    lot_count = fields.Integer(dump_only=True, metadata={"description": "how many live lots there are in all"})
    expiring_30d = Credits(dump_only=True, metadata={"description": "what the lots lose in the next 30 days "
                                                                    "unless spent first"})


class EntrySchema(Schema):
    at = fields.AwareDateTime(dump_only=True, format="iso",
                              metadata={"description": "when the credits moved, or when the record was logged"})
    kind = fields.String(dump_only=True, metadata={"description": " | ".join(ENTRY_KINDS) + " (record: a service "
                                                                 "record that moved no credits)"})
    transfer_id = fields.Integer(dump_only=True, allow_none=True)
    amount = Credits(dump_only=True, allow_none=True, metadata={"description": "the credits the transfer moved"})
    change = fields.Function(lambda entry: _signed(entry.change), dump_only=True,
                             metadata={"type": "string", "description": "what the entry did to the balance, "
                                                                        "signed: \"+1.50\", \"-0.50\", \"0.00\""})
    balance = Credits(dump_only=True, metadata={"description": "the balance after this entry"})
    held = Credits(dump_only=True, metadata={"description": "what was held after this entry"})
    record = fields.Nested(RecordSchema, dump_only=True, allow_none=True,
                           metadata={"description": "the service record, with its receipt once approved"})


def _signed(amount: int) -> str:
    whole, frac = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else '+' if amount > 0 else ''}{whole}.{frac:02d}"


class StatementSchema(PageSchema):
    items = fields.List(fields.Nested(EntrySchema), required=True,
                        metadata={"description": "newest first; page 1 is the latest"})
    account = fields.Nested(AccountSchema, dump_only=True)


class StatementQuerySchema(PagingQuerySchema):
    pass
