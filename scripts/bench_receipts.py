#!/usr/bin/env python
"""How fast are receipts: signed and stored, verified offline, their QR images rendered and served; how big is a QR?

It prints figures and asserts nothing:

- *signed*: ``receipts.services.issue_receipt`` into the database, one transaction each (a fresh reference each).
- *verified offline*: ``verification.verify_offline`` over 1,000 receipt texts with a key list loaded from the JSON
  that ``GET /api/v1/keys`` and ``timebank receipts keys`` publish (no database): the time for 1,000 (SPEC: < 1 s).
- *QR PNG cold*: ``qr.png`` on distinct texts with its cache cleared; *cached*: the same texts again; and through the
  Flask test client on ``/R/<token>/qr.png`` when the app has that route.
- the largest QR version seen (level M), with ``TIMEBANK_PUBLIC_URL`` a 30-character host, and the version of the
  largest receipt the format allows (every id at 2⁶³ − 1) on that host.

Usage: .venv/bin/python scripts/bench_receipts.py [--database-url URL] [--postgresql] [--count N]
Without --database-url: a temporary SQLite file (removed), or with --postgresql a throwaway database on the server
named by TIMEBANK_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres), created and dropped. A database
given with --database-url is upgraded to the latest migration and receipts are written into it: use a scratch one.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from itertools import cycle, islice

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from timebank import create_app, migrate
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.ledger.standalone import ensure_system_accounts
from timebank.receipts import keys as signing_keys
from timebank.receipts import qr, services
from timebank.receipts.codec import (
    EPOCH,
    MAX_AMOUNT,
    MAX_ID,
    MAX_KEY_ID,
    MAX_SECONDS,
    Kind,
    Payload,
    encode_payload,
    encode_token,
    qr_prefix,
    receipt_text,
    signed_message,
)
from timebank.receipts.links import receipt_url
from timebank.receipts.schemas import KeyPageSchema
from timebank.receipts.verification import load_key_list, verify_offline
from timebank.volunteers.services import create_volunteer

PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PUBLIC_URL = "https://timebanks.jingkou.zhenjiang.cn"  # a 30-character host: SPEC §5's sizing case
VERIFY_COUNT = 1000
QR_ROUTE = "/R/<token>/qr.png"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a scratch database to write receipts into (default: a temporary one)")
    parser.add_argument("--postgresql", action="store_true",
                        help="use a throwaway PostgreSQL database (created and dropped) instead of SQLite")
    parser.add_argument("--count", type=int, default=1000, help="receipts to sign and QR codes to render (1000)")
    return parser.parse_args(argv)


class ScratchDatabase:
    """The database the benchmark writes into, and how to remove it afterwards."""

    def __init__(self, args):
        self.drop = None
        if args.database_url:
            self.url, self.label = args.database_url, "the given database"
        elif args.postgresql:
            import psycopg

            name = f"tb_bench_receipts_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            self.url, self.label = f"{base}/{name}", "PostgreSQL (throwaway)"

            def drop():
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

            self.drop = drop
        else:
            folder = tempfile.mkdtemp(prefix="tb-bench-receipts-")
            self.url, self.label = f"sqlite:///{folder}/timebank.db", "SQLite (temporary file)"
            self.drop = lambda: shutil.rmtree(folder, ignore_errors=True)

    def close(self):
        if self.drop is not None:
            self.drop()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "—"


def largest_possible_text(prefix: str) -> str:
    """The longest receipt the format allows (every number at its limit), signed by a throwaway key."""
    payload = Payload(kind=Kind.CERTIFICATE, key_id=MAX_KEY_ID, center_id=MAX_ID, volunteer_id=MAX_ID,
                      amount=MAX_AMOUNT, reference=MAX_ID, single_use_id=b"\xff" * 8,
                      issued_at=EPOCH + timedelta(seconds=MAX_SECONDS),
                      expires_at=EPOCH + timedelta(seconds=2 * MAX_SECONDS))
    payload_bytes = encode_payload(payload)
    signature = Ed25519PrivateKey.generate().sign(signed_message(payload_bytes))
    return receipt_text(prefix, encode_token(payload_bytes + signature))


def main(argv=None) -> int:
    args = parse_args(argv)
    host = qr_prefix(PUBLIC_URL).split("://", 1)[1]
    assert len(host) == 30, host
    scratch = ScratchDatabase(args)
    try:
        log(f"database: {scratch.label}; upgrading to the latest migration")
        migrate.upgrade(scratch.url)
        app = create_app({"DATABASE_URL": scratch.url, "PUBLIC_URL": PUBLIC_URL, "SECRET_KEY": "bench-receipts",
                          "TESTING": True})
        try:
            run(args, app, scratch.label, host)
        finally:
            get_db(app).dispose()  # before a throwaway PostgreSQL database is dropped
    finally:
        scratch.close()
    return 0


def run(args, app, label: str, host: str) -> None:
    db = get_db(app)
    ensure_system_accounts(db)
    system = Principal.system("bench")
    code = f"B{uuid.uuid4().hex[:5].upper()}"
    center = create_center(db, actor=system, code=code, name="基准测试中心", district="京口区")
    volunteer = create_volunteer(db, actor=system, name="王小英", phone=f"139{uuid.uuid4().int % 10**8:08d}",
                                 home_center=code)
    signing_keys.ensure_signing_key(db)
    expires_at = utcnow() + timedelta(days=365)
    reference_base = uuid.uuid4().int % 10**12 * 10**6  # fresh references, so a given database gets new receipts

    log(f"signing {args.count} receipts into the database")
    issued = []
    started = time.perf_counter()
    for number in range(args.count):
        issued.append(services.issue_receipt(db, kind=Kind.VOUCHER, center_id=center.id, volunteer_id=volunteer.id,
                                             amount=1250 + number, reference=reference_base + number,
                                             expires_at=expires_at))
    sign_seconds = time.perf_counter() - started

    with app.test_request_context():
        texts = [receipt_url(receipt.token) for receipt in issued]
    published = signing_keys.public_keys(db)
    key_json = json.dumps(KeyPageSchema().dump({"items": published, "total": len(published), "page": 1,
                                                "per_page": max(1, len(published)), "pages": 1}))
    started = time.perf_counter()
    keys = load_key_list(key_json)
    load_seconds = time.perf_counter() - started

    log(f"verifying {VERIFY_COUNT} texts offline")
    to_verify = list(islice(cycle(texts), VERIFY_COUNT))
    now = utcnow()
    started = time.perf_counter()
    verdicts = [verify_offline(text, keys=keys, now=now, kind=Kind.VOUCHER) for text in to_verify]
    verify_seconds = time.perf_counter() - started
    valid = sum(verdict.valid for verdict in verdicts)

    log(f"rendering {len(texts)} QR PNGs cold, then cached")
    qr.png.cache_clear()
    started = time.perf_counter()
    sizes = [len(qr.png(text)) for text in texts]
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in texts:
        qr.png(text)
    cached_seconds = time.perf_counter() - started
    versions = [qr.version_of(text) for text in texts]
    largest = largest_possible_text(qr_prefix(PUBLIC_URL))

    http = None
    if any(rule.rule.startswith("/R/") and rule.rule.endswith("/qr.png") for rule in app.url_map.iter_rules()):
        log(f"serving {len(texts)} cached PNGs through the Flask test client")
        client = app.test_client()
        statuses = set()
        started = time.perf_counter()
        for receipt in issued:
            statuses.add(client.get(f"/R/{receipt.token}/qr.png").status_code)
        http = (time.perf_counter() - started, statuses)

    print(f"# receipts benchmark: {label}, {args.count} receipts; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; QR host {host} ({len(host)} characters)")
    print()
    print("| measure | count | time | rate |")
    print("|---|---:|---:|---:|")
    print(f"| signed and stored (`issue_receipt`, a transaction each) | {args.count:,} | {sign_seconds:.2f} s | "
          f"{rate(args.count, sign_seconds)} |")
    print(f"| verified offline (`verify_offline`, loaded key list; {valid:,} valid) | {VERIFY_COUNT:,} | "
          f"{verify_seconds * 1000:.0f} ms | {rate(VERIFY_COUNT, verify_seconds)} |")
    print(f"| QR PNG rendered cold (`qr.png`, cache cleared) | {len(texts):,} | {cold_seconds:.2f} s | "
          f"{rate(len(texts), cold_seconds)} |")
    print(f"| QR PNG served cached (`qr.png` again) | {len(texts):,} | {cached_seconds * 1000:.1f} ms | "
          f"{rate(len(texts), cached_seconds)} |")
    if http is not None:
        print(f"| QR PNG through the test client (`GET {QR_ROUTE}`, statuses {sorted(http[1])}) | {len(texts):,} | "
              f"{http[0]:.2f} s | {rate(len(texts), http[0])} |")
    print()
    if http is None:
        print(f"(no `{QR_ROUTE}` route in this app: the test-client line is skipped)")
    print(f"key list: {len(keys)} key(s), loaded in {load_seconds * 1000:.2f} ms; "
          f"1,000 offline verifications took {verify_seconds:.3f} s")
    print(f"QR text length {min(map(len, texts))}–{max(map(len, texts))} characters; largest QR version seen "
          f"{max(versions)} (level M; seen: {', '.join(f'v{v}×{versions.count(v)}' for v in sorted(set(versions)))}); "
          f"PNG {min(sizes):,}–{max(sizes):,} bytes")
    print(f"largest receipt the format allows: {len(largest)} characters, QR version {qr.version_of(largest)}")


if __name__ == "__main__":
    sys.exit(main())
