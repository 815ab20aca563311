"""Configuration, read once from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _default_database_url() -> str:
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    return f"sqlite:///{var / 'advocacy-flow.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    timezone: str = "Europe/London"
    token_ttl_hours: int = 12
    max_body_bytes: int = 4 * 1024 * 1024
    scheduler: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if env.get("ADVOCACY_FLOW_DATABASE_URL"):
            values["database_url"] = env["ADVOCACY_FLOW_DATABASE_URL"]
        if env.get("ADVOCACY_FLOW_SECRET_KEY"):
            values["secret_key"] = env["ADVOCACY_FLOW_SECRET_KEY"]
        if env.get("ADVOCACY_FLOW_TIMEZONE"):
            values["timezone"] = env["ADVOCACY_FLOW_TIMEZONE"]
        if env.get("ADVOCACY_FLOW_TOKEN_TTL_HOURS"):
            values["token_ttl_hours"] = int(env["ADVOCACY_FLOW_TOKEN_TTL_HOURS"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def reminder_share() -> float:
    """``ADVOCACY_FLOW_REMINDER_AT``: the share of an SLA target's time at which people are reminded."""
    try:
        share = float(os.environ.get("ADVOCACY_FLOW_REMINDER_AT", "0.75"))
    except ValueError:
        return 0.75
    return share if 0 < share < 1 else 0.75


def parsed_cache_size() -> int:
    """``ADVOCACY_FLOW_PARSED_CACHE``: how many instances' parsed states a worker keeps between steps."""
    try:
        size = int(os.environ.get("ADVOCACY_FLOW_PARSED_CACHE", "256"))
    except ValueError:
        return 256
    return max(size, 0)


def smtp_url() -> str | None:
    """``ADVOCACY_FLOW_SMTP_URL`` (``smtp://host:port``): reminders are also e-mailed when set."""
    return os.environ.get("ADVOCACY_FLOW_SMTP_URL") or None


def public_url() -> str:
    """``ADVOCACY_FLOW_PUBLIC_URL``: where people open the service (the link in an e-mail)."""
    return (os.environ.get("ADVOCACY_FLOW_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return value if value >= 0 else default


def report_refresh_seconds() -> float:
    """``ADVOCACY_FLOW_REPORT_REFRESH``: how often the scheduler recomputes dirty stored returns (0: never)."""
    return _seconds("ADVOCACY_FLOW_REPORT_REFRESH", 15.0)


def report_max_lag() -> float:
    """``ADVOCACY_FLOW_REPORT_MAX_LAG``: a stored return dirty for less than this many seconds is served as
    stored (marked ``stale``); 0, the default, computes a dirty one afresh on every read (always exact)."""
    return _seconds("ADVOCACY_FLOW_REPORT_MAX_LAG", 0.0)
