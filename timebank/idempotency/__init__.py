"""Idempotency keys (SPEC §4.5, §8.1): a request sent again under the same key gets the first answer, byte for byte,
and its effect happens once, however many times and however concurrently it is sent.

- ``models.py``: the ``idempotency_key`` table (caller, key → method, path, body fingerprint, stored answer).
- ``services.py``: the storage-level operations, each taking the caller's session (HTTP-free).
- ``http.py``: ``@idempotent(required=...)``, the decorator every view that moves credits or stock carries.
"""
