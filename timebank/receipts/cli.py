"""``timebank receipts …``: verify receipts (offline with saved key and revocation lists, or against this database),
write those lists for an auditor, rotate the signing keys, and look one receipt up.

Exit status of ``verify`` and ``show``: 0 when every receipt is valid, 1 when one is not, 2 when a file (or the
database that stands in for the files) cannot be used. With ``--keys`` nothing here opens the database, so an auditor
runs ``verify`` on a laptop with the two files and nothing else.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from timebank.cli import exit_with_error
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.ledger.rules import format_credits
from timebank.receipts import keys as signing_keys
from timebank.receipts import services
from timebank.receipts.codec import KIND_LABELS, Kind, MalformedReceipt, parse_text
from timebank.receipts.rules import display_short_code
from timebank.receipts.schemas import KeyPageSchema, RevocationPageSchema
from timebank.receipts.verification import (
    BadListFile,
    Revocation,
    Verdict,
    load_key_list,
    load_revocation_list,
    verify_offline,
)

UNUSABLE = 2  # the exit status for a file (or database) that cannot be used, as click uses for bad arguments


class Unusable(Exception):
    """A keys or revocations file, or the database in their place, that cannot be used."""


@click.group("receipts", help="Verify signed receipts, publish the key and revocation lists, rotate the signing keys.")
def receipts_cli():
    pass


@receipts_cli.command("verify", help="Verify a scanned receipt text (the QR's text, /R/<token> or the token; '-' reads "
                                     "one a line from standard input). With --keys only that file is used (saved from "
                                     "GET /api/v1/keys or written by 'timebank receipts keys'), never the database; "
                                     "without it the database's keys and revocations are used. Exit 0 when valid, 1 "
                                     "when not, 2 when a file cannot be used.")
@click.argument("text")
@click.option("--keys", "keys_path", type=click.Path(dir_okay=False), help="the public key list (JSON)")
@click.option("--revoked", "revoked_path", type=click.Path(dir_okay=False),
              help="the revocation list (JSON, from GET /api/v1/receipts/revocations or 'timebank receipts revocations')")
@click.option("--kind", type=click.Choice(KIND_LABELS), help="the kind expected; another kind is not valid")
@with_appcontext
def verify_command(text, keys_path, revoked_path, kind):
    try:
        zone = _zone()
        if keys_path is not None:
            keys = _load(keys_path, "keys", load_key_list)
            if not keys:
                raise Unusable(f"the keys file {keys_path} holds no keys")
            revocations = _load(revoked_path, "revocations", load_revocation_list) if revoked_path else None
        else:
            keys, database_revocations = _database_lists()
            revocations = (_load(revoked_path, "revocations", load_revocation_list) if revoked_path
                           else database_revocations)
    except Unusable as error:
        _exit_unusable(error)
    if revocations is None:
        click.echo("note: no revocation list (--revoked): a reversed, redeemed or cancelled receipt shows as valid",
                   err=True)
    expected = Kind.from_label(kind) if kind else None
    now = utcnow()
    all_valid = True
    for label, one in _texts(text):
        verdict = verify_offline(one, keys=keys, now=now, kind=expected, revocations=revocations)
        all_valid = all_valid and verdict.valid
        click.echo(f"{label}{verdict_line(verdict, one, zone, expected)}")
    raise SystemExit(0 if all_valid else 1)


@receipts_cli.command("keys", help="Print the public key list as JSON, exactly as GET /api/v1/keys answers (every key "
                                   "on one page; public halves only): the file 'verify --keys' reads.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="write it to this file")
@with_appcontext
def keys_command(output):
    found = _from_database(lambda: signing_keys.public_keys(get_db()))
    _write(KeyPageSchema().dump(_one_page(found)), output, f"{len(found)} key(s)")


@receipts_cli.command("revocations", help="Print the revocation list as JSON, as GET /api/v1/receipts/revocations "
                                          "answers (all on one page): the file 'verify --revoked' reads.")
@click.option("--since", metavar="ISO", help="only revocations at or after this time (ISO 8601; without an offset it "
                                             "is read in TIMEBANK_TIMEZONE)")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="write it to this file")
@with_appcontext
def revocations_command(since, output):
    since_at = _moment(since) if since else None
    rows = _from_database(lambda: services.all_revocations(get_db()))
    if since_at is not None:
        rows = [row for row in rows if row.revoked_at >= since_at]
    _write(RevocationPageSchema().dump(_one_page(rows)), output, f"{len(rows)} revocation(s)")


@receipts_cli.command("rotate-keys", help="Make a new signing key; the one it replaces keeps verifying until every "
                                          "receipt it signed has expired, and keys with nothing left to verify retire.")
@click.option("--if-older-than-days", "older_than_days", type=click.IntRange(min=0), metavar="N",
              help="rotate only when the active key is at least N days old (retiring still happens)")
@click.option("--replace-unopenable", is_flag=True,
              help="the secret key was lost: replace an active key this TIMEBANK_SECRET_KEY cannot open")
@with_appcontext
def rotate_keys_command(older_than_days, replace_unopenable):
    db = get_db()
    if_older_than = timedelta(days=older_than_days) if older_than_days is not None else None
    try:
        rotation = signing_keys.rotate_keys(db, if_older_than=if_older_than, replace_unopenable=replace_unopenable)
    except DomainError as error:
        exit_with_error(error)
    zone = _zone_or_exit()
    published = signing_keys.public_keys(db)
    if rotation.new_key_id is not None:
        click.echo(f"new signing key: {rotation.new_key_id}")
    else:
        active = next((key.id for key in published if key.status == "active"), None)
        click.echo(f"no new key: the active key {active} is younger than {older_than_days} day(s)")
    for key in published:
        if key.status == "verify_only":
            click.echo(f"key {key.id} signs no more and verifies until {_when(key.valid_until, zone)}")
    retired = ", ".join(str(key_id) for key_id in rotation.retired_key_ids) or "none"
    click.echo(f"retired now: {retired}")


@receipts_cli.command("show", help="Look up a short code (K7QXM-3PA9W) or a receipt text in this database: the "
                                   "verdict, its center and the volunteer's masked name. Exit 0 when valid, else 1.")
@click.argument("code")
@click.option("--kind", type=click.Choice(KIND_LABELS), help="the kind expected; another kind is not valid")
@with_appcontext
def show_command(code, kind):
    expected = Kind.from_label(kind) if kind else None
    zone = _zone_or_exit()
    try:
        check = services.check_receipt(get_db(), code=code, kind=expected)
    except DomainError as error:
        exit_with_error(error)
    text = check.token or code
    click.echo(verdict_line(check.verdict, text, zone, expected))
    if check.center_code is not None:
        click.echo(f"center: {check.center_code} {check.center_name}")
    if check.volunteer is not None:
        click.echo(f"volunteer: {check.volunteer}")
    if check.redeemed_center_code is not None:
        click.echo(f"redeemed at: {check.redeemed_center_code} {check.redeemed_center_name}")
    raise SystemExit(0 if check.valid else 1)


# --- what a verdict says ----------------------------------------------------------------------------------------------

def verdict_line(verdict: Verdict, text: str, zone, expected: Kind | None = None) -> str:
    """``valid: voucher, 12.50 credits, center 3, issued …, expires …, short code …`` or ``not valid: <why>``."""
    if verdict.valid:
        return f"valid: {_details(verdict, zone)}"
    why = _reason(verdict, text, zone, expected)
    return f"not valid: {why}; {_details(verdict, zone)}" if verdict.receipt else f"not valid: {why}"


def _reason(verdict: Verdict, text: str, zone, expected: Kind | None) -> str:
    receipt, revocation = verdict.receipt, verdict.revocation
    if verdict.status == "expired":
        return f"it expired on {_when(receipt.expires_at, zone)}"
    if verdict.status == "reversed":
        return f"its service record was reversed on {_when(revocation.revoked_at, zone)}"
    if verdict.status == "redeemed":
        return f"this voucher was already redeemed on {_when(revocation.revoked_at, zone)}"
    if verdict.status == "cancelled":
        return f"this voucher was cancelled on {_when(revocation.revoked_at, zone)}"
    if verdict.reason == "unknown_key":
        return (f"it is signed with key {_key_id(text)}, which is not in the key list (fetch the current list from "
                f"GET /api/v1/keys)")
    if verdict.reason == "wrong_kind":
        return f"it is a {receipt.kind.label} receipt, not a {expected.label if expected else 'receipt of that kind'}"
    return _SENTENCES.get(verdict.reason, f"{verdict.reason}")


_SENTENCES = {
    "malformed": "this text is not a time bank receipt (it may be cut short, mistyped or something else entirely)",
    "bad_signature": "the signature does not match: the receipt was altered or is forged",
    "unknown_receipt": "its signature is good but this time bank has no such receipt",
}


def _details(verdict: Verdict, zone) -> str:
    receipt = verdict.receipt
    return (f"{receipt.kind.label}, {_amount(receipt.kind, receipt.amount)}, center {receipt.center_id}, "
            f"issued {_when(receipt.issued_at, zone)}, expires {_when(receipt.expires_at, zone)}, "
            f"short code {display_short_code(verdict.short_code)}")


def _amount(kind: Kind, amount: int) -> str:
    if kind is Kind.CERTIFICATE:  # a certificate counts minutes of service, not credits
        hours, minutes = divmod(amount, 60)
        return f"{hours} h {minutes:02d} min of service"
    return f"{format_credits(amount)} credits"


def _when(moment: datetime | None, zone) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} ({local.isoformat()[-6:]})"


def _key_id(text: str) -> str:
    try:
        return str(parse_text(text).payload.key_id)
    except MalformedReceipt:  # cannot happen after check_signature parsed it, but a sentence must not fail
        return "?"


# --- files, the database in their place, and settings -----------------------------------------------------------------

def _texts(text: str):
    """``(label, text)`` for the one argument, or for each non-blank line of standard input (labelled by number)."""
    if text != "-":
        yield "", text
        return
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            yield f"line {number}: ", line.strip()


def _load(path: str, what: str, loader):
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
    except OSError as error:
        raise Unusable(f"cannot read the {what} file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise Unusable(f"the {what} file {path} is not UTF-8 text") from None
    try:
        return loader(content)
    except BadListFile as error:
        raise Unusable(f"cannot use the {what} file {path}: {error}") from None


def _database_lists() -> tuple[dict, dict[bytes, Revocation]]:
    def read():
        db = get_db()
        keys = services.verifier_keys(db)
        revocations = {bytes(row.single_use_id): Revocation(status=row.status, revoked_at=row.revoked_at)
                       for row in services.all_revocations(db)}
        return keys, revocations

    keys, revocations = _read_database(read)
    if not keys:
        raise Unusable("this database has no receipt keys yet (run 'timebank init'), or give --keys FILE")
    return keys, revocations


def _read_database(read):
    """``read()``, with a database that cannot be read (unreachable, never initialised) as ``Unusable``."""
    # One-statement reads go to the driver directly (``Database.read_all``), so its own errors come up unwrapped.
    driver_error = get_db().engine.dialect.loaded_dbapi.Error
    try:
        return read()
    except (SQLAlchemyError, driver_error) as error:
        cause = getattr(error, "orig", None) or error
        first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise Unusable(f"cannot read the receipts from the database ({first_line}); run 'timebank init', "
                       f"or verify offline with --keys FILE") from None


def _from_database(read):
    try:
        return _read_database(read)
    except Unusable as error:
        _exit_unusable(error)


def _exit_unusable(error: Unusable) -> None:
    """A clear sentence and exit status 2, never a traceback."""
    click.echo(f"error: {error}", err=True)
    raise SystemExit(UNUSABLE)


def _one_page(items) -> dict:
    items = list(items)
    return {"items": items, "total": len(items), "page": 1, "per_page": max(1, len(items)), "pages": 1}


def _write(document: dict, output: str | None, what: str) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        click.echo(f"error: cannot write {output}: {error.strerror or error}", err=True)
        raise SystemExit(UNUSABLE) from None
    click.echo(f"wrote {what} to {output}", err=True)


def _zone():
    name = current_app.config.get("TIMEZONE") or "Asia/Shanghai"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unusable(f"TIMEBANK_TIMEZONE {name!r} is not a time zone (for example Asia/Shanghai)") from None


def _zone_or_exit():
    try:
        return _zone()
    except Unusable as error:
        _exit_unusable(error)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time (2026-12-01 or 2026-12-01T20:33+08:00)",
                                 param_hint="--since") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_zone_or_exit())
