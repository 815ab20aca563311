"""Working days in England and Wales, and ISO 8601 durations.

Deadlines in advocacy casework are counted in working days: Monday to Friday,
except the bank holidays of England and Wales (New Year's Day, Good Friday,
Easter Monday, the May Day, spring and summer bank holidays, Christmas Day,
Boxing Day, their substitute days and one-off holidays such as coronations),
as listed by the ``holidays`` package for ``GB`` / ``ENG`` (England and Wales
share one list).

Moments are kept as timezone-aware UTC datetimes.  Naive datetimes and ISO
strings without an offset are read in the service time zone
(``ADVOCACY_FLOW_TIMEZONE``, default ``Europe/London``); days are counted on
that zone's calendar, so a deadline keeps its local time of day across the
change between GMT and BST.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import isodate

DEFAULT_TIMEZONE = "Europe/London"
MAX_WORKING_DAYS = 10_000
CALENDARS = ("clock", "working_days")

_WORKING_DAYS_DURATION = re.compile(r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?P<time>T.*)?")


def service_timezone() -> ZoneInfo:
    """The service's time zone: ``ADVOCACY_FLOW_TIMEZONE``, default ``Europe/London``."""
    name = os.environ.get("ADVOCACY_FLOW_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"ADVOCACY_FLOW_TIMEZONE={name!r} is not a known time zone") from error


@functools.lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """The bank holidays of England and Wales in ``year``."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    if isinstance(d, datetime):
        d = d.date()
    return d.weekday() < 5 and d not in bank_holidays(d.year)


def parse_datetime(value: datetime | date | str) -> datetime:
    """``value`` as an aware UTC datetime.

    Strings are ISO 8601 (``2025-12-24T10:00:00Z``, ``2025-12-24T10:00+01:00``,
    ``2025-12-24``); a value without an offset, and a bare date (its midnight),
    is read in the service time zone.  Raises ``ValueError`` for anything else.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from None
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        raise ValueError(f"expected an ISO 8601 string or a datetime, not {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=service_timezone())
    return moment.astimezone(UTC)


def working_days_after(start: datetime | str, n: int) -> datetime:
    """The moment ``n`` working days after ``start``, as an aware UTC datetime.

    Counting happens on the calendar of the service time zone: the result is
    the ``n``-th working day strictly after the (local) date of ``start``, at
    the same local time of day as ``start``.  The start date itself never
    counts, whether or not it is a working day, so:

    - Wednesday 24 December 2025 10:00 + 2 is Tuesday 30 December 10:00
      (25, 26 December are bank holidays, 27, 28 the weekend);
    - Saturday 10:00 + 1 is Monday 10:00, the same as Friday 10:00 + 1;
    - ``n == 0`` returns ``start`` itself (in UTC), even on a non-working day.

    A local time that does not exist on the result day (inside a clock change,
    which in the UK falls on a Sunday, never a working day) is read as in the
    offset before the change.  ``n`` must be an int from 0 to
    ``MAX_WORKING_DAYS``; anything else raises ``ValueError``.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError(f"the number of working days must be a whole number, not {n!r}")
    if not 0 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"the number of working days must be between 0 and {MAX_WORKING_DAYS}, not {n}")
    moment = parse_datetime(start)
    if n == 0:
        return moment
    zone = service_timezone()
    local = moment.astimezone(zone)
    day = local.date()
    remaining = n
    try:
        while remaining:
            day += timedelta(days=1)
            if is_working_day(day):
                remaining -= 1
        result = datetime.combine(day, local.time().replace(fold=0), tzinfo=zone)
        return result.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(f"{n} working days after {moment.isoformat()} is out of range") from error


def _parse_duration(iso_duration: str) -> timedelta | isodate.Duration:
    if not isinstance(iso_duration, str):
        raise ValueError(f"expected an ISO 8601 duration string, not {type(iso_duration).__name__}")
    try:
        return isodate.parse_duration(iso_duration.strip())
    except (isodate.ISO8601Error, ValueError, OverflowError) as error:
        raise ValueError(f"{iso_duration!r} is not an ISO 8601 duration (e.g. 'P5D', 'PT4H')") from error


def add_duration(start: datetime | str, iso_duration: str, calendar: str = "clock") -> datetime:
    """``start`` plus an ISO 8601 duration, as an aware UTC datetime.

    ``calendar="clock"``: elapsed time, as SpiffWorkflow's own timers count it
    (``P1D`` is 24 hours, ``P1M`` one calendar month, computed in UTC).

    ``calendar="working_days"``: the whole-day part counts working days through
    ``working_days_after`` (``PnD`` is n working days, ``PnW`` is 5n), then the
    time part (``TnHnMnS``) is added as elapsed time: ``P2DT4H`` is 4 hours after
    the moment 2 working days later.  Years, months, fractional or negative
    days raise ``ValueError``.
    """
    moment = parse_datetime(start)
    duration = _parse_duration(iso_duration)
    if calendar == "clock":
        try:
            return (moment + duration).astimezone(UTC)
        except OverflowError as error:
            raise ValueError(f"{iso_duration!r} after {moment.isoformat()} is out of range") from error
    if calendar != "working_days":
        raise ValueError(f"unknown calendar {calendar!r}; expected one of {', '.join(CALENDARS)}")
    if isinstance(duration, isodate.Duration) and (duration.years or duration.months):
        raise ValueError(f"{iso_duration!r}: months and years cannot be counted in working days")
    match = _WORKING_DAYS_DURATION.fullmatch(iso_duration.strip())
    if match is None:
        raise ValueError(
            f"{iso_duration!r}: working days need whole days or weeks, e.g. 'P5D', 'P1W', 'P2DT4H'"
        )
    days = 5 * int(match["weeks"] or 0) + int(match["days"] or 0)
    clock_part = _parse_duration("P" + match["time"]) if match["time"] else timedelta()
    try:
        return working_days_after(moment, days) + clock_part
    except OverflowError as error:
        raise ValueError(f"{iso_duration!r} after {moment.isoformat()} is out of range") from error
