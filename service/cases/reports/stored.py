"""Stored quarterly returns: a clean copy is served as kept; a dirty or missing one is computed, kept, served.

The copy is the return exactly as ``compute_return`` gives it, unsuppressed, with the most stories the API
allows (``MAX_STORIES``), and its ``sizes``; a read takes the stories it asked for and suppresses for a
commissioner from there, as a live computation would.  The report is opaque here: only ``stories`` is cut.

``ADVOCACY_FLOW_REPORT_MAX_LAG`` (seconds, default 0): when above 0, a copy dirty for less than that is
served as kept, with ``stale``; at 0 a dirty copy is never served.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.base.config import report_max_lag
from service.store import stored_returns
from service.store.models import Sla

MAX_STORIES = 500  # the most GET /reports/quarterly lets a caller ask for
Compute = Callable[[Session, Sla, str], tuple[dict[str, Any], dict[str, Any]]]


@dataclass(frozen=True)
class Return:
    report: dict[str, Any]  # unsuppressed, MAX_STORIES stories
    sizes: dict[str, Any]
    as_of: datetime  # when it was computed
    stale: bool = False  # a change since then is not in it (only with ADVOCACY_FLOW_REPORT_MAX_LAG)
    computed: bool = False  # computed by this read


def read(
    session: Session,
    sla: Sla,
    quarter: str,
    compute: Compute,
    *,
    max_lag: float | None = None,
    now: datetime | None = None,
) -> Return:
    """The return of ``sla`` for ``quarter``: the stored copy if clean, else computed now (and kept)."""
    found = stored_returns.row(session, sla.key, quarter)
    if found is not None and found.report is not None and found.computed_at is not None:
        if found.computed_generation == found.generation:
            return Return(found.report, found.sizes or {}, found.computed_at)
        lag = report_max_lag() if max_lag is None else max_lag
        now = now or datetime.now(UTC)
        if lag > 0 and found.dirty_since is not None and now - found.dirty_since < timedelta(seconds=lag):
            return Return(found.report, found.sizes or {}, found.computed_at, stale=True)
    return recompute(session, sla, quarter, compute, generation=None if found is None else found.generation)


def refresh(session: Session, sla: Sla, quarter: str, compute: Compute) -> Return | None:
    """Recompute the stored return if it is dirty (or missing); None if it was clean."""
    found = stored_returns.row(session, sla.key, quarter)
    if found is not None and found.report is not None and found.computed_generation == found.generation:
        return None
    return recompute(session, sla, quarter, compute, generation=None if found is None else found.generation)


def recompute(
    session: Session, sla: Sla, quarter: str, compute: Compute, *, generation: int | None
) -> Return:
    """Compute the return now and keep it, unless a change came in meanwhile (then it stays dirty).

    ``generation``: the row's, read before the computation began (None: there was no row)."""
    computed_at = datetime.now(UTC)
    report, sizes = compute(session, sla, quarter)
    # Kept as JSON: served the same whether it was just computed or read back later.
    report, sizes = json.loads(json.dumps(report)), json.loads(json.dumps(sizes))
    stored_returns.save(session, sla.key, quarter, generation, report, sizes, computed_at)
    return Return(report, sizes, computed_at, computed=True)


def with_stories(report: dict[str, Any], stories: int) -> dict[str, Any]:
    """The report with its first ``stories`` stories (the stored copy keeps MAX_STORIES of them)."""
    if isinstance(report.get("stories"), list):
        return {**report, "stories": report["stories"][:stories]}
    return dict(report)


def claim_refresh(session: Session, sla_key: str, quarter: str) -> bool:
    """On PostgreSQL, one refresher at a time per return (a transaction-scoped advisory lock, which
    blocks no step: the steps' marks never wait for it).  Elsewhere always True."""
    if session.bind.dialect.name != "postgresql":
        return True
    key = zlib.crc32(f"stored_return:{sla_key}:{quarter}".encode())
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(key))).scalar())
