"""Supervision every two months and the published results (SPEC §3.6, 监督与公示).

A review period is two calendar months on the city's clock (Jan–Feb, Mar–Apr, …), opened on first use. For each
center, the supervisors assigned to it score four aspects 1–5 with a comment, working from a random sample of the
period's approved records (drawn once and stored), the residents' ratings and the period's anomalies, which the
center's staff explain. An admin closes the period: its figures are computed once and stored, and the public pages
(``/public/``, no sign-in) show exactly those, with small counts withheld and nobody named.

The record-level pieces live in ``timebank.hours.supervision`` (anomalies, a supervisor's rating of one record);
this package reuses them.
"""
