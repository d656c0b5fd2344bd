"""Who may see the jobs' runs and run a job by hand: declared once, used by the API, the page and the services.
The scheduler and ``timebank jobs run`` act as the system, which may do both."""
from __future__ import annotations

from timebank.auth.access import Permission

# Runs touch every center's credits and the city's signing keys: the city admin's.
READ_JOB_RUNS = Permission("read_job_runs", roles=("admin",))
RUN_JOB = Permission("run_job", roles=("admin",))
