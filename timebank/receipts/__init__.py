"""Receipts (SPEC §5): signed, compact, QR-printable proofs of a service record, a voucher or a certificate.

- ``codec``: the payload, token and QR text (pure); ``rules``: short codes, masked names (pure);
  ``verification``: checking a text with public keys only (pure, what the offline verifier runs);
- ``models``: signing keys, receipts, revocations; ``keys``: key creation, sealing, rotation, the published list;
- ``services``: issue, revoke, check, the revocation list; ``qr``: PNG and SVG images, cached; ``links``: the URL.
"""
