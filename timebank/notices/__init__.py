"""Expiry notices (SPEC §6): a volunteer is told, 30 days and again 7 days before, that credits of a lot will expire;
each notice is stored, shown on their pages, and put in an outbox that a later channel (SMS, WeChat) sends."""
