"""The arithmetic of a return: percentages, percentiles, and working hours between two moments."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from workflows.calendar import is_working_day, service_timezone


def percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percentile_cont(values: list[float], fraction: str) -> Fraction | None:
    """PostgreSQL's percentile_cont (linear between the closest ranks), in exact arithmetic."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * Fraction(fraction)
    low = int(position)
    below, above = Fraction(ordered[low]), Fraction(ordered[min(low + 1, len(ordered) - 1)])
    return below + (above - below) * (position - low)


def _one_decimal(value: Fraction | None) -> float | None:
    """Half up to one decimal: 51.25 -> 51.3."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def working_hours(pairs: list[tuple[float, float]]) -> list[float]:
    """Hours from each start to its end (POSIX seconds), counting only working days (local calendar).

    Each moment becomes "working seconds since the first day": a table of the local days'
    real midnights (so clock changes count right) makes that one binary search.
    """
    if not pairs:
        return []
    zone = service_timezone()
    low, high = min(min(p) for p in pairs), max(max(p) for p in pairs)
    day = datetime.fromtimestamp(low, zone).date()
    last = datetime.fromtimestamp(high, zone).date()
    starts, before, working, total = [], [], [], 0.0
    while day <= last + timedelta(days=1):
        starts.append(datetime.combine(day, time(), tzinfo=zone).timestamp())
        if len(starts) > 1 and working[-1]:
            total += starts[-1] - starts[-2]
        before.append(total)
        working.append(is_working_day(day))
        day += timedelta(days=1)

    def clock(moment: float) -> float:
        i = bisect_right(starts, moment) - 1
        return before[i] + (moment - starts[i] if working[i] else 0.0)

    return [(clock(b) - clock(a)) / 3600 for a, b in pairs]


def _seconds(value: Any) -> float | None:
    """A moment (POSIX seconds, datetime or ISO text; no offset: the service time zone) as POSIX seconds."""
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=service_timezone())).timestamp()
