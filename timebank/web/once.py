"""A form that moves credits or stock does it once, however often it is sent (SPEC §4.5, for the pages).

The page puts a fresh key into the form when it renders it (``new_key``, a hidden ``form_key`` input). The view
that receives the form runs its action through ``run_once``: in ONE unit of work the key is looked up, claimed, the
action runs (its services join the unit) and the address it leads to is stored under the key, so the key and the
effect commit together or not at all. A second tap of the same button, or the same form sent again after a dropped
connection, finds the stored address and goes there without running the action again: one reservation, not two.

A refusal (any ``DomainError``, a ``ValidationError``) rolls the whole unit back, the key's claim included: the page
shows why, with a new key, and the person corrects the form and sends it again. The same key with other choices
(the form changed and sent under the key of an earlier send) is refused with ``IdempotencyConflict``.

Keys are kept beside the API's, scoped to the signed-in user and prefixed ``form:``, so a page's key never answers
an API request or the other way round.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Callable

from flask import request

from timebank.db import Database
from timebank.idempotency import services as keys
from timebank.idempotency.http import principal_key
from timebank.web.access import current_principal

FIELD = "form_key"
_KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    """A key for one rendering of a form."""
    return uuid.uuid4().hex


def submitted_key() -> str | None:
    """The key the form was sent with, or ``None`` when it is missing or not one of ours."""
    key = request.form.get(FIELD, "").strip().lower()
    return key if _KEY.fullmatch(key) else None


def run_once(db: Database, *, key: str, asked: dict, action: Callable[[], str]) -> tuple[str, bool]:
    """Run ``action`` (it returns the address to go to next) once under ``key`` for what was ``asked`` (the loaded
    form: what makes two sends "the same"). Returns ``(address, replayed)``: ``replayed`` is true when an earlier
    send under this key did it already."""
    who = principal_key(current_principal())
    scoped = f"form:{key}"
    identity = keys.identify("POST", request.path, [], json.dumps(asked, sort_keys=True, default=str).encode())

    def work(s) -> tuple[str, bool]:
        stored = keys.find_answer(s, caller=who, key=scoped, request=identity)
        if stored is not None:
            return stored.headers["Location"], True
        keys.claim(s, caller=who, key=scoped, request=identity)
        location = action()
        keys.store_answer(s, caller=who, key=scoped, answer=keys.Answer(status=303, content_type="", body=b"",
                                                                         headers={"Location": location}))
        return location, False

    return db.transaction(work)
