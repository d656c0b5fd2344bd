"""The systemd units in scripts/systemd/ start what the README says: gunicorn with several workers after
`timebank init`, and one `timebank scheduler` stopped by SIGTERM — commands that exist in this version."""
from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from timebank import create_app

UNITS = Path(__file__).resolve().parents[2] / "scripts" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def timebank_commands() -> set[str]:
    return set(create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "test"}).cli.list_commands(None))


def test_the_web_unit_migrates_then_starts_gunicorn_with_several_workers():
    service = unit("timebank-web.service")["Service"]
    before = shlex.split(service["ExecStartPre"])
    start = shlex.split(service["ExecStart"])
    assert before[0].endswith("/.venv/bin/timebank") and before[1:] == ["init"]
    assert start[0].endswith("/.venv/bin/gunicorn") and start[-1] == "wsgi:app"
    assert int(start[start.index("--workers") + 1]) >= 2
    assert service["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=/run/timebank/")
    assert "timebank/prometheus" in service["RuntimeDirectory"].split()
    assert "init" in timebank_commands()


def test_the_scheduler_unit_runs_the_one_scheduler_and_stops_it_with_sigterm():
    service = unit("timebank-scheduler.service")["Service"]
    start = shlex.split(service["ExecStart"])
    assert start[0].endswith("/.venv/bin/timebank") and start[1:] == ["scheduler"]
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 60
    assert "scheduler" in timebank_commands()
    for name in ("timebank-web.service", "timebank-scheduler.service"):
        assert unit(name)["Service"]["EnvironmentFile"] == "/etc/timebank/timebank.env"
        assert unit(name)["Install"]["WantedBy"] == "multi-user.target"
