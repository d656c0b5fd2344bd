"""The volunteer's account and record book (时间银行记录本, SPEC §3.5): balance, lots, and every record and movement."""
