"""``timebank receipts …`` through Flask's CLI runner, on both databases: verify (offline with saved lists, and against
the database), keys, revocations, rotate-keys and show."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from timebank import create_app
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import get_db
from timebank.receipts import keys as signing_keys
from timebank.receipts import services
from timebank.receipts.codec import Kind
from timebank.receipts.schemas import KeyPageSchema
from timebank.receipts.verification import encode_public_key
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
ISSUED = datetime(2025, 6, 1, 12, 33, tzinfo=timezone.utc)  # 20:33 in Asia/Shanghai
EXPIRES = datetime(2099, 6, 1, 12, 33, tzinfo=timezone.utc)


@pytest.fixture
def place(app):
    """A real center and volunteer, made with their services: ``(center_id, volunteer_id)``."""
    db = get_db(app)
    center = create_center(db, actor=SYSTEM, code="JK01", name="京口区养老服务中心", district="京口区")
    volunteer = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13805291234", home_center="JK01")
    return center.id, volunteer.id


@pytest.fixture
def issue(app, place):
    serial = iter(range(1, 10_000))

    def make(kind=Kind.VOUCHER, *, amount=1250, now=ISSUED, expires_at=EXPIRES, reference=None):
        return services.issue_receipt(get_db(app), kind=kind, center_id=place[0], volunteer_id=place[1],
                                      amount=amount, reference=reference or next(serial), expires_at=expires_at,
                                      now=now)

    return make


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def keys_file(runner, tmp_path):
    """``keys_file()``: the key list as ``timebank receipts keys --output`` writes it now."""
    def write(name="keys.json"):
        path = tmp_path / name
        result = runner.invoke(args=["receipts", "keys", "--output", str(path)])
        assert result.exit_code == 0, result.output
        return path

    return write


def revocations_file(runner, tmp_path, *extra):
    path = tmp_path / "revoked.json"
    result = runner.invoke(args=["receipts", "revocations", "--output", str(path), *extra])
    assert result.exit_code == 0, result.output
    return path


def verify(runner, *args, input=None):
    return runner.invoke(args=["receipts", "verify", *map(str, args)], input=input)


def offline_app(url: str):
    """An app whose database cannot be reached or created: what an auditor's laptop has."""
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "laptop"})


def valid_line(receipt, center_id: int, what="voucher, 12.50 credits") -> str:
    return (f"valid: {what}, center {center_id}, issued 2025-06-01 20:33 (+08:00), expires 2099-06-01 20:33 (+08:00), "
            f"short code {receipt.display_code}")


# --- verify -----------------------------------------------------------------------------------------------------------

def test_verify_says_valid_with_kind_amount_center_times_and_short_code(runner, issue, place):
    receipt = issue(amount=1250)
    result = verify(runner, receipt.token)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == valid_line(receipt, place[0])


def test_verify_reads_the_whole_qr_text_and_shows_a_certificate_in_hours(runner, issue, place):
    receipt = issue(Kind.CERTIFICATE, amount=750)
    result = verify(runner, f"https://timebank.example.cn/R/{receipt.token}".upper())
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == valid_line(receipt, place[0], "certificate, 12 h 30 min of service")


def test_verify_shows_times_in_timebank_timezone(app, runner, issue):
    receipt = issue()
    app.config["TIMEZONE"] = "Europe/London"
    result = verify(runner, receipt.token)
    assert result.exit_code == 0, result.output
    assert "issued 2025-06-01 13:33 (+01:00), expires 2099-06-01 13:33 (+01:00)" in result.stdout


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/nowhere",
                                 "sqlite:////proc/timebank-nowhere/timebank.db"])
def test_verify_with_a_keys_file_never_touches_the_database(runner, issue, place, keys_file, url):
    receipt = issue()
    keys = keys_file()
    laptop = offline_app(url).test_cli_runner()
    result = verify(laptop, receipt.token, "--keys", keys)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == valid_line(receipt, place[0])
    assert "no revocation list" in result.stderr
    # The same laptop without the file: the database really is out of reach, said in words with status 2.
    without = verify(laptop, receipt.token)
    assert without.exit_code == 2
    assert "cannot read the receipts from the database" in without.stderr
    assert "Traceback" not in without.output


def api_key_list(app) -> str:
    """The answer of ``GET /api/v1/keys``; while that route is not on this branch, the same JSON from KeySchema."""
    if any(rule.rule == "/api/v1/keys" for rule in app.url_map.iter_rules()):
        response = app.test_client().get("/api/v1/keys")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)
    found = signing_keys.public_keys(get_db(app))
    return json.dumps(KeyPageSchema().dump({"items": found, "total": len(found), "page": 1, "per_page": 200,
                                            "pages": 1}))


def test_verify_offline_with_a_key_list_saved_from_the_api(app, issue, tmp_path):
    receipt = issue()
    saved = tmp_path / "api-keys.json"
    saved.write_text(api_key_list(app))
    laptop = offline_app("sqlite:////proc/timebank-nowhere/timebank.db").test_cli_runner()
    result = verify(laptop, receipt.token, "--keys", saved)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: voucher, 12.50 credits")


def flipped(token: str, index: int = -20) -> str:
    """The token with one signature character changed (index −20 lies inside the 64-byte signature)."""
    replacement = "1" if token[index] != "1" else "2"
    return token[:index] + replacement + token[index + 1:]


def test_every_reason_a_receipt_is_not_valid_has_its_sentence_and_exit_1(app, runner, issue, place, keys_file,
                                                                           tmp_path):
    db = get_db(app)
    good = issue(Kind.VOUCHER)
    expired = issue(Kind.VOUCHER, now=datetime(2025, 1, 1, tzinfo=timezone.utc),
                    expires_at=datetime(2025, 2, 1, 4, tzinfo=timezone.utc))
    record = issue(Kind.SERVICE_RECORD, reference=501)
    redeemed = issue(Kind.VOUCHER, reference=502)
    cancelled = issue(Kind.VOUCHER, reference=503)
    at = datetime(2026, 3, 4, 2, 5, tzinfo=timezone.utc)
    services.revoke_receipt(db, kind=Kind.SERVICE_RECORD, reference=501, status="reversed", at=at)
    services.revoke_receipt(db, kind=Kind.VOUCHER, reference=502, status="redeemed", at=at, center_id=place[0])
    services.revoke_receipt(db, kind=Kind.VOUCHER, reference=503, status="cancelled", at=at)
    keys = keys_file()
    revoked = revocations_file(runner, tmp_path)
    signing_keys.rotate_keys(db)
    unknown_key = issue(Kind.VOUCHER)  # signed with the new key, which the saved file predates

    cases = [
        ("HELLO-WORLD-NOT-A-RECEIPT", [], "not valid: this text is not a time bank receipt"),
        (unknown_key.token, [], "not valid: it is signed with key 2, which is not in the key list"),
        (flipped(good.token), [], "not valid: the signature does not match: the receipt was altered or is forged"),
        (good.token, ["--kind", "certificate"], "not valid: it is a voucher receipt, not a certificate; voucher"),
        (expired.token, [], "not valid: it expired on 2025-02-01 12:00 (+08:00); voucher"),
        (record.token, [], "not valid: its service record was reversed on 2026-03-04 10:05 (+08:00); service_record"),
        (redeemed.token, [], "not valid: this voucher was already redeemed on 2026-03-04 10:05 (+08:00); voucher"),
        (cancelled.token, [], "not valid: this voucher was cancelled on 2026-03-04 10:05 (+08:00); voucher"),
    ]
    for text, extra, sentence in cases:
        result = verify(runner, text, "--keys", keys, "--revoked", revoked, *extra)
        assert result.exit_code == 1, (sentence, result.output)
        assert result.stdout.startswith(sentence), (sentence, result.stdout)
    # The good one, with the same files, is still valid: the failures above came from the receipts, not the files.
    assert verify(runner, good.token, "--keys", keys, "--revoked", revoked).exit_code == 0


def test_verify_without_files_uses_the_database_keys_and_its_revocations(app, runner, issue, place):
    receipt = issue(reference=77)
    assert verify(runner, receipt.token).exit_code == 0
    services.revoke_receipt(get_db(app), kind=Kind.VOUCHER, reference=77, status="redeemed", center_id=place[0])
    result = verify(runner, receipt.token)
    assert result.exit_code == 1
    assert result.stdout.startswith("not valid: this voucher was already redeemed on")


def test_revoked_file_marks_a_redeemed_voucher_that_the_keys_alone_call_valid(app, runner, issue, place, keys_file,
                                                                             tmp_path):
    receipt = issue(reference=88)
    services.revoke_receipt(get_db(app), kind=Kind.VOUCHER, reference=88, status="redeemed", center_id=place[0])
    keys = keys_file()
    assert verify(runner, receipt.token, "--keys", keys).exit_code == 0  # the signature alone cannot know
    result = verify(runner, receipt.token, "--keys", keys, "--revoked", revocations_file(runner, tmp_path))
    assert result.exit_code == 1
    assert "already redeemed" in result.stdout


def test_verify_reads_many_texts_from_stdin_one_verdict_a_line(runner, issue, place, keys_file):
    first, second = issue(), issue()
    keys = keys_file()
    both = verify(runner, "-", "--keys", keys, input=f"{first.token}\n\n{second.token}\n")
    assert both.exit_code == 0, both.output
    assert both.stdout.splitlines() == [f"line 1: {valid_line(first, place[0])}",
                                     f"line 3: {valid_line(second, place[0])}"]
    mixed = verify(runner, "-", "--keys", keys, input=f"{first.token}\nnonsense\n")
    assert mixed.exit_code == 1
    assert mixed.stdout.splitlines()[1].startswith("line 2: not valid: this text is not a time bank receipt")


def test_a_rotated_key_still_verifies_its_old_receipts_offline(app, runner, issue, keys_file):
    old = issue()
    result = runner.invoke(args=["receipts", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "new signing key: 2" in result.stdout
    assert "key 1 signs no more and verifies until 2099-06-01 20:33 (+08:00)" in result.stdout
    new = issue()
    keys = keys_file()
    for receipt in (old, new):
        assert verify(runner, receipt.token, "--keys", keys).exit_code == 0
    statuses = {entry["key_id"]: entry["status"] for entry in json.loads(keys.read_text())["items"]}
    assert statuses == {1: "verify_only", 2: "active"}


def test_rotate_keys_if_older_than_makes_no_second_key_and_retires_keys_with_nothing_left(app, runner, issue):
    issue(now=datetime(2025, 1, 1, tzinfo=timezone.utc), expires_at=datetime(2025, 2, 1, tzinfo=timezone.utc))
    first = runner.invoke(args=["receipts", "rotate-keys"])
    assert first.exit_code == 0, first.output
    assert "new signing key: 2" in first.stdout
    assert "retired now: 1" in first.stdout  # everything key 1 signed has expired
    again = runner.invoke(args=["receipts", "rotate-keys", "--if-older-than-days", "30"])
    assert again.exit_code == 0, again.output
    assert "no new key: the active key 2 is younger than 30 day(s)" in again.stdout
    assert [key.id for key in signing_keys.public_keys(get_db(app))] == [2, 1]


# --- unusable files ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option, content, says", [
    ("--keys", None, "cannot read the keys file"),
    ("--keys", "not json at all", "the keys file is not JSON"),
    ("--keys", '{"items": 3}', "the keys file holds no list of keys"),
    ("--keys", '{"items": [{"key_id": 1, "public_key": "c2hvcnQ"}]}', "a key entry is not readable"),
    ("--keys", '{"items": []}', "holds no keys"),
    ("--keys", b"\xff\xfe\x00binary", "is not UTF-8 text"),
    ("--revoked", '{"items": [{"single_use_id": "zz", "status": "redeemed", "revoked_at": "2026-01-01T00:00:00+00:00"}]}',
     "a revocation entry is not readable"),
    ("--revoked", '[{"single_use_id": "00", "status": "lost", "revoked_at": "2026-01-01T00:00:00+00:00"}]',
     "unknown status 'lost'"),
])
def test_an_unusable_file_exits_2_with_a_message_and_no_traceback(runner, issue, keys_file, tmp_path, option,
                                                                   content, says):
    receipt = issue()
    path = tmp_path / "given.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    others = ["--keys", str(keys_file())] if option == "--revoked" else []
    result = verify(runner, receipt.token, *others, option, path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and says in result.stderr, result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_verify_against_a_database_without_keys_says_so_with_exit_2(runner):
    result = verify(runner, "ANYTHING")
    assert result.exit_code == 2
    assert "this database has no receipt keys yet" in result.stderr


# --- keys and revocations ---------------------------------------------------------------------------------------------

def test_keys_prints_the_public_halves_in_the_api_shape_and_nothing_private(app, runner, issue):
    issue()
    signing_keys.rotate_keys(get_db(app))
    result = runner.invoke(args=["receipts", "keys"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {name: document[name] for name in ("total", "page", "pages")} == {"total": 2, "page": 1, "pages": 1}
    published = {key.id: key.public_key for key in signing_keys.public_keys(get_db(app))}
    for entry in document["items"]:
        assert set(entry) == {"key_id", "algorithm", "public_key", "status", "valid_from", "signs_until",
                              "valid_until"}
        assert entry["algorithm"] == "Ed25519"
        assert entry["public_key"] == encode_public_key(published[entry["key_id"]])
    assert "sealed" not in result.stdout and "private" not in result.stdout


def test_keys_file_holds_a_key_it_did_not_sign_with_no_effect(runner, issue, keys_file, tmp_path):
    """A list with a stranger's key beside ours still verifies ours, and the stranger's signature is refused."""
    receipt = issue()
    document = json.loads(keys_file().read_text())
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    document["items"].append({"key_id": 99, "algorithm": "Ed25519", "public_key": encode_public_key(stranger),
                              "status": "active", "valid_from": "2026-01-01T00:00:00+00:00"})
    path = tmp_path / "with-stranger.json"
    path.write_text(json.dumps(document))
    assert verify(runner, receipt.token, "--keys", path).exit_code == 0


def test_revocations_lists_every_revocation_and_since_keeps_the_later_ones(app, runner, issue, place):
    db = get_db(app)
    issue(reference=1), issue(reference=2)
    services.revoke_receipt(db, kind=Kind.VOUCHER, reference=1, status="cancelled",
                            at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    services.revoke_receipt(db, kind=Kind.VOUCHER, reference=2, status="redeemed",
                            at=datetime(2026, 2, 1, tzinfo=timezone.utc), center_id=place[0])
    everything = json.loads(runner.invoke(args=["receipts", "revocations"]).stdout)
    assert everything["total"] == 2
    assert [entry["status"] for entry in everything["items"]] == ["cancelled", "redeemed"]
    assert set(everything["items"][0]) == {"single_use_id", "status", "revoked_at"}
    # 2026-01-15 00:00 in Asia/Shanghai: only the February one
    later = json.loads(runner.invoke(args=["receipts", "revocations", "--since", "2026-01-15"]).stdout)
    assert [entry["status"] for entry in later["items"]] == ["redeemed"]
    bad = runner.invoke(args=["receipts", "revocations", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "is not an ISO 8601 time" in bad.output


# --- show -------------------------------------------------------------------------------------------------------------

def test_show_looks_up_a_short_code_and_says_center_and_masked_name(runner, issue, place):
    receipt = issue()
    for code in (receipt.display_code, receipt.short_code.lower(), receipt.token):
        result = runner.invoke(args=["receipts", "show", code])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [valid_line(receipt, place[0]),
                                              "center: JK01 京口区养老服务中心", "volunteer: 王*英"]


def test_show_of_a_redeemed_voucher_says_where_and_exits_1(app, runner, issue, place):
    receipt = issue(reference=9)
    services.revoke_receipt(get_db(app), kind=Kind.VOUCHER, reference=9, status="redeemed", center_id=place[0])
    result = runner.invoke(args=["receipts", "show", receipt.display_code])
    assert result.exit_code == 1
    assert result.stdout.startswith("not valid: this voucher was already redeemed on")
    assert "redeemed at: JK01 京口区养老服务中心" in result.stdout


def test_show_refuses_a_mistyped_or_unknown_short_code_in_words(runner, issue):
    receipt = issue()
    code = receipt.short_code
    at = next(i for i in range(len(code) - 1) if code[i] != code[i + 1])
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2:]  # two neighbours swapped: the check catches it
    mistyped = runner.invoke(args=["receipts", "show", swapped])
    assert mistyped.exit_code == 1
    assert "This short code is not right" in mistyped.stderr
    unknown = runner.invoke(args=["receipts", "show", "00000-00000"])
    assert unknown.exit_code == 1
    assert "error: No receipt has the code 00000-00000." in unknown.stderr


def test_a_changed_secret_key_is_a_warning_at_init_and_rotating_makes_a_key_that_signs(empty_database_url, tmp_path):
    """Losing TIMEBANK_SECRET_KEY: init still readies the database and says what to do; rotate-keys repairs it and
    a receipt signed before still verifies offline."""
    def app_with(secret):
        return create_app({"DATABASE_URL": empty_database_url, "TESTING": True, "SECRET_KEY": secret})

    before, after = app_with("the-old-secret"), app_with("a-new-secret")
    try:
        assert before.test_cli_runner().invoke(args=["init"]).exit_code == 0
        db = get_db(before)
        center = create_center(db, actor=SYSTEM, code="JK01", name="京口区养老服务中心", district="京口区")
        volunteer = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13805291234", home_center="JK01")
        old = services.issue_receipt(db, kind=Kind.VOUCHER, center_id=center.id, volunteer_id=volunteer.id,
                                     amount=1250, reference=1, expires_at=EXPIRES, now=ISSUED)
        signing_keys._signers.clear()  # the server restarted with the new secret: no key unsealed in this process
        runner = after.test_cli_runner()
        init = runner.invoke(args=["init"])
        assert init.exit_code == 0, init.output
        assert "warning: the receipt signing key cannot be opened" in init.stderr
        assert "Traceback" not in init.output
        with pytest.raises(signing_keys.SigningKeyUnavailable):
            services.issue_receipt(get_db(after), kind=Kind.VOUCHER, center_id=center.id, volunteer_id=volunteer.id,
                                   amount=1250, reference=2, expires_at=EXPIRES)
        refused = runner.invoke(args=["receipts", "rotate-keys"])
        assert refused.exit_code == 1 and "cannot be opened" in refused.output  # a wrong secret replaces nothing
        rotated = runner.invoke(args=["receipts", "rotate-keys", "--replace-unopenable"])
        assert rotated.exit_code == 0 and "new signing key: 2" in rotated.stdout, rotated.output
        assert "receipts are signed with key 2" in runner.invoke(args=["init"]).stdout
        new = services.issue_receipt(get_db(after), kind=Kind.VOUCHER, center_id=center.id,
                                     volunteer_id=volunteer.id, amount=1250, reference=2, expires_at=EXPIRES)
        keys = tmp_path / "keys.json"
        assert runner.invoke(args=["receipts", "keys", "--output", str(keys)]).exit_code == 0
        for receipt in (old, new):
            assert verify(runner, receipt.token, "--keys", keys).exit_code == 0
    finally:
        get_db(before).dispose()
        get_db(after).dispose()
