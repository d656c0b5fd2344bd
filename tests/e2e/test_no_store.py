"""Pages with personal data are never kept by a browser or proxy cache (issue 6, bug 20): every signed-in page
answers ``Cache-Control: no-store``. The pages come from the URL map, so a later page is checked without new code."""
from __future__ import annotations

import pytest

from tests.auth_helpers import ROLES, make_app, make_user, mint_session_key
from tests.e2e.test_route_sweep import dummy_value, is_api, swept_rules
from timebank.auth.access import policy_of
from timebank.db import get_db

pytestmark = [pytest.mark.usefixtures("fast_password_hashing"),
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    get_db(app).dispose()


def test_every_signed_in_page_says_no_store(app):
    db = get_db(app)
    people = {role: make_user(db, role) for role in ROLES}
    adapter = app.url_map.bind("localhost")
    problems, checked = [], 0
    for rule in swept_rules(app):
        if is_api(rule.rule) or "GET" not in (rule.methods or ()):
            continue
        policy = policy_of(app.view_functions[rule.endpoint])
        for role in ROLES:
            if not policy.public and role not in policy.roles:
                continue
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = mint_session_key(get_db(app), people[role])
                session["_fresh"] = True
            path = adapter.build(rule.endpoint, {name: dummy_value(c) for name, c in rule._converters.items()})
            response = client.get(path)
            checked += 1
            if response.headers.get("Cache-Control") != "no-store":
                problems.append(f"GET {path} as {role}: {response.status_code} {response.headers.get('Cache-Control')}")
    assert checked > 10
    assert problems == [], "\n".join(problems)

