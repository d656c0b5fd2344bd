"""The ledger: accounts, transfers, holds and lots (SPEC §2, §4).

A feature's use case passes its own session: ``postings`` (mint, holds, expiry, reversal), ``accounts`` (opening,
balances, lots) and ``sweeps`` (what the jobs resolve) run inside the caller's unit of work and never commit.
``standalone`` wraps each in a transaction of its own, for tests, jobs and scripts; ``check`` verifies the books.
"""

