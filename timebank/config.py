"""Configuration: defaults, then ``TIMEBANK_*`` environment variables, then the caller's overrides."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE_URL": None,  # sqlite:///<instance>/timebank.db when unset
    "REPLICA_URL": None,  # a read replica (PostgreSQL streaming standby) for reports and public pages; unset: primary
    "SECRET_KEY": None,  # generated once and kept in <instance>/secret_key when unset
    "CREDIT_VALIDITY_DAYS": 730,
    "HOLD_TIMEOUT_SECONDS": 14 * 24 * 3600,
    "TIMEZONE": "Asia/Shanghai",
    "PUBLIC_URL": None,
    "METRICS_TOKEN": None,  # a bearer token that opens /metrics to callers beyond this machine
    "CERTIFICATE_FONT": None,  # a CJK TrueType font (.ttf, .ttc) for PDF certificates; unset: Debian's, if found
}


def load(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` in order: defaults < environment (``TIMEBANK_``) < overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("TIMEBANK")
    if overrides:
        app.config.from_mapping(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'timebank.db'}"


def _instance_secret(path: Path) -> str:
    """A secret kept in the instance folder, so every worker and restart signs with the same key."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
