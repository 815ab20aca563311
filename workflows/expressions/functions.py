"""The whitelisted functions a diagram's code may call (``DEFAULT_FUNCTIONS``).

Python's built-ins where they cannot exhaust the machine (``len``, ``abs``,
``int``...), and ``safe_*`` stand-ins for the others that charge the
evaluation's step budget for every element they consume and refuse results
beyond the limits of ``limits``; they yield lists where Python yields tuples
(the language has JSON values only).  The date functions read the engine clock
(``workflows.clock``) and the working-day calendar (``workflows.calendar``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from workflows import calendar as working_calendar
from workflows import clock
from workflows.expressions.guards import charge_deep, safe_str
from workflows.expressions.limits import (
    MAX_ITEMS,
    MAX_ROUND_DIGITS,
    ExpressionError,
    LimitExceeded,
    budget,
    check_size,
)

_DURATION_NUMBER = re.compile(r"\d+")


def safe_list(iterable: Iterable[Any] = ()) -> list[Any]:
    items = list(budget().consume(iterable))
    check_size(len(items), "the list")
    return items


def safe_dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    if args:
        args = (budget().consume(args[0]), *args[1:])
    return dict(*args, **kwargs)


def safe_range(*args: int) -> range:
    result = range(*args)
    try:
        length = len(result)
    except OverflowError:
        length = MAX_ITEMS + 1 if result else 0
    check_size(length, "range()")
    return result


def _compared(iterable: Iterable[Any], sort: bool = False) -> list[Any]:
    items = list(budget().consume(iterable))
    return charge_deep(items, factor=max(1, len(items).bit_length()) if sort else 1)


def safe_sorted(
    iterable: Iterable[Any], *, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[Any]:
    items = _compared(iterable, sort=True)
    items.sort(key=key, reverse=reverse)
    return items


def safe_min(*args: Any, **kwargs: Any) -> Any:
    return min(_compared(args[0] if len(args) == 1 else args), **kwargs)


def safe_max(*args: Any, **kwargs: Any) -> Any:
    return max(_compared(args[0] if len(args) == 1 else args), **kwargs)


def safe_zip(*iterables: Iterable[Any]) -> Iterator[list[Any]]:
    """``zip`` yielding lists: the language has no tuples (deeply nested tuples crash ``hash``)."""
    return (list(items) for items in zip(*iterables, strict=False))


def safe_enumerate(iterable: Iterable[Any], start: int = 0) -> Iterator[list[Any]]:
    return ([index, item] for index, item in enumerate(iterable, start))


def safe_sum(iterable: Iterable[Any], start: int | float = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise ExpressionError("sum() adds numbers only")
    return sum(budget().consume(iterable), start)


def safe_any(iterable: Iterable[Any]) -> bool:
    return any(budget().consume(iterable))


def safe_all(iterable: Iterable[Any]) -> bool:
    return all(budget().consume(iterable))


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise LimitExceeded(f"round() to {ndigits} digits; the limit is {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


# The date functions are charged too: a working day costs about as much as a few loop steps.
DATE_CALL_STEPS = 20
WORKING_DAY_STEPS = 4


def now() -> str:
    """The engine clock's current moment, as an ISO 8601 string in UTC."""
    budget().charge(DATE_CALL_STEPS)
    return clock.now().isoformat()


def today() -> str:
    """Today's date in the service time zone, as an ISO 8601 date."""
    budget().charge(DATE_CALL_STEPS)
    return clock.now().astimezone(working_calendar.service_timezone()).date().isoformat()


def parse_datetime(value: datetime | str) -> datetime:
    """An ISO 8601 string (naive: service time zone) as an aware UTC datetime."""
    budget().charge(DATE_CALL_STEPS)
    return working_calendar.parse_datetime(value)


def add_duration(start: datetime | str, iso_duration: str, calendar: str = "clock") -> str:
    """``start`` plus an ISO 8601 duration, as an ISO string in UTC (see ``calendar.add_duration``)."""
    steps = DATE_CALL_STEPS
    if calendar == "working_days" and isinstance(iso_duration, str):
        days = sum(int(number) for number in _DURATION_NUMBER.findall(iso_duration.partition("T")[0]))
        steps += 5 * WORKING_DAY_STEPS * min(days, working_calendar.MAX_WORKING_DAYS)
    budget().charge(steps)
    return working_calendar.add_duration(start, iso_duration, calendar).isoformat()


def working_days_after(start: datetime | str, n: int) -> str:
    """``n`` working days (England and Wales) after ``start``, as an ISO string in UTC."""
    if isinstance(n, int) and n > 0:
        budget().charge(DATE_CALL_STEPS + WORKING_DAY_STEPS * min(n, working_calendar.MAX_WORKING_DAYS))
    return working_calendar.working_days_after(start, n).isoformat()


DEFAULT_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"len": len, "abs": abs, "int": int, "float": float, "bool": bool, "enumerate": safe_enumerate}
    | {"min": safe_min, "max": safe_max, "round": safe_round, "sum": safe_sum, "sorted": safe_sorted}
    | {"any": safe_any, "all": safe_all, "str": safe_str, "list": safe_list, "dict": safe_dict}
    | {"range": safe_range, "now": now, "today": today, "parse_datetime": parse_datetime}
    | {"add_duration": add_duration, "working_days_after": working_days_after, "zip": safe_zip}
)
