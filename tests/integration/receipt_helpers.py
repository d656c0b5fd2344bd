"""What the receipts' integration tests share (their fixtures are in conftest.py): issuing, and a scanner that
reads a QR image the way a cheap phone camera sees it (2 pixels a module, slightly blurred) with zxing-cpp."""
from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import zxingcpp
from PIL import Image, ImageFilter

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.receipts import qr
from timebank.receipts.codec import Kind, receipt_text
from timebank.receipts.services import issue_receipt

SECRET = "receipts-test-secret-3f9a"
PREFIX = "HTTPS://TIMEBANK.ZHENJIANG-CITY.GOV.CN"  # a 30-character host
SYSTEM = Principal.system("test")
DAY = timedelta(days=1)
JOIN_TIMEOUT_S = 120


@dataclass(frozen=True)
class People:
    center_id: int
    other_center_id: int
    volunteer_id: int


def issue(db, people: People, *, kind: Kind = Kind.VOUCHER, reference: int = 1, amount: int = 1250,
          lifetime: timedelta = 30 * DAY, now=None):
    now = now or utcnow()
    return issue_receipt(db, kind=kind, center_id=people.center_id, volunteer_id=people.volunteer_id, amount=amount,
                         reference=reference, expires_at=now + lifetime, now=now)


def text_of(receipt) -> str:
    return receipt_text(PREFIX, receipt.token)


def as_a_cheap_camera_sees_it(image: Image.Image, text: str, resample) -> Image.Image:
    """The image at 2 pixels a module (quiet zone included), slightly blurred."""
    modules = 17 + 4 * qr.version_of(text) + 2 * qr.QUIET_ZONE
    small = image.convert("L").resize((2 * modules, 2 * modules), resample)
    return small.filter(ImageFilter.GaussianBlur(radius=0.6))


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)
            if result.format == zxingcpp.BarcodeFormat.QRCode]


def scan_png(text: str, resample=Image.Resampling.BOX) -> list[str]:
    image = Image.open(io.BytesIO(qr.png(text)))
    modules = 17 + 4 * qr.version_of(text) + 2 * qr.QUIET_ZONE
    assert image.size == (modules * qr.PNG_MODULE_PIXELS,) * 2
    return decoded(as_a_cheap_camera_sees_it(image, text, resample))


def collide(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call on its own thread, all released at once; each result is a return value or the exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=JOIN_TIMEOUT_S)
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=JOIN_TIMEOUT_S) for future in futures]
