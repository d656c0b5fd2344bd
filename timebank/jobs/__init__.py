"""Scheduled jobs (SPEC §6): the jobs, their runs, the lock that lets each run once at a time, and the scheduler.

- ``registry.py``: the jobs (a plain tuple, ``JOBS``) and their thin functions: each calls a feature's service with
  the run's ``now`` and returns what it counted;
- ``rules.py``: schedules (``every 5m``, a crontab line, ``off``), when a run was missed, the advisory lock's key;
- ``locks.py``: one run of a job at a time across processes and machines (a PostgreSQL advisory lock; on SQLite a
  lock row written under ``BEGIN IMMEDIATE``);
- ``services.py``: ``run_job`` (lock, record, run, record the outcome) and the reads of the recorded runs;
- ``scheduler.py``: ``timebank scheduler``, an APScheduler ``BlockingScheduler`` in a process of its own;
- ``api.py``, ``views.py``, ``cli.py``: ``/api/v1/jobs/…``, the admin's page, ``timebank jobs …``.
"""
