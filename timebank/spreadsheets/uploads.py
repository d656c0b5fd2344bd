"""The uploaded file of an import request, read no further than the import's cap, for the pages (the ``file`` part
of a form) and the API (that part, or the body itself). A larger upload is refused before it is read whole."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from timebank.spreadsheets.reading import MAX_IMPORT_BYTES, check_size, refuse, too_large

NO_FILE = _l("Choose a CSV or XLSX file to check.")
_ENVELOPE = 64 * 1024  # what a multipart form adds around the file


def uploaded_file(*, raw_body: bool = False) -> bytes | None:
    """The file's bytes (checked: not empty, at most the cap), or None when the form has no file. With
    ``raw_body`` a request that is not a multipart form is the file itself."""
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES + _ENVELOPE:
        raise too_large()
    if raw_body and request.mimetype != "multipart/form-data":
        data = request.stream.read(MAX_IMPORT_BYTES + 1)
    else:
        upload = request.files.get("file")
        if upload is None or (not raw_body and not upload.filename):
            return None
        data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    check_size(data)
    return data


def required_file() -> bytes:
    """The API's: the file, or a refusal naming ``fields.file``."""
    data = uploaded_file(raw_body=True)
    if data is None:
        raise refuse(NO_FILE)
    return data
