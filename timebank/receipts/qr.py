"""QR images of receipt texts, PNG and SVG, each rendered once per process and then served from memory.

Rendering a code costs about 11 ms (PNG) while a cached one is a dictionary look-up, and a receipt's image never
changes (the text is the signed token), so the cache is bounded by count only. Level M, as SPEC §5 requires, with the
quiet zone of four modules a cheap camera needs.
"""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

MAX_VERSION = 10  # SPEC §5: at most version 10 at level M
PNG_MODULE_PIXELS = 8  # 8 px a module: a version-8 code is 456 px with its quiet zone
QUIET_ZONE = 4
CACHED_IMAGES = 4096  # ~2 KB a PNG: a few MB a process


class TooLargeForQr(ValueError):
    pass


def build(text: str) -> qrcode.QRCode:
    """The smallest QR code at level M that holds ``text``: the library puts the uppercase prefix in alphanumeric
    mode and the token's run of digits in numeric mode (``optimize``, on by default, splits them)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=PNG_MODULE_PIXELS, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    if code.version > MAX_VERSION:
        raise TooLargeForQr(f"needs QR version {code.version}; at most {MAX_VERSION} is allowed")
    return code


def version_of(text: str) -> int:
    return build(text).version


@lru_cache(maxsize=CACHED_IMAGES)
def png(text: str) -> bytes:
    buffer = io.BytesIO()
    build(text).make_image(fill_color="black", back_color="white").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


@lru_cache(maxsize=CACHED_IMAGES)
def svg(text: str) -> bytes:
    buffer = io.BytesIO()
    build(text).make_image(image_factory=qrcode.image.svg.SvgPathFillImage).save(buffer)
    return buffer.getvalue()


RENDERERS = {"png": (png, "image/png"), "svg": (svg, "image/svg+xml")}


def etag(text: str, image_format: str) -> str:
    """The image's entity tag: it depends on nothing but the text and the format."""
    return hashlib.sha256(f"{image_format}\0{text}".encode()).hexdigest()[:32]
