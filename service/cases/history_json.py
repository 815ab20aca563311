"""How the record's values are written and read back as text: canonical JSON, the clock of the record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    """A stored JSON text; a row that does not parse is shown as it is, never dropped."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return {"__unreadable__": text}
