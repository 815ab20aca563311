"""What the list pages share: the page number asked for, and the processes by their names."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..definitions import list_latest

MAX_PAGE = 10_000


def page_number(args: Any) -> int:
    """``?page=N`` from 1 to ``MAX_PAGE``; anything else is page 1."""
    try:
        return max(1, min(int(args.get("page", "1")), MAX_PAGE))
    except ValueError:
        return 1


def process_names(session: Session) -> dict[str, str]:
    """Process key -> its human name (of the latest version)."""
    definitions, _ = list_latest(session, 1000, 0)
    return {d.key: d.name for d in definitions}
