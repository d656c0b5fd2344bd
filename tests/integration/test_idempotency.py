"""``@idempotent`` proved once, on both databases, through a test-only endpoint with a countable effect.

The endpoint (``install_test_endpoints``, registered on the app here and by the gunicorn test, never in the product)
calls a service that owns its transaction, as every feature's does: it writes an audit entry (the effect counted)
and refuses with a ``DomainError`` (409 ``insufficient_credits``) when the caller has fewer "credits" (audit entries
``test.credit``) than the body asks for, so a refusal depends on state that can change afterwards.
"""
from __future__ import annotations

import functools
import json
import secrets
import threading
import time

import pytest
from flask import Blueprint, g, request
from sqlalchemy import func, insert, select

from tests.auth_helpers import bearer, make_user, mint_token
from timebank.api import errors as api_errors
from timebank.api.errors import error_response
from timebank.audit import services as audit
from timebank.audit.models import AuditEntry
from timebank.auth import services as auth_services
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database, get_db
from timebank.errors import DomainError, ValidationFailed
from timebank.idempotency import services as idempotency
from timebank.idempotency.http import idempotent
from timebank.idempotency.models import IdempotencyKey

E = AuditEntry.__table__
GIFTS = "/test/gifts"
NOTES = "/test/notes"


# --- the test-only endpoint -------------------------------------------------------------------------------------------

class NotEnoughCredits(DomainError):
    """Not enough available credits."""

    code = "insufficient_credits"


def give(db: Database, *, actor: Principal, note: str, needs: int, pause: float, fail: str | None) -> int:
    """A service that owns its transaction when called alone and joins the caller's when called inside one."""

    def work(s):
        audit.record(s, actor=actor, action="test.gift", object_type="gift", object_id=note[:80])
        credits = s.scalar(select(func.count()).select_from(E).where(E.c.action == "test.credit",
                                                                     E.c.actor_user_id == actor.user_id))
        if needs > credits:
            raise NotEnoughCredits(fields={"needs": [f"{needs} > {credits}"]})
        if fail == "validation":
            raise ValidationFailed("The request is not valid.", fields={"note": ["too silly"]})
        if fail == "crash":
            raise RuntimeError("the server broke after writing")
        time.sleep(pause)  # hold the transaction open, so concurrent requests overlap it
        return s.scalar(select(func.count()).select_from(E).where(E.c.action == "test.gift"))

    return db.transaction(work)


def _signed_in(view):
    """Bearer authentication as the API does it (the test endpoints live outside the API blueprint)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        _scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        principal = auth_services.principal_for_token(get_db(), token.strip())
        if principal is None:
            return error_response(401, "unauthorized", "Sign in first.")
        g.api_principal = principal
        return view(*args, **kwargs)

    return wrapper


def _give_from_request():
    body = request.get_json(force=True, silent=True) or {}
    number = give(get_db(), actor=g.api_principal, note=str(body.get("note", "")), needs=int(body.get("needs", 0)),
                  pause=float(body.get("pause", 0)), fail=body.get("fail"))
    # A random nonce: a replay that ran the view again, or rebuilt its answer, would not repeat it.
    return {"gift": number, "note": body.get("note"), "nonce": secrets.token_hex(8)}, 201, {
        "Location": f"{GIFTS}/{number}"}


def install_test_endpoints(app) -> None:
    """``POST /test/gifts`` (key required) and ``POST /test/notes`` (key optional), both making a gift, on a
    blueprint with the API's error handlers (what the decorator does not store, it re-raises for them)."""
    bp = Blueprint("test_idempotency", __name__)
    api_errors.install(bp)

    @idempotent(required=True)
    def gift():
        return _give_from_request()

    @idempotent(required=False)
    def note():
        return _give_from_request()

    bp.add_url_rule(GIFTS, "gift", _signed_in(gift), methods=["POST"])
    bp.add_url_rule(NOTES, "note", _signed_in(note), methods=["POST"])
    app.register_blueprint(bp)


def gifts(db: Database) -> int:
    return db.transaction(lambda s: s.scalar(select(func.count()).select_from(E).where(E.c.action == "test.gift")),
                          readonly=True)


def give_credit(db: Database, user_id: int) -> None:
    db.transaction(lambda s: s.execute(insert(E).values(
        at=utcnow(), actor_user_id=user_id, actor_name="t", actor_role="staff", action="test.credit",
        object_type="test", object_id="credit", detail={})))


# --- fixtures ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def site(app):
    install_test_endpoints(app)
    return app


@pytest.fixture
def db(site):
    return get_db(site)


@pytest.fixture
def caller(db):
    person = make_user(db, "staff")
    return person, bearer(mint_token(db, person))


def post(client, path, body, *, key: str | None = "key-1", headers: dict, raw: bytes | None = None):
    all_headers = dict(headers)
    if key is not None:
        all_headers["Idempotency-Key"] = key
    data = raw if raw is not None else json.dumps(body)
    return client.post(path, data=data, headers=all_headers, content_type="application/json")


# --- replay and conflict ----------------------------------------------------------------------------------------------

def test_a_request_sent_again_under_its_key_gets_the_first_answer_byte_for_byte(site, db, caller):
    person, headers = caller
    client = site.test_client()
    first = post(client, GIFTS, None, raw=b'{"note": "rice", "needs": 0}', headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert "Idempotent-Replayed" not in first.headers

    # The same body with other spacing and key order is the same request.
    again = post(client, GIFTS, None, raw=b'{ "needs":0,\n  "note":"rice" }', headers=headers)
    assert again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert gifts(db) == 1

    stored = db.transaction(lambda s: s.execute(select(IdempotencyKey.__table__)).one(), readonly=True)
    assert (stored.caller, stored.key, stored.method, stored.path, stored.status) == (
        f"user:{person.user_id}", "key-1", "POST", GIFTS, 201)
    assert bytes(stored.body) == first.get_data()


def test_another_body_or_address_under_a_used_key_is_a_conflict(site, db, caller):
    _person, headers = caller
    client = site.test_client()
    assert post(client, GIFTS, {"note": "rice"}, headers=headers).status_code == 201

    for path, body in ((GIFTS, {"note": "oil"}), (GIFTS + "?dry_run=true", {"note": "rice"}),
                       (NOTES, {"note": "rice"})):
        answer = post(client, path, body, headers=headers)
        assert answer.status_code == 409, path
        assert answer.get_json() == {"error": {"code": "idempotency_conflict", "message": answer.get_json()[
            "error"]["message"], "fields": {}}}
        assert answer.get_json()["error"]["message"]
    assert gifts(db) == 1
    # The first request is still answered as before.
    assert post(client, GIFTS, {"note": "rice"}, headers=headers).headers["Idempotent-Replayed"] == "true"


def test_a_refusal_is_stored_so_the_key_stays_refused(site, db, caller):
    person, headers = caller
    client = site.test_client()
    refused = post(client, GIFTS, {"note": "rice", "needs": 1}, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "insufficient_credits"
    assert gifts(db) == 0  # the gift the service wrote before refusing went with the savepoint

    give_credit(db, person.user_id)  # now the same request would succeed if it ran again

    again = post(client, GIFTS, {"note": "rice", "needs": 1}, headers=headers)
    assert again.status_code == 409
    assert again.get_data() == refused.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert gifts(db) == 0

    fresh = post(client, GIFTS, {"note": "rice", "needs": 1}, key="key-2", headers=headers)
    assert fresh.status_code == 201
    assert gifts(db) == 1


def test_the_key_is_required_and_has_1_to_160_characters(site, db, caller):
    _person, headers = caller
    client = site.test_client()
    for key in (None, "", "k" * 161, "bad\x01key"):
        answer = post(client, GIFTS, {"note": "rice"}, key=key, headers=headers)
        assert answer.status_code == 422, repr(key)
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == ["Idempotency-Key"] and error["fields"]["Idempotency-Key"]
    assert gifts(db) == 0
    assert post(client, GIFTS, {"note": "rice"}, key="k" * 160, headers=headers).status_code == 201
    assert post(client, GIFTS, {"note": "rice"}, key="1", headers=headers).status_code == 201
    assert gifts(db) == 2


def test_keys_are_scoped_to_the_caller(site, db, caller):
    _person, headers = caller
    other = make_user(db, "staff")
    other_headers = bearer(mint_token(db, other))
    client = site.test_client()

    mine = post(client, GIFTS, {"note": "rice"}, headers=headers)
    theirs = post(client, GIFTS, {"note": "rice"}, headers=other_headers)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["nonce"] != theirs.get_json()["nonce"]
    assert gifts(db) == 2
    assert post(client, GIFTS, {"note": "rice"}, headers=other_headers).get_data() == theirs.get_data()
    # Another caller's key never conflicts with mine, whatever the body.
    assert post(client, GIFTS, {"note": "oil"}, key="only-theirs", headers=other_headers).status_code == 201
    assert post(client, GIFTS, {"note": "salt"}, key="only-theirs", headers=headers).status_code == 201


def test_an_optional_key_is_honoured_when_given(site, db, caller):
    _person, headers = caller
    client = site.test_client()
    assert post(client, NOTES, {"note": "a"}, key=None, headers=headers).status_code == 201
    assert post(client, NOTES, {"note": "a"}, key=None, headers=headers).status_code == 201
    assert gifts(db) == 2
    first = post(client, NOTES, {"note": "a"}, key="note-key", headers=headers)
    again = post(client, NOTES, {"note": "a"}, key="note-key", headers=headers)
    assert again.get_data() == first.get_data()
    assert gifts(db) == 3
    assert post(client, NOTES, {"note": "a"}, key="k" * 161, headers=headers).status_code == 422


def test_a_validation_error_is_not_stored_and_the_key_can_be_used_with_a_corrected_body(site, db, caller):
    _person, headers = caller
    client = site.test_client()
    invalid = post(client, GIFTS, {"note": "rice", "fail": "validation"}, headers=headers)
    assert invalid.status_code == 422  # the app's own handler renders it (the decorator re-raises it)
    assert gifts(db) == 0
    corrected = post(client, GIFTS, {"note": "rice"}, headers=headers)
    assert corrected.status_code == 201
    assert gifts(db) == 1


def test_a_server_error_is_not_stored_and_leaves_nothing_behind(site, db, caller):
    _person, headers = caller
    site.config["PROPAGATE_EXCEPTIONS"] = False  # answer the 500 as production does, instead of raising in the test
    client = site.test_client()
    broken = post(client, GIFTS, {"note": "rice", "fail": "crash"}, headers=headers)
    assert broken.status_code == 500
    assert gifts(db) == 0
    assert db.transaction(lambda s: s.scalar(select(func.count()).select_from(IdempotencyKey)), readonly=True) == 0
    # The key is free: the client's retry runs (here it breaks again, and still nothing is stored).
    assert post(client, GIFTS, {"note": "rice", "fail": "crash"}, headers=headers).status_code == 500
    assert post(client, GIFTS, {"note": "rice"}, key="key-2", headers=headers).status_code == 201
    assert gifts(db) == 1


def test_an_anonymous_caller_is_not_let_through(site, db):
    client = site.test_client()
    assert post(client, GIFTS, {"note": "rice"}, headers={}).status_code == 401
    assert gifts(db) == 0


def test_an_idempotent_view_refuses_to_join_a_unit_of_work_already_open(site, db, caller):
    """Joined, the rollback of a refusal or a 5xx could not undo the claimed key: the view must own its unit."""
    _person, headers = caller
    client = site.test_client()
    with pytest.raises(RuntimeError, match="unit of work of its own"):
        db.transaction(lambda s: post(client, GIFTS, {"note": "rice"}, headers=headers))
    assert gifts(db) == 0


# --- concurrency ------------------------------------------------------------------------------------------------------

THREADS = 16


def send_together(site, bodies_and_headers) -> list:
    """Send every request at the same moment from its own thread and client; the answers in order."""
    start = threading.Barrier(len(bodies_and_headers), timeout=30)
    answers = [None] * len(bodies_and_headers)
    errors = []

    def send(index, body, headers):
        try:
            client = site.test_client()
            start.wait()
            answer = post(client, GIFTS, body, headers=headers)
            answers[index] = (answer.status_code, answer.get_data(), answer.headers.get("Idempotent-Replayed"))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i, body, headers))
               for i, (body, headers) in enumerate(bodies_and_headers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return answers


def test_concurrent_requests_under_one_key_make_one_effect_and_all_get_its_answer(site, db, caller):
    _person, headers = caller
    answers = send_together(site, [({"note": "rice", "pause": 0.05}, headers)] * THREADS)
    assert gifts(db) == 1
    assert {(status, body) for status, body, _replayed in answers} == {(answers[0][0], answers[0][1])}
    assert answers[0][0] == 201
    assert sum(replayed is None for _status, _body, replayed in answers) == 1  # one ran, the rest replayed it
    if not db.is_sqlite:  # the race was real: losers waited on the claimed key, failed, and their reruns replayed
        assert db.stats.retries >= 1


def test_concurrent_refused_requests_under_one_key_store_one_refusal(site, db, caller):
    _person, headers = caller
    answers = send_together(site, [({"note": "rice", "needs": 5, "pause": 0.05}, headers)] * THREADS)
    assert gifts(db) == 0
    assert len({(status, body) for status, body, _replayed in answers}) == 1
    assert answers[0][0] == 409 and json.loads(answers[0][1])["error"]["code"] == "insufficient_credits"
    assert db.transaction(lambda s: s.scalar(select(func.count()).select_from(IdempotencyKey)), readonly=True) == 1


# --- the fingerprint --------------------------------------------------------------------------------------------------

def test_the_fingerprint_ignores_json_spacing_and_key_order_but_not_values():
    same = [b'{"a": 1, "b": [1, 2, {"c": "\\u4e2d", "d": null}]}',
            b'{"b":[1,2,{"d":null,"c":"\xe4\xb8\xad"}],"a":1}',
            b' {\n "a" : 1 ,\n "b" : [ 1 , 2 , { "c" : "\xe4\xb8\xad" , "d" : null } ] }\n']
    assert len({idempotency.fingerprint(body) for body in same}) == 1
    different = [b'{"a": 2, "b": [1, 2, {"c": "\xe4\xb8\xad", "d": null}]}',
                 b'{"a": 1, "b": [2, 1, {"c": "\xe4\xb8\xad", "d": null}]}',
                 b'{"a": "1", "b": [1, 2, {"c": "\xe4\xb8\xad", "d": null}]}']
    assert len({idempotency.fingerprint(body) for body in different + same[:1]}) == 4


def test_a_body_that_is_not_json_is_fingerprinted_by_its_bytes():
    csv = "姓名,手机\n王秀英,13900000000\n".encode("gb18030")
    assert idempotency.fingerprint(csv) == idempotency.fingerprint(bytes(csv))
    assert idempotency.fingerprint(csv) != idempotency.fingerprint(csv + b"\n")
    assert idempotency.fingerprint(b"") != idempotency.fingerprint(b"{}")
    deep = b"[" * 100_000 + b"]" * 100_000  # too deep to parse: hashed as bytes, no RecursionError
    assert len(idempotency.fingerprint(deep)) == 64
    assert idempotency.fingerprint(b"\xff\xfe{}") != idempotency.fingerprint(b"{}")
