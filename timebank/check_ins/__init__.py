"""Check-in and check-out by the center's rotating QR poster (SPEC §3.2, §8.1): the signed poster code, the scans
that open and close a check-in, the pending record a check-out leaves, and check-ins left open too long."""
