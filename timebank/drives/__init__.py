"""Redemption drives (兑换活动): stock per item and center, reservations that hold credits and stock, vouchers
redeemed at the pickup desk, walk-ups, and the sweep of reservations nobody picked up.

Importing the package registers its invariants with ``timebank ledger check`` (``check.py``): the ledger, a building
block, imports no feature, so the feature adds its rules to the ledger's list, once, whoever imports it first.
"""
from timebank.drives import check  # noqa: F401
