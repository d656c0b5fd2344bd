"""``/api/v1/volunteers/{id}/account`` and ``/statement`` (SPEC §8): load, one query, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.record_book import queries
from timebank.record_book.permissions import READ_RECORD_BOOK
from timebank.record_book.schemas import AccountSchema, StatementQuerySchema, StatementSchema

STATEMENT_LOTS = 20

blp = ApiBlueprint("record-book", __name__, description="A volunteer's account and record book (时间银行记录本)")


@blp.get("/volunteers/<int:volunteer_id>/account")
@allow(READ_RECORD_BOOK)
@blp.response(200, AccountSchema, description="the balance, what is held and available, the live lots")
def get_account(volunteer_id: int):
    """A volunteer's account (a volunteer: their own; staff: their center's volunteers; others are 404)"""
    return queries.get_account(get_db(), actor=current_principal(), volunteer_id=volunteer_id)


@blp.get("/volunteers/<int:volunteer_id>/statement")
@allow(READ_RECORD_BOOK)
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(200, StatementSchema, description="one page of the record book, newest first, with the balance "
                                                "after each entry")
def get_statement(query, volunteer_id: int):
    """A volunteer's record book: every service record and every movement of credits, newest first"""
    # The soonest lots only: a page of the history must not carry a long-serving volunteer's thousands of lots.
    book = queries.get_record_book(get_db(), actor=current_principal(), volunteer_id=volunteer_id,
                                   lot_limit=STATEMENT_LOTS, **query)
    entries = book.entries
    return {"items": entries.items, "total": entries.total, "page": entries.page, "per_page": entries.per_page,
            "pages": entries.pages, "account": book.account}
