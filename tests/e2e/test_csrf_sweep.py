"""Every page route that changes state refuses a form without this session's CSRF token (400).

The routes come from ``app.url_map`` (like the route sweep), so a form added later is checked without touching this
file, and a view that loses its CSRF check is caught: each route is sent a POST without a token, with another
session's token, and — to show the refusals above are the CSRF check's — with its own session's token, which must
get past the check (any answer but the "form expired" page).
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from flask import template_rendered

from tests.auth_helpers import ROLES, make_app, make_user, mint_session_key
from tests.e2e.test_route_sweep import dummy_value, is_api, swept_rules
from timebank.auth.access import policy_of
from timebank.db import get_db

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
EXPIRED_PAGE = "errors/form_expired.html"  # what the pages' CSRF refusal renders


@pytest.fixture
def app(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    yield app
    get_db(app).dispose()


def page_forms(app):
    """(rule, method, path) of every state-changing page route, with ids that exist nowhere."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in swept_rules(app):
        if is_api(rule.rule):
            continue
        values = {name: dummy_value(converter) for name, converter in rule._converters.items()}
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            found.append((rule, method, adapter.build(rule.endpoint, values, method=method)))
    return found


def signed_in_client(app, person):
    client = app.test_client()
    if person is not None:
        with client.session_transaction() as session:
            session["_user_id"] = mint_session_key(get_db(app), person)
            session["_fresh"] = True
    return client


def own_token(client) -> str:
    """A token for this client's session, as a page's form carries it."""
    page = client.get("/")
    if page.status_code != 200:  # not signed in, or a one-time password to change first
        page = client.get("/sign-in")
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, "no form with a CSRF token on the page"
    return match.group(1)


def test_the_sweep_covers_every_form_of_the_pages(app):
    paths = {path for _, _, path in page_forms(app)}
    assert {"/centers/new", "/volunteers/new", "/users/new", "/sign-out", "/password"} <= paths
    assert any(path.endswith("/active") for path in paths)


@contextmanager
def templates_rendered(app):
    names: list[str] = []

    def note(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(note, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(note, app)


def test_every_state_changing_page_route_refuses_a_missing_or_foreign_token(app):
    db = get_db(app)
    people = {role: make_user(db, role) for role in ROLES}
    foreign = own_token(app.test_client())  # another (anonymous) session's perfectly valid token

    problems, checked = [], 0
    for rule, method, path in page_forms(app):
        policy = policy_of(app.view_functions[rule.endpoint])
        person = None if policy.public else people[next(role for role in ROLES if role in policy.roles)]
        client = signed_in_client(app, person)
        mine = own_token(client)
        for label, data in (("no token", {}), ("another session's token", {"csrf_token": foreign})):
            with templates_rendered(app) as rendered:
                response = client.open(path, method=method, data=data)
            checked += 1
            if response.status_code != 400 or EXPIRED_PAGE not in rendered:
                problems.append(f"{method} {path} with {label}: {response.status_code} {rendered}")
        with templates_rendered(app) as rendered:
            client.open(path, method=method, data={"csrf_token": mine})
        if EXPIRED_PAGE in rendered:
            problems.append(f"{method} {path}: its own session's token was refused too")
    assert checked > 0
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_view_that_skips_it(app, monkeypatch):
    """The sweep can fail: with the CSRF check switched off for one view, that view is reported."""
    from timebank.web import access

    protect = access.csrf.protect

    def protect_all_but_create(*args, **kwargs):
        from flask import request

        if request.endpoint != "volunteers.create":
            return protect(*args, **kwargs)

    monkeypatch.setattr(access.csrf, "protect", protect_all_but_create)
    with pytest.raises(AssertionError, match="POST /volunteers/new with no token"):
        test_every_state_changing_page_route_refuses_a_missing_or_foreign_token(app)
