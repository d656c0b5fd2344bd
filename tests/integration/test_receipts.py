"""Receipts end to end on SQLite and PostgreSQL: issue, render, scan with zxing-cpp as a cheap camera would, verify
online and offline, revoke once (also when many try at once), and check what a person typed."""
from __future__ import annotations

import base64
import io
import json
import multiprocessing
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from sqlalchemy import func, insert, select, update

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.receipt_helpers import (
    DAY,
    PREFIX,
    SECRET,
    SYSTEM,
    People,
    collide,
    decoded,
    issue,
    scan_png,
    text_of,
)
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import ValidationFailed
from timebank.receipts import qr
from timebank.receipts.codec import (
    EPOCH,
    MAX_AMOUNT,
    MAX_ID,
    MAX_KEY_ID,
    MAX_SECONDS,
    Kind,
    parse_text,
)
from timebank.receipts.keys import ensure_signing_key, public_keys, rotate_keys
from timebank.receipts.models import Receipt, ReceiptRevocation, SigningKey
from timebank.receipts.rules import short_code_for
from timebank.receipts.schemas import KeySchema, RevocationSchema
from timebank.receipts.services import (
    AlreadyCancelled,
    AlreadyRedeemed,
    AlreadyReversed,
    ReceiptNotFound,
    all_revocations,
    check_receipt,
    receipt_for,
    revocations_since,
    revoke_receipt,
    verifier_keys,
)
from timebank.receipts.verification import (
    Revocation,
    load_key_list,
    load_revocation_list,
    verify_offline,
)
from timebank.volunteers.services import create_volunteer


def verified_both_ways(db, text: str, *, kind: Kind, now=None):
    """The online check's and the offline verifier's verdicts (offline with only the published public keys)."""
    now = now or utcnow()
    online = check_receipt(db, code=text, kind=kind, now=now)
    offline = verify_offline(text, keys=verifier_keys(db), now=now, kind=kind)
    return online, offline


# ------------------------------------------------------------------------------- issue, render, scan, verify

@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("resample", [Image.Resampling.BOX, Image.Resampling.NEAREST], ids=["area", "nearest"])
def test_an_issued_receipt_scanned_from_its_png_at_2_pixels_a_module_verifies_online_and_offline(
        rdb, people, kind, resample):
    receipt = issue(rdb, people, kind=kind, reference=41)
    text = text_of(receipt)
    assert text.startswith(PREFIX + "/R/") and qr.version_of(text) <= 8

    assert scan_png(text, resample) == [text]

    online, offline = verified_both_ways(rdb, text, kind=kind)
    assert online.valid and offline.valid
    assert (online.center_code, online.center_name, online.volunteer) == ("JK01", "京口区养老服务中心", "王*英")
    assert online.verdict.receipt == offline.receipt
    assert offline.receipt.kind is kind and offline.receipt.amount == 1250 and offline.receipt.reference == 41
    assert offline.short_code == receipt.short_code


def largest_people(db, people):
    """A center and a volunteer whose ids are 2⁶³ − 1 (ids are moved while nothing refers to them yet)."""
    create_center(db, actor=SYSTEM, code="MAX9", name="最大编号中心", district="京口区")
    volunteer = create_volunteer(db, actor=SYSTEM, name="欧阳小明", phone="13800000009", home_center="MAX9")

    def move(s):
        centers, volunteers = SigningKey.metadata.tables["center"], SigningKey.metadata.tables["volunteer"]
        s.execute(update(volunteers).where(volunteers.c.id == volunteer.id).values(id=MAX_ID))
        home = s.execute(select(centers).where(centers.c.code == "MAX9")).one()._asdict()
        s.execute(insert(centers).values({**home, "id": MAX_ID, "code": "MAXX"}))
        s.execute(update(volunteers).where(volunteers.c.id == MAX_ID).values(home_center_id=MAX_ID))

    db.transaction(move)
    return type(people)(MAX_ID, people.other_center_id, MAX_ID)


def test_the_largest_receipt_scans_and_verifies_online_and_offline(rdb, people):
    latest = EPOCH + timedelta(seconds=MAX_SECONDS)  # the last second a receipt can be issued
    ensure_signing_key(rdb, now=latest)
    rdb.transaction(lambda s: s.execute(update(SigningKey.__table__).values(id=MAX_KEY_ID)))
    biggest = largest_people(rdb, people)
    receipt = issue(rdb, biggest, kind=Kind.CERTIFICATE, reference=MAX_ID, amount=MAX_AMOUNT,
                    lifetime=timedelta(seconds=MAX_SECONDS), now=latest)
    text = text_of(receipt)
    payload = parse_text(text).payload
    assert (payload.key_id, payload.center_id, payload.volunteer_id, payload.amount, payload.reference) == (
        MAX_KEY_ID, MAX_ID, MAX_ID, MAX_AMOUNT, MAX_ID)
    assert qr.version_of(text) == 8

    assert scan_png(text) == [text]
    online, offline = verified_both_ways(rdb, text, kind=Kind.CERTIFICATE, now=latest + DAY)
    assert online.valid and offline.valid
    assert (online.center_code, online.volunteer) == ("MAXX", "欧**明")


def test_the_svg_rasterised_by_chromium_scans(rdb, people):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh --test installs it)")
    text = text_of(issue(rdb, people, kind=Kind.VOUCHER, reference=77))
    svg = base64.b64encode(qr.svg(text)).decode()
    side = 3 * (17 + 4 * qr.version_of(text) + 8)  # 3 CSS pixels a module
    page_html = (f"<html><body style='margin:0;background:white'><img id='qr' src='data:image/svg+xml;base64,{svg}'"
                 f" style='width:{side}px;height:{side}px;display:block'></body></html>")
    def screenshot() -> bytes:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": side + 20, "height": side + 20})
                page.set_content(page_html)
                page.wait_for_function("document.getElementById('qr').complete")
                return page.locator("#qr").screenshot()
            finally:
                browser.close()

    # On a thread of its own: the browser tests' session-wide Playwright holds this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        shot = pool.submit(screenshot).result(timeout=120)
    assert decoded(Image.open(io.BytesIO(shot))) == [text]


# ----------------------------------------------------------------------------------- issue once, codes unique

def test_issuing_again_for_the_same_kind_and_reference_returns_the_first_receipt(rdb, people):
    first = issue(rdb, people, kind=Kind.SERVICE_RECORD, reference=5)
    again = issue(rdb, people, kind=Kind.SERVICE_RECORD, reference=5, amount=999)
    assert again == first
    assert receipt_for(rdb, kind=Kind.SERVICE_RECORD, reference=5) == first
    assert receipt_for(rdb, kind=Kind.VOUCHER, reference=5) is None
    other_kind = issue(rdb, people, kind=Kind.VOUCHER, reference=5)
    assert other_kind.id != first.id


def test_many_receipts_have_unique_short_codes_single_use_ids_and_tokens(rdb, people):
    receipts = [issue(rdb, people, reference=n) for n in range(150)]
    assert len({r.short_code for r in receipts}) == len({r.token for r in receipts}) == 150
    ids = rdb.transaction(lambda s: s.execute(select(Receipt.__table__.c.single_use_id)).scalars().all())
    assert len(set(map(bytes, ids))) == 150


@pytest.mark.parametrize("with_key", [True, False], ids=["key exists", "first use makes the key"])
def test_concurrent_issuers_all_succeed(rdb, people, with_key):
    if with_key:
        ensure_signing_key(rdb)
    results = collide([lambda n=n: issue(rdb, people, reference=1000 + n) for n in range(16)])
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert len({r.short_code for r in results}) == 16
    keys = rdb.transaction(lambda s: s.execute(select(SigningKey.__table__.c.id)).scalars().all())
    assert len(keys) == 1
    for receipt in results:
        assert check_receipt(rdb, code=receipt.token).valid


def test_concurrent_issuers_of_one_reference_get_one_receipt(rdb, people):
    ensure_signing_key(rdb)
    results = collide([lambda: issue(rdb, people, reference=3) for _ in range(8)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len({r.id for r in results}) == 1


# ------------------------------------------------------------------------------------------------ revocation

@pytest.mark.parametrize(("kind", "status", "refusal"), [
    (Kind.SERVICE_RECORD, "reversed", AlreadyReversed),
    (Kind.VOUCHER, "redeemed", AlreadyRedeemed),
    (Kind.VOUCHER, "cancelled", AlreadyCancelled),
])
def test_a_revoked_receipt_says_so_online_and_offline_and_cannot_be_revoked_again(rdb, people, app, kind, status,
                                                                                   refusal):
    receipt = issue(rdb, people, kind=kind, reference=9)
    at = utcnow().replace(microsecond=0)
    where = people.other_center_id if status == "redeemed" else None
    revocation = revoke_receipt(rdb, kind=kind, reference=9, status=status, at=at, center_id=where)
    assert (revocation.status, revocation.revoked_at) == (status, at)

    text = text_of(receipt)
    online = check_receipt(rdb, code=text, now=at + timedelta(minutes=1))
    assert online.verdict.status == status and not online.valid
    if status == "redeemed":
        assert (online.redeemed_center_code, online.redeemed_center_name) == ("RZ02", "润州区养老服务中心")
    else:
        assert online.redeemed_center_code is None

    rows = revocations_since(rdb, since=at - DAY).items
    assert [(bytes(r.single_use_id), r.status) for r in rows] == [(parse_text(text).payload.single_use_id, status)]
    assert list(revocations_since(rdb, since=at + timedelta(seconds=1)).items) == []
    offline = verify_offline(text, keys=verifier_keys(rdb), now=at,
                             revocations={bytes(r.single_use_id): Revocation(r.status, r.revoked_at)
                                          for r in all_revocations(rdb)})
    assert offline.status == status

    with pytest.raises(refusal) as raised:
        revoke_receipt(rdb, kind=kind, reference=9, status="redeemed", center_id=people.center_id)
    assert raised.value.status == 409
    with app.test_request_context(headers={"Accept-Language": "en"}):
        message = raised.value.text()
    assert at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d") in message  # the time bank's day
    if status == "redeemed":
        assert "润州区养老服务中心（RZ02）" in message  # the page's language: Chinese unless chosen
    assert count_revocations(rdb) == 1


def count_revocations(db) -> int:
    return db.transaction(lambda s: s.execute(select(func.count()).select_from(ReceiptRevocation)).scalar_one())


def test_revoking_a_receipt_never_issued_is_not_found(rdb, people):
    with pytest.raises(ReceiptNotFound):
        revoke_receipt(rdb, kind=Kind.VOUCHER, reference=404, status="redeemed")


def test_many_desks_redeeming_one_voucher_at_once_redeem_it_once(rdb, people):
    issue(rdb, people, kind=Kind.VOUCHER, reference=12)
    results = collide([lambda: revoke_receipt(rdb, kind=Kind.VOUCHER, reference=12, status="redeemed",
                                              center_id=people.center_id) for _ in range(8)])
    assert Counter(type(r).__name__ for r in results) == {"Revocation": 1, "AlreadyRedeemed": 7}
    assert count_revocations(rdb) == 1


def redeem_in_a_process(url: str, start, reference: int, center_id: int, answers) -> None:
    database = Database(url, pool_size=1)
    try:
        start.wait(timeout=60)
        revoke_receipt(database, kind=Kind.VOUCHER, reference=reference, status="redeemed", center_id=center_id)
        answers.put("redeemed")
    except AlreadyRedeemed as refused:
        answers.put(f"refused:{sorted(refused.params)}")
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        answers.put(f"error:{type(error).__name__}:{error!r}")
    finally:
        database.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_redeeming_one_voucher_at_once_redeem_it_once(rdb, people, database_url):
    issue(rdb, people, kind=Kind.VOUCHER, reference=13)
    context = multiprocessing.get_context("spawn")
    start, answers = context.Barrier(4), context.Queue()
    processes = [context.Process(target=redeem_in_a_process,
                                 args=(database_url, start, 13, people.center_id, answers)) for _ in range(4)]
    for process in processes:
        process.start()
    results = [answers.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert Counter(results) == {"redeemed": 1, "refused:['at', 'center']": 3}
    assert count_revocations(rdb) == 1


# ------------------------------------------------------------------------------------ checking what was typed

def test_a_short_code_as_typed_finds_the_receipt(rdb, people):
    receipt = issue(rdb, people, reference=21)
    for typed in (receipt.display_code, receipt.short_code.lower(), f" {receipt.short_code[:5]} {receipt.short_code[5:]}"):
        found = check_receipt(rdb, code=typed)
        assert found.valid and found.token == receipt.token


def test_a_mistyped_short_code_is_a_field_error_and_an_unknown_one_is_not_found(rdb, people):
    code = issue(rdb, people, reference=22).short_code
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:8] + code[9] + code[8]
    with pytest.raises(ValidationFailed) as raised:
        check_receipt(rdb, code=swapped)
    assert set(raised.value.fields) == {"code"}
    with pytest.raises(ReceiptNotFound):
        check_receipt(rdb, code=short_code_for(b"\x00" * 8))


def test_a_receipt_is_expired_from_its_expiry_on(rdb, people):
    receipt = issue(rdb, people, kind=Kind.VOUCHER, reference=31, lifetime=DAY)
    assert check_receipt(rdb, code=receipt.token, now=receipt.expires_at - timedelta(seconds=1)).valid
    for later in (receipt.expires_at, receipt.expires_at + 400 * DAY):
        online, offline = verified_both_ways(rdb, text_of(receipt), kind=Kind.VOUCHER, now=later)
        assert online.verdict.status == offline.status == "expired"


def test_texts_that_are_not_our_receipts_get_a_reason_not_an_error(rdb, people):
    receipt = issue(rdb, people, kind=Kind.VOUCHER, reference=32)
    text = text_of(receipt)
    assert check_receipt(rdb, code="HTTPS://X.CN/R/" + "1" * 200).verdict.reason == "malformed"
    assert check_receipt(rdb, code=text, kind=Kind.CERTIFICATE).verdict.reason == "wrong_kind"
    flipped = text[:-1] + ("1" if text[-1] != "1" else "2")
    assert check_receipt(rdb, code=flipped).verdict.reason in ("bad_signature", "malformed")
    # well signed by our key but never stored (as if a database were restored from before it): unknown_receipt
    rdb.transaction(lambda s: s.execute(update(Receipt.__table__).values(token="0")))
    assert check_receipt(rdb, code=text).verdict.reason == "unknown_receipt"


def test_the_published_key_and_revocation_lists_are_what_an_offline_verifier_reads(rdb, people):
    """The files ``timebank receipts keys/revocations --output`` write (the API's answers) verify and revoke."""
    old = issue(rdb, people, kind=Kind.VOUCHER, reference=51)
    rotate_keys(rdb)
    new = issue(rdb, people, kind=Kind.VOUCHER, reference=52)
    at = utcnow()
    revoke_receipt(rdb, kind=Kind.VOUCHER, reference=51, status="redeemed", at=at, center_id=people.center_id)

    key_file = json.dumps({"items": KeySchema(many=True).dump(public_keys(rdb))})
    revocation_file = json.dumps({"items": RevocationSchema(many=True).dump(all_revocations(rdb))})
    keys, revocations = load_key_list(key_file), load_revocation_list(revocation_file)
    assert len(keys) == 2
    assert verify_offline(text_of(new), keys=keys, now=at, revocations=revocations).valid
    redeemed = verify_offline(text_of(old), keys=keys, now=at, revocations=revocations)
    assert redeemed.status == "redeemed" and redeemed.revocation.revoked_at == at


def test_a_database_replaced_at_the_same_url_verifies_its_own_receipts(tmp_path, sqlite_template):
    """This process remembers the public keys it has read; a database restored from an older backup at the same URL
    makes a new key with an id it already knows. Its receipts still verify, and the first bank's do not."""
    path = tmp_path / "bank.db"
    url = f"sqlite:///{path}"

    def a_bank_with_a_voucher():
        shutil.copyfile(sqlite_template, path)
        db = Database(url, secret_key=SECRET)
        center = create_center(db, actor=SYSTEM, code="JK01", name="京口区养老服务中心", district="京口区")
        volunteer = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
        ensure_signing_key(db)
        return db, text_of(issue(db, People(center.id, center.id, volunteer.id)))

    first, first_text = a_bank_with_a_voucher()
    assert check_receipt(first, code=first_text).verdict.status == "valid"  # key 1 of the first bank, remembered
    first.dispose()

    second, second_text = a_bank_with_a_voucher()  # the same URL, another key 1
    try:
        assert parse_text(second_text).payload.key_id == parse_text(first_text).payload.key_id
        assert check_receipt(second, code=second_text).verdict.status == "valid"
        refused = check_receipt(second, code=first_text).verdict
        assert (refused.status, refused.reason) == ("invalid", "bad_signature")
    finally:
        second.dispose()
