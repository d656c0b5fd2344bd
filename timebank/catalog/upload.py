"""The photo in a request, for the admin's page (the ``photo`` part of the form) and the API (that part, or the body
itself). The body's bound (``PHOTO_BODY``) is checked by Werkzeug before anything is read (413)."""
from __future__ import annotations

from flask import request

from timebank.catalog.photos import MAX_PHOTO_BYTES

PHOTO_BODY = MAX_PHOTO_BYTES + 64 * 1024  # the photo and the multipart envelope around it
PHOTO_REQUEST_BODY = {  # the OpenAPI request body of the API's upload
    "required": True,
    "description": "the photo (JPEG, PNG or WebP, at most 5 MB): the body itself, or the `photo` part of a "
                   "multipart form",
    "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["photo"],
                                           "properties": {"photo": {"type": "string", "format": "binary"}}}},
    },
}


def uploaded_photo(*, raw_body: bool = False) -> bytes:
    """The photo's bytes (empty when none was sent; ``photos.prepare`` says so). With ``raw_body`` a request that
    is not a multipart form is the photo itself."""
    if raw_body and request.mimetype != "multipart/form-data":
        return request.get_data(cache=False)
    upload = request.files.get("photo")
    return upload.read() if upload is not None else b""
