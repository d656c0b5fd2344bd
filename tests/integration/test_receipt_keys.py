"""Signing keys on SQLite and PostgreSQL: created once (also when two ask at once), rotated so that old receipts keep
verifying until they expire, then retired; the private half is sealed with the secret and never published."""
from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from tests.integration.receipt_helpers import (
    DAY,
    SECRET,
    collide,
    issue,
    text_of,
)
from timebank.clock import utcnow
from timebank.db import Database
from timebank.receipts import keys
from timebank.receipts.codec import Kind, parse_text
from timebank.receipts.keys import (
    SigningKeyUnavailable,
    ensure_signing_key,
    public_keys,
    rotate_keys,
    signing_key,
)
from timebank.receipts.models import SigningKey
from timebank.receipts.services import check_receipt, verifier_keys
from timebank.receipts.verification import verify_offline

K = SigningKey.__table__


def key_rows(db) -> list:
    return db.transaction(lambda s: s.execute(select(K).order_by(K.c.id)).all(), readonly=True)


def statuses(db) -> dict[int, str]:
    return {row.id: row.status for row in key_rows(db)}


def test_with_no_key_ensure_signing_key_creates_one_and_then_keeps_it(rdb):
    assert key_rows(rdb) == []
    first = ensure_signing_key(rdb)
    assert ensure_signing_key(rdb) == first
    assert statuses(rdb) == {first: "active"}


def test_two_at_once_on_an_empty_key_table_make_exactly_one_active_key(rdb):
    results = collide([lambda: ensure_signing_key(rdb) for _ in range(8)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(set(results)) == 1
    assert statuses(rdb) == {results[0]: "active"}


def test_rotation_signs_with_the_new_key_and_old_receipts_verify_until_they_expire_then_it_retires(rdb, people):
    t0 = utcnow().replace(microsecond=0)
    old_key = ensure_signing_key(rdb, now=t0)
    short = issue(rdb, people, reference=1, lifetime=10 * DAY, now=t0)
    long = issue(rdb, people, reference=2, lifetime=30 * DAY, now=t0 + DAY)

    t1 = t0 + 2 * DAY
    rotation = rotate_keys(rdb, now=t1)
    new_key = rotation.new_key_id
    assert new_key not in (None, old_key) and rotation.retired_key_ids == ()
    assert statuses(rdb) == {old_key: "verify_only", new_key: "active"}
    published = {key.id: key for key in public_keys(rdb)}
    assert (published[old_key].signs_until, published[old_key].valid_until) == (t1, long.expires_at)
    assert published[new_key].valid_from == t1 and published[new_key].valid_until is None

    fresh = issue(rdb, people, reference=3, now=t1)
    assert parse_text(fresh.token).payload.key_id == new_key
    for receipt, key_id in ((short, old_key), (long, old_key), (fresh, new_key)):
        assert parse_text(receipt.token).payload.key_id == key_id
        assert check_receipt(rdb, code=receipt.token, now=t1).valid
        assert verify_offline(text_of(receipt), keys=verifier_keys(rdb), now=t1).valid

    # after the short one expired, the old key still has the long one to vouch for
    assert rotate_keys(rdb, now=short.expires_at + DAY).retired_key_ids == ()
    assert statuses(rdb)[old_key] == "verify_only"

    after_last = long.expires_at + timedelta(seconds=1)
    rotation = rotate_keys(rdb, now=after_last)
    assert old_key in rotation.retired_key_ids
    assert statuses(rdb)[old_key] == "retired"
    retired = {key.id: key for key in public_keys(rdb)}[old_key]
    assert retired.valid_until == long.expires_at
    # a retired key's receipt is still recognised, and is expired
    assert check_receipt(rdb, code=long.token, now=after_last).verdict.status == "expired"
    assert verify_offline(long.token, keys=verifier_keys(rdb), now=after_last).status == "expired"


def test_a_rotated_key_that_signed_nothing_retires_at_the_next_rotation(rdb):
    t0 = utcnow().replace(microsecond=0)
    first = ensure_signing_key(rdb, now=t0)
    second = rotate_keys(rdb, now=t0 + DAY).new_key_id
    assert statuses(rdb)[first] in ("verify_only", "retired")
    third = rotate_keys(rdb, now=t0 + 2 * DAY)
    assert statuses(rdb)[first] == "retired"
    assert statuses(rdb)[third.new_key_id] == "active" and statuses(rdb)[second] in ("verify_only", "retired")
    assert list(statuses(rdb).values()).count("active") == 1


def test_if_older_than_makes_a_second_rotation_a_no_op(rdb):
    t0 = utcnow().replace(microsecond=0)
    ensure_signing_key(rdb, now=t0)
    first = rotate_keys(rdb, now=t0 + 40 * DAY, if_older_than=timedelta(days=30))
    assert first.new_key_id is not None
    again = rotate_keys(rdb, now=t0 + 41 * DAY, if_older_than=timedelta(days=30))
    assert again.new_key_id is None
    assert len(key_rows(rdb)) == 2
    assert rotate_keys(rdb, now=t0 + 71 * DAY, if_older_than=timedelta(days=30)).new_key_id is not None


def test_rotating_with_no_key_at_all_creates_the_first(rdb):
    rotation = rotate_keys(rdb)
    assert statuses(rdb) == {rotation.new_key_id: "active"}


def test_concurrent_rotations_leave_one_active_key(rdb):
    ensure_signing_key(rdb)
    results = collide([lambda: rotate_keys(rdb) for _ in range(6)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert list(statuses(rdb).values()).count("active") == 1


# -------------------------------------------------------------------------------------------------- sealing

def private_bytes_of(db) -> bytes:
    def work(s):
        _key_id, private = signing_key(s, db, utcnow())
        return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
    return db.transaction(work)


def test_the_stored_private_key_is_sealed_and_never_published(rdb):
    key_id = ensure_signing_key(rdb)
    raw = private_bytes_of(rdb)
    (row,) = key_rows(rdb)
    sealed = bytes(row.sealed_private_key)
    assert len(raw) == 32 and raw not in sealed and raw[:16] not in sealed and raw[16:] not in sealed
    published = public_keys(rdb)
    assert [key.id for key in published] == [key_id]
    assert not hasattr(published[0], "sealed_private_key")
    for shown in (repr(published), str(published), repr(verifier_keys(rdb))):
        assert sealed.hex() not in shown and repr(sealed) not in shown and raw.hex() not in shown
    orm_key = rdb.transaction(lambda s: s.get(SigningKey, key_id))
    assert repr(orm_key) == f"SigningKey(id={key_id}, status='active')"


@pytest.mark.parametrize("secret", ["another-secret", None, ""])
def test_a_database_opened_with_another_secret_cannot_sign(rdb, people, database_url, secret):
    ensure_signing_key(rdb)
    issue(rdb, people, reference=1)  # the right secret has opened the key in this process already
    stranger = Database(database_url, pool_size=2, secret_key=secret)
    try:
        with pytest.raises(SigningKeyUnavailable) as raised:
            issue(stranger, people, reference=2)
        assert raised.value.status == 503
        with pytest.raises(SigningKeyUnavailable):
            rotate_keys(stranger)  # a new key could not be sealed either, so none is made
        # verifying needs no secret
        assert check_receipt(stranger, code=issue(rdb, people, reference=3).token).valid
    finally:
        stranger.dispose()
    assert issue(rdb, people, reference=4).token


def test_the_key_signs_again_after_the_process_forgets_it(rdb, people, monkeypatch):
    ensure_signing_key(rdb)
    monkeypatch.setattr(keys, "_signers", {})
    assert check_receipt(rdb, code=issue(rdb, people, reference=1, kind=Kind.VOUCHER).token).valid
    assert SECRET  # the fixture's secret is what unsealed it
