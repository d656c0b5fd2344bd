"""Every route of the app, as an anonymous caller and as each role, answers as its ``@allow`` policy says.

The routes come from ``app.url_map``, so a route added later is swept without touching this file. Path parameters get
ids that exist nowhere: a role the policy admits may then get 404 or 422, never 401 or 403 — and never a server error.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

from tests.auth_helpers import ROLES, Person, bearer, make_app, make_user, mint_session_key, mint_token
from timebank.api import API_PREFIX
from timebank.auth.access import permissions_checked, policy_of
from timebank.db import get_db

REDIRECTS = (301, 302, 303, 307, 308)


def is_static(endpoint: str) -> bool:
    # Flask's own file-serving views (the app's and a blueprint's static folder): public files, no policy to declare.
    return endpoint == "static" or endpoint.endswith(".static")


def swept_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if not is_static(rule.endpoint)),
                  key=lambda rule: (rule.rule, rule.endpoint))


def dummy_value(converter):
    if isinstance(converter, IntegerConverter):
        return 999_999
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-4000-8000-000000000000"
    return "nothing-here"


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


@dataclass(frozen=True)
class Caller:
    name: str
    person: Person | None = None  # None: anonymous

    @property
    def role(self) -> str | None:
        return self.person.role if self.person else None


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    get_db(app).dispose()


def test_every_route_declares_an_access_policy(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'unused.db'}")
    undeclared = [f"{rule.rule} ({rule.endpoint})" for rule in swept_rules(app)
                  if policy_of(app.view_functions[rule.endpoint]) is None]
    assert undeclared == [], "decorate these views with @allow(...) from timebank.auth.access"


def test_the_sweep_covers_the_api_and_the_pages(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'unused.db'}")
    paths = [rule.rule for rule in swept_rules(app)]
    assert any(is_api(path) for path in paths) and any(not is_api(path) for path in paths)
    assert "/api/v1/auth/tokens" in paths and "/healthz" in paths


def test_every_route_answers_each_role_as_its_policy_says(app):
    db = get_db(app)
    callers = [Caller("anonymous")] + [Caller(role, make_user(db, role)) for role in ROLES]
    pending = Caller("admin with a one-time password", make_user(db, "admin", must_change_password=True))
    sign_in_path, change_password_path = _page_paths(app)
    adapter = app.url_map.bind("localhost")

    problems: list[str] = []
    requests = 0
    services_checked = set()
    for rule in swept_rules(app):
        policy = policy_of(app.view_functions[rule.endpoint])
        values = {name: dummy_value(converter) for name, converter in rule._converters.items()}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path = adapter.build(rule.endpoint, values, method=method)
            for caller in callers + [pending]:
                with permissions_checked() as checked:
                    response = _call(app, db, caller, method, path)
                requests += 1
                # The view and its service read the same declaration: what the service checked is what the view
                # declared, so neither lets in a role the other refuses.
                # (A view that declares roles only, such as the home page, may call several services by role.)
                for permission in checked:
                    services_checked.add(permission.name)
                    if policy.permission is not None and permission.roles != policy.roles:
                        problems.append(f"{method} {path}: the view admits {sorted(policy.roles)} but its service "
                                        f"{permission.name} admits {sorted(permission.roles)}")
                what = f"{method} {path} as {caller.name}: {response.status_code}"
                status = response.status_code
                location = urlsplit(response.headers.get("Location", "")).path
                if status >= 500 and status != 503:  # 503: /readyz on a schema built without migrations
                    problems.append(f"{what} (server error)")
                elif policy.public:
                    if status in (401, 403) or (status in REDIRECTS and location == sign_in_path):
                        problems.append(f"{what} (public route refused)")
                elif caller.person is None:
                    _expect_sign_in(problems, what, path, response, sign_in_path)
                elif caller is pending and not policy.allow_pending_password and caller.role in policy.roles:
                    _expect_password_change(problems, what, path, response, change_password_path)
                elif caller.role not in policy.roles:
                    _expect_forbidden(problems, what, path, response)
                elif status in (401, 403):
                    problems.append(f"{what} (role admitted by the policy was refused)")
    assert requests > 0
    assert len(services_checked) >= 4, services_checked  # the comparison above is not vacuous
    assert problems == [], "\n".join(problems)


FEATURE_BLUEPRINTS = ("centers", "volunteers", "users", "service_types")


def test_every_feature_view_declares_the_permission_it_serves(tmp_path):
    """Not bare roles: a permission declared once, which the service checks too (see the sweep above)."""
    app = make_app(f"sqlite:///{tmp_path / 'unused.db'}")
    bare = []
    for rule in swept_rules(app):
        view = app.view_functions[rule.endpoint]
        module = view.__module__.split(".")
        policy = policy_of(view)
        if len(module) > 1 and module[1] in FEATURE_BLUEPRINTS and not policy.public and policy.permission is None:
            bare.append(f"{rule.rule} ({rule.endpoint})")
    assert bare == [], "declare these with @allow(PERMISSION) from the feature's permissions.py"


def _call(app, db, caller: Caller, method: str, path: str):
    client = app.test_client()
    headers = {}
    if caller.person is not None:
        if is_api(path):
            headers = bearer(mint_token(db, caller.person))  # a fresh token: an earlier call may have signed out
        else:
            with client.session_transaction() as session:  # Flask-Login's session: Principal.get_id()
                session["_user_id"] = mint_session_key(db, caller.person)
                session["_fresh"] = True
    return client.open(path, method=method, headers=headers)


def _page_paths(app) -> tuple[str | None, str | None]:
    """Where the pages send an anonymous visitor, and a user who must first change a one-time password."""
    from flask import url_for

    def endpoint(name: str) -> str | None:
        return next((e for e in sorted(app.view_functions) if e == name or e.endswith("." + name)), None)

    login_manager = getattr(app, "login_manager", None)
    sign_in = (login_manager.login_view if login_manager else None) or endpoint("sign_in")
    change = next((e for e in sorted(app.view_functions)
                   if e.endswith(".change_password") and not e.startswith("api")), None)
    with app.test_request_context():
        return (url_for(sign_in) if sign_in else None), (url_for(change) if change else None)


def _expect_sign_in(problems, what, path, response, sign_in_path):
    if is_api(path):
        if response.status_code != 401 or _code(response) != "unauthorized":
            problems.append(f"{what} (expected 401 unauthorized)")
    elif response.status_code not in REDIRECTS or urlsplit(response.headers["Location"]).path != sign_in_path:
        problems.append(f"{what} (expected a redirect to {sign_in_path})")


def _expect_forbidden(problems, what, path, response):
    if response.status_code != 403 or (is_api(path) and _code(response) != "forbidden"):
        problems.append(f"{what} (expected 403 forbidden)")


def _expect_password_change(problems, what, path, response, change_password_path):
    if is_api(path):
        if response.status_code != 403 or _code(response) != "password_change_required":
            problems.append(f"{what} (expected 403 password_change_required)")
    elif response.status_code not in REDIRECTS or \
            urlsplit(response.headers["Location"]).path != change_password_path:
        problems.append(f"{what} (expected a redirect to {change_password_path})")


def _code(response) -> str | None:
    body = response.get_json(silent=True) or {}
    return (body.get("error") or {}).get("code")


def test_an_id_past_the_database_range_is_not_found_on_any_route(app):
    db = get_db(app)
    admin = Caller("admin", make_user(db, "admin"))
    adapter = app.url_map.bind("localhost")
    problems, checked = [], 0
    for rule, too_large in ((rule, n) for rule in swept_rules(app) for n in (2**63, 2**64)):
        huge = {name: too_large for name, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        if not huge:
            continue
        values = {name: dummy_value(converter) for name, converter in rule._converters.items()} | huge
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path = adapter.build(rule.endpoint, values, method=method)
            response = _call(app, db, admin, method, path)
            checked += 1
            if response.status_code != 404:  # never 405: the bound is in the URL pattern (timebank.security)
                problems.append(f"{method} {path}: {response.status_code}")
    assert checked > 0
    assert problems == []
