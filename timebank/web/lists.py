"""What every list page shares beside its template macro (``_lists.html``): the filters it offers, reading its
query leniently, and the one activate/deactivate view.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from timebank.auth.access import Permission, allow
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.web.access import current_principal, safe_next
from timebank.web.forms import FormState, flash_refusal


@dataclass(frozen=True)
class ListFilter:
    """One drop-down of a list's search form; ``options`` are (value, text) pairs, values as in the address."""

    name: str
    label: object
    options: tuple[tuple[str, object], ...]
    all_label: object = None


def status_filter() -> ListFilter:
    return ListFilter("active", _l("Status"), (("true", _l("Active")), ("false", _l("Inactive"))))


def add_active_toggle(bp: Blueprint, rule: str, *, permission: Permission, change: Callable,
                      activated: Callable[[object], str], deactivated: Callable[[object], str],
                      back: str) -> None:
    """Register ``POST rule`` as ``<bp>.set_active``: the button of ``_lists.active_toggle``.

    ``change(db, actor=…, active=…, **path_args)`` is the feature's service; ``activated``/``deactivated`` say what
    happened, and the page goes back to the list it came from (``next``) or to ``back``.
    """

    @allow(permission)
    def set_active(**path_args):
        wanted = request.form.get("active", "")
        state = FormState()
        if wanted not in ("true", "false"):
            state.errors["active"] = [str(_l("This value is not valid."))]
        else:
            try:
                item = change(get_db(), actor=current_principal(), active=wanted == "true", **path_args)
            except DomainError as error:
                state.refuse(error)
            else:
                flash(activated(item) if wanted == "true" else deactivated(item), "success")
        if not state.ok:
            flash_refusal(state)
        return redirect(safe_next(request.form.get("next"), url_for(back)))

    bp.add_url_rule(rule, endpoint="set_active", view_func=set_active, methods=["POST"])
