"""The engine's clock.

SpiffWorkflow reads the wall clock (``datetime.now``) inside its timer event
definitions, both when a timer starts (to turn a duration into a due time) and
when it checks whether the timer is due.  The service must decide what "now"
is: the scheduler fires a deadline at its due moment, tests and replays run at
a fixed time.  This module swaps the ``datetime`` class the timer module sees
for a subclass whose ``now()`` reads a context variable, so one ``at(moment)``
block fixes the time for every timer the engine touches inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_fixed_now: ContextVar[datetime | None] = ContextVar("advocacy_flow_now", default=None)


def now() -> datetime:
    """The current time in UTC: the fixed moment inside ``at()``, else the wall clock."""
    fixed = _fixed_now.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextlib.contextmanager
def at(moment: datetime | None) -> Iterator[datetime]:
    """Run the block with the engine's clock fixed at ``moment`` (UTC-aware).

    ``None`` means the wall clock, read once, so a whole engine step sees one time.
    """
    if moment is None:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("the engine clock needs a timezone-aware datetime")
    token = _fixed_now.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _fixed_now.reset(token)


class _ClockDatetime(datetime):
    """``datetime`` whose ``now()`` honours the engine clock."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        current = now()
        moment = current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)
        return cls.fromisoformat(moment.isoformat())


_spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]
