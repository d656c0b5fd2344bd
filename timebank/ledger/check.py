"""``timebank ledger check``: verify every rule of SPEC §4 over the whole database, with set-based queries.

Each rule is one query returning the rows that break it; a clean ledger returns nothing from all of them.
The queries run in one read transaction, so they all see the same snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from timebank.db import Database
from timebank.ledger.accounts import EXPIRY_SINK
from timebank.ledger.models import POSTING_KINDS, RESOLUTION_KINDS

_posting = ", ".join(f"'{k}'" for k in POSTING_KINDS)
_resolution = ", ".join(f"'{k}'" for k in RESOLUTION_KINDS)

# Per account, what its four totals must be, recomputed from the transfers.
_FLOWS = f"""
    SELECT account_id, SUM(dp) AS dp, SUM(dpend) AS dpend, SUM(cp) AS cp, SUM(cpend) AS cpend FROM (
        SELECT debit_account_id AS account_id,
               SUM(CASE WHEN kind IN ({_posting}) THEN amount ELSE 0 END) AS dp,
               SUM(CASE WHEN kind = 'pending' THEN amount WHEN kind IN ({_resolution}) THEN -amount ELSE 0 END)
                   AS dpend,
               0 AS cp, 0 AS cpend
        FROM transfer GROUP BY debit_account_id
        UNION ALL
        SELECT credit_account_id, 0, 0,
               SUM(CASE WHEN kind IN ({_posting}) THEN amount ELSE 0 END),
               SUM(CASE WHEN kind = 'pending' THEN amount WHEN kind IN ({_resolution}) THEN -amount ELSE 0 END)
        FROM transfer GROUP BY credit_account_id
    ) flows GROUP BY account_id
"""

# How much each transfer must change the lots of a volunteer account: its effect on that account's available credits.
_LOT_EFFECT = f"""
    (CASE WHEN c.kind = 'volunteer' AND t.kind IN ('mint', 'reversal') THEN t.amount ELSE 0 END)
  + (CASE WHEN d.kind = 'volunteer' AND t.kind IN ('pending', 'expire', 'reversal') THEN -t.amount
          WHEN d.kind = 'volunteer' AND t.kind IN ('void', 'timeout') THEN t.amount ELSE 0 END)
"""

RULES: dict[str, tuple[str, str]] = {
    "transfer-shape": (
        "every transfer moves a positive amount between two different accounts",
        "SELECT id, kind, amount FROM transfer WHERE amount <= 0 OR debit_account_id = credit_account_id",
    ),
    "conservation": (
        "the balances of all accounts sum to zero, and pending debits equal pending credits",
        """SELECT SUM(credits_posted - debits_posted) AS posted_sum,
                  SUM(credits_pending - debits_pending) AS pending_sum
           FROM account
           HAVING SUM(credits_posted - debits_posted) <> 0 OR SUM(credits_pending - debits_pending) <> 0""",
    ),
    "stored-totals": (
        "every account's stored totals equal the sums of its transfers",
        f"""SELECT a.id, a.code,
                   a.debits_posted, COALESCE(f.dp, 0) AS expected_debits_posted,
                   a.credits_posted, COALESCE(f.cp, 0) AS expected_credits_posted,
                   a.debits_pending, COALESCE(f.dpend, 0) AS expected_debits_pending,
                   a.credits_pending, COALESCE(f.cpend, 0) AS expected_credits_pending
            FROM account a LEFT JOIN ({_FLOWS}) f ON f.account_id = a.id
            WHERE a.debits_posted <> COALESCE(f.dp, 0) OR a.credits_posted <> COALESCE(f.cp, 0)
               OR a.debits_pending <> COALESCE(f.dpend, 0) OR a.credits_pending <> COALESCE(f.cpend, 0)""",
    ),
    "orphan-transfers": (
        "every transfer is between accounts that exist",
        """SELECT t.id FROM transfer t
           LEFT JOIN account d ON d.id = t.debit_account_id LEFT JOIN account c ON c.id = t.credit_account_id
           WHERE d.id IS NULL OR c.id IS NULL""",
    ),
    "no-overdraft": (
        "no volunteer or sink account spends or holds more than it has",
        """SELECT id, code, credits_posted - debits_posted AS balance, debits_pending AS held FROM account
           WHERE no_overdraft AND debits_posted + debits_pending > credits_posted""",
    ),
    "holds-resolve-once": (
        "each hold is resolved at most once, by a transfer of the same amount between the same accounts, in time",
        f"""SELECT r.id AS resolution_id, r.kind, r.pending_id FROM transfer r
            LEFT JOIN transfer h ON h.id = r.pending_id
            WHERE r.kind IN ({_resolution}) AND (
                  h.id IS NULL OR h.kind <> 'pending' OR h.amount <> r.amount
               OR h.debit_account_id <> r.debit_account_id OR h.credit_account_id <> r.credit_account_id
               OR (r.kind = 'post' AND r.created_at >= h.timeout_at)
               OR (r.kind = 'timeout' AND r.created_at < h.timeout_at)
               OR (SELECT COUNT(*) FROM transfer x WHERE x.pending_id = r.pending_id) > 1)""",
    ),
    "reversals": (
        "a reversal undoes one mint or posted spend exactly, at most once",
        """SELECT r.id AS reversal_id, r.reverses_id FROM transfer r
           LEFT JOIN transfer o ON o.id = r.reverses_id
           WHERE r.kind = 'reversal' AND (
                 o.id IS NULL OR o.kind NOT IN ('mint', 'post') OR o.amount <> r.amount
              OR o.debit_account_id <> r.credit_account_id OR o.credit_account_id <> r.debit_account_id
              OR (SELECT COUNT(*) FROM transfer x WHERE x.reverses_id = r.reverses_id) > 1)""",
    ),
    "causes": (
        "every transfer records who caused it and why",
        "SELECT id FROM transfer WHERE actor = '' OR reason_type = '' OR reason_id = ''",
    ),
    "lot-remaining": (
        "each lot's remainder equals its movements, lies between zero and its amount, and is zero once expired",
        """SELECT l.id, l.amount, l.remaining, COALESCE(m.total, 0) AS movements FROM lot l
           LEFT JOIN (SELECT lot_id, SUM(delta) AS total FROM lot_movement GROUP BY lot_id) m ON m.lot_id = l.id
           WHERE l.remaining <> COALESCE(m.total, 0) OR l.remaining < 0 OR l.remaining > l.amount
              OR (l.expired_at IS NOT NULL AND l.remaining <> 0)""",
    ),
    "lots-per-mint": (
        "every mint made exactly one lot of its amount, in the account it credited",
        """SELECT t.id AS mint_id FROM transfer t LEFT JOIN lot l ON l.mint_transfer_id = t.id
           WHERE t.kind = 'mint' AND (l.id IS NULL OR l.amount <> t.amount OR l.account_id <> t.credit_account_id)""",
    ),
    "lot-movements-match-transfers": (
        "every transfer moved exactly its effect on a volunteer's available credits through that volunteer's lots",
        f"""SELECT t.id, t.kind, ({_LOT_EFFECT}) AS expected, COALESCE(m.total, 0) AS moved
            FROM transfer t
            JOIN account d ON d.id = t.debit_account_id JOIN account c ON c.id = t.credit_account_id
            LEFT JOIN (SELECT mv.transfer_id, SUM(mv.delta) AS total FROM lot_movement mv GROUP BY mv.transfer_id) m
                   ON m.transfer_id = t.id
            WHERE ({_LOT_EFFECT}) <> COALESCE(m.total, 0)""",
    ),
    "lots-add-up": (
        "the live remainders of a volunteer's lots add up to their balance less what they hold",
        """SELECT a.id, a.code, a.credits_posted - a.debits_posted - a.debits_pending AS available,
                  COALESCE(l.live, 0) AS live_lots
           FROM account a
           LEFT JOIN (SELECT account_id, SUM(remaining) AS live FROM lot WHERE expired_at IS NULL GROUP BY account_id) l
                  ON l.account_id = a.id
           WHERE a.kind = 'volunteer' AND a.credits_posted - a.debits_posted - a.debits_pending <> COALESCE(l.live, 0)""",
    ),
    "center-sinks": (
        "every center (an issuance account with a center) has its own redemption sink and expiry sink",
        """SELECT i.id AS issuance_account_id, i.code, i.center_id FROM account i
           WHERE i.kind = 'issuance' AND i.center_id IS NOT NULL AND (
                 NOT EXISTS (SELECT 1 FROM account r WHERE r.center_id = i.center_id AND r.kind = 'redemption')
              OR NOT EXISTS (SELECT 1 FROM account e WHERE e.center_id = i.center_id AND e.kind = 'expiry'))""",
    ),
    "expiry-to-minting-center": (
        "expired credits go to the expiry sink of the center that minted their lot (the city-wide one only for an "
        "issuer of no center, or before that center had its own)",
        f"""SELECT t.id AS transfer_id, mv.lot_id, t.credit_account_id, own.id AS minting_center_sink
            FROM transfer t
            JOIN lot_movement mv ON mv.transfer_id = t.id
            JOIN lot l ON l.id = mv.lot_id
            JOIN transfer mint ON mint.id = l.mint_transfer_id
            JOIN account issuer ON issuer.id = mint.debit_account_id
            LEFT JOIN account own ON own.center_id = issuer.center_id AND own.kind = 'expiry'
            JOIN account c ON c.id = t.credit_account_id
            WHERE t.kind = 'expire' AND (own.id IS NULL OR c.id <> own.id)
              AND NOT (c.code = '{EXPIRY_SINK}' AND (own.id IS NULL OR t.created_at < own.created_at))""",
    ),
    "lots-in-own-account": (
        "a transfer moves only the lots of the volunteer account it touches",
        """SELECT mv.id, mv.transfer_id, mv.lot_id FROM lot_movement mv
           JOIN transfer t ON t.id = mv.transfer_id JOIN lot l ON l.id = mv.lot_id
           WHERE l.account_id <> t.debit_account_id AND l.account_id <> t.credit_account_id""",
    ),
}


@dataclass(frozen=True)
class Violation:
    rule: str
    description: str
    row: dict

    def __str__(self) -> str:
        detail = ", ".join(f"{k}={v}" for k, v in self.row.items())
        return f"{self.rule}: {self.description} — violated by {detail}"


def find_violations(s, *, limit_per_rule: int = 20) -> list[Violation]:
    """Every violation of the ledger's invariants, as the caller's unit of work sees the books (its own uncommitted
    postings included); an empty list means the ledger is sound."""
    found: list[Violation] = []
    for rule, (description, sql) in RULES.items():
        rows = s.execute(text(sql)).mappings().fetchmany(limit_per_rule)
        found.extend(Violation(rule, description, dict(row)) for row in rows)
    return found


def check_ledger(db: Database, *, limit_per_rule: int = 20) -> list[Violation]:
    """``find_violations`` over one read-only snapshot of the whole database."""
    return db.transaction(lambda s: find_violations(s, limit_per_rule=limit_per_rule), readonly=True)


def register_rule(name: str, description: str, sql: str) -> None:
    """Let a feature that keeps its own books (drive stock) add a rule: a query returning the rows that break it."""
    RULES[name] = (description, sql)
