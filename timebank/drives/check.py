"""The drives' invariants, added to ``timebank ledger check`` (SPEC §4.3, §4.8): stock within bounds, stock counters
equal to what the reservations hold, and each reservation's total, hold and voucher agreeing with its status.

The ledger is a building block and imports no feature; a feature that keeps books of its own registers its rules
with ``timebank.ledger.check.register_rule`` when this module is imported, which the package's ``__init__`` does (so
any use of the drives, the app's included, has them). Each rule is a query returning the rows that break it, run in
the check's one snapshot.
"""
from __future__ import annotations

from timebank.ledger.check import register_rule

RULES = {
    "drive-stock-within-stock": (
        "held + sold <= stock for every drive item and center, and neither is negative",
        """SELECT drive_id, center_id, item_id, stock, held, sold FROM drive_stock
           WHERE held < 0 OR sold < 0 OR held + sold > stock""",
    ),
    "drive-stock-matches-reservations": (
        "an item's held and sold stock at a center are what its held and fulfilled reservations there hold",
        """SELECT s.drive_id, s.center_id, s.item_id, s.held, COALESCE(x.held, 0) AS reserved_held,
                  s.sold, COALESCE(x.sold, 0) AS reserved_sold
           FROM drive_stock s LEFT JOIN (
               SELECT r.drive_id, r.center_id, l.item_id,
                      SUM(CASE WHEN r.status = 'held' THEN l.quantity ELSE 0 END) AS held,
                      SUM(CASE WHEN r.status = 'fulfilled' THEN l.quantity ELSE 0 END) AS sold
               FROM reservation r JOIN reservation_line l ON l.reservation_id = r.id
               GROUP BY r.drive_id, r.center_id, l.item_id) x
             ON x.drive_id = s.drive_id AND x.center_id = s.center_id AND x.item_id = s.item_id
           WHERE s.held <> COALESCE(x.held, 0) OR s.sold <> COALESCE(x.sold, 0)""",
    ),
    "reservation-lines-in-stock": (
        "every reservation line names an item the drive has at the reservation's pickup center",
        """SELECT r.id AS reservation_id, l.item_id FROM reservation r
           JOIN reservation_line l ON l.reservation_id = r.id
           LEFT JOIN drive_stock s ON s.drive_id = r.drive_id AND s.center_id = r.center_id AND s.item_id = l.item_id
           WHERE s.drive_id IS NULL""",
    ),
    "reservation-total": (
        "a reservation's total is the sum of its lines, quantity times the price reserved at",
        """SELECT r.id AS reservation_id, r.total, COALESCE(x.amount, 0) AS lines_amount FROM reservation r
           LEFT JOIN (SELECT reservation_id, SUM(quantity * unit_price) AS amount FROM reservation_line
                      GROUP BY reservation_id) x ON x.reservation_id = r.id
           WHERE r.total <> COALESCE(x.amount, 0)""",
    ),
    "reservation-hold": (
        ("each reservation holds its total from its volunteer for redemption, and the hold is pending while it is "
         "held, posted once fulfilled, voided once cancelled, timed out once voided"),
        """SELECT r.id AS reservation_id, r.status, h.id AS hold_id, h.kind AS hold_kind,
                  COALESCE(x.kind, '') AS resolution
           FROM reservation r JOIN volunteer v ON v.id = r.volunteer_id
           LEFT JOIN transfer h ON h.id = r.hold_transfer_id
           LEFT JOIN account c ON c.id = h.credit_account_id
           LEFT JOIN transfer x ON x.pending_id = r.hold_transfer_id
           WHERE h.id IS NULL OR h.kind <> 'pending' OR h.amount <> r.total OR h.debit_account_id <> v.account_id
              OR c.kind <> 'redemption' OR h.reason_type <> 'reservation'
              OR h.reason_id <> CAST(r.id AS VARCHAR(20))
              OR NOT ((r.status = 'held' AND x.id IS NULL)
                   OR (r.status = 'fulfilled' AND COALESCE(x.kind, '') = 'post')
                   OR (r.status = 'cancelled' AND COALESCE(x.kind, '') = 'void')
                   OR (r.status = 'voided' AND COALESCE(x.kind, '') = 'timeout'))""",
    ),
    "reservation-voucher": (
        ("each reservation has one voucher for its total, volunteer and center, expiring by the drive's pickup "
         "time: unused while held, redeemed at its center once fulfilled, cancelled once cancelled, unrevoked and "
         "expired once voided"),
        """SELECT r.id AS reservation_id, r.status, rc.id AS receipt_id, COALESCE(rv.status, '') AS revocation
           FROM reservation r JOIN drive d ON d.id = r.drive_id
           LEFT JOIN receipt rc ON rc.kind = 'voucher' AND rc.reference = r.id
           LEFT JOIN receipt_revocation rv ON rv.receipt_id = rc.id
           WHERE rc.id IS NULL OR rc.amount <> r.total OR rc.volunteer_id <> r.volunteer_id
              OR rc.center_id <> r.center_id OR rc.expires_at > d.pickup_until
              OR NOT ((r.status = 'held' AND rv.receipt_id IS NULL)
                   OR (r.status = 'fulfilled' AND COALESCE(rv.status, '') = 'redeemed'
                       AND COALESCE(rv.center_id, -1) = r.center_id)
                   OR (r.status = 'cancelled' AND COALESCE(rv.status, '') = 'cancelled')
                   OR (r.status = 'voided' AND rv.receipt_id IS NULL AND rc.expires_at <= r.voided_at))""",
    ),
}

for _name, (_description, _sql) in RULES.items():
    register_rule(_name, _description, _sql)
