"""What a catalog item's photo may be, and what the app keeps of it: whatever the admin uploads (a phone's JPEG,
a PNG, a WebP), it is decoded, turned upright (the phone's EXIF orientation), stripped of its metadata (a photo's GPS
position has no business in a catalog) and re-encoded as a JPEG at most ``FULL_SIDE`` px, plus a thumbnail at most
``THUMB_SIDE`` px for lists on cheap phones. Nothing the admin sent is served as it was sent.

Pure: no database, no Flask request. ``prepare`` returns the stored form or raises ``ValueError`` with a sentence.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a phone's photo is 2–4 MB
MAX_PIXELS = 50_000_000  # 50 megapixels: beyond it, a file is a decompression bomb rather than a photo
FULL_SIDE = 800
THUMB_SIDE = 240
FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class Prepared:
    full: bytes
    thumb: bytes
    width: int
    height: int
    digest: str  # names this version in the photo's URL


def prepare(data: bytes) -> Prepared:
    if not data:
        raise ValueError(_l("Choose a photo to upload."))
    if len(data) > MAX_PHOTO_BYTES:
        raise ValueError(_l("A photo may be at most %(limit)s MB.", limit=MAX_PHOTO_BYTES // (1024 * 1024)))
    too_many = _l("This photo has too many pixels; take a smaller one.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise ValueError(too_many)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(too_many) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValueError(_l("This file is not a photo the app can read: upload a JPEG, PNG or WebP image.")) from None
    upright = ImageOps.exif_transpose(image).convert("RGB")
    full, (width, height) = _jpeg(upright, FULL_SIDE)
    thumb, _ = _jpeg(upright, THUMB_SIDE)
    return Prepared(full=full, thumb=thumb, width=width, height=height, digest=hashlib.sha256(full).hexdigest()[:16])


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, tuple[int, int]]:
    """The image at most ``side`` px wide and high, as a JPEG without metadata, and its size."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue(), copy.size


def photo_path(item_id: int, digest: str | None, *, thumb: bool) -> str | None:
    """Where the version ``digest`` of an item's photo is served (the catalog pages' ``/catalog/photos/…``), or None
    when it has none. The version is in the path, so browsers keep it for good."""
    if digest is None:
        return None
    return f"/catalog/photos/{item_id}/{digest}{'-thumb' if thumb else ''}.jpg"
