"""What the list pages share: the page size and count, the page number asked for, the processes by
their names, and the instance list of the case and audit pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.cases import queries
from service.cases.definitions import list_latest

PAGE = 25  # rows per list page
MAX_PAGE = 10_000
STATUSES = ("running", "waiting", "completed", "cancelled", "error")  # of an instance, as filters


def page_count(total: int) -> int:
    """How many pages of ``PAGE`` rows ``total`` rows fill (at least one, shown empty)."""
    return max(1, -(-total // PAGE))


def page_number(args: Any) -> int:
    """``?page=N`` from 1 to ``MAX_PAGE``; anything else is page 1."""
    try:
        return max(1, min(int(args.get("page", "1")), MAX_PAGE))
    except ValueError:
        return 1


def process_names(session: Session) -> dict[str, str]:
    """Process key -> its human name (of the latest version)."""
    definitions, _ = list_latest(session, 1000, 0)
    from service.web.texts import process_name

    return {d.key: process_name(d.key, d.name) for d in definitions}


def instances_with_names(
    session: Session, who: Actor, filters: dict[str, Any]
) -> tuple[list, int, dict[str, str]]:
    """One page of the instances ``who`` may see, their total, and the process names to show them with."""
    items, total = queries.list_instances(session, who, filters)
    return list(items), total, process_names(session)
