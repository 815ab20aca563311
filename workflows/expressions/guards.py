"""Run-time half of the restricted expression language.

``workflows.expressions`` checks a diagram's expression against an AST
whitelist and rewrites the few constructs that could exhaust the machine into
calls of the guarded helpers below (``HELPERS``, all named ``_sf_*`` so user
code, which may not name anything starting with ``_``, cannot reach or replace
them).  ``DEFAULT_FUNCTIONS`` are the callables an expression may use.

Limits, per evaluation (one gateway condition, one script task):

- ``MAX_ITEMS``: no string, list, tuple or ``range`` longer than this is built
  by ``+``, ``*``, ``str.join``, ``str.replace``, ``list.extend``, ``str()``,
  f-strings or ``range()``.
- ``MAX_INT_BITS``: ``**``, ``*`` and ``<<`` refuse integers larger than this.
- ``MAX_STEPS``: a budget shared by the whole evaluation; every loop or
  comprehension iteration costs one step, every element a whitelisted function
  consumes (``sorted``, ``sum``, ``list``...) costs one, building or scanning a
  sequence costs one step per ``COPY_UNIT`` elements, and comparing computed
  containers (``a == b``, ``x in l``, ``sorted``) one per ``DEEP_UNIT`` elements
  at every nesting level.

- ``MAX_ITEMS`` / ``MAX_VALUE_TEXT`` / ``MAX_DEPTH``: the result of an
  evaluation and every variable a script writes back, counted as JSON would
  write it out.

Exceeding a limit raises ``LimitExceeded`` with a message naming the limit.
No signals or timers are involved, so this works in worker threads.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from workflows import calendar as working_calendar
from workflows import clock

MAX_ITEMS = 100_000
MAX_INT_BITS = 4_096
MAX_STEPS = 1_000_000
COPY_UNIT = 32
DEEP_UNIT = 4
MAX_ROUND_DIGITS = 300
MAX_VALUE_TEXT = 10 * MAX_ITEMS
MAX_DEPTH = 100


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class ExpressionError(Exception):
    """An expression failed at run time for a reason of the sandbox's own."""


class LimitExceeded(ExpressionError):
    """An expression tried to use more time or memory than the sandbox allows."""


class Budget:
    """The step budget of one evaluation."""

    __slots__ = ("remaining",)

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.remaining = steps

    def charge(self, steps: int) -> None:
        self.remaining -= steps
        if self.remaining < 0:
            raise LimitExceeded(
                f"the expression needs more than {MAX_STEPS} steps "
                "(loop iterations and elements processed); it is not allowed to run that long"
            )

    def charge_copy(self, length: int) -> None:
        self.charge(1 + length // COPY_UNIT)

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.remaining -= 1
            if self.remaining < 0:
                self.charge(0)
            yield item

    def consume(self, iterable: Any) -> Any:
        """``iterable`` itself if its size is known (and charged), else a metered iterator."""
        if isinstance(iterable, (str, list, tuple, dict, set, frozenset, range)):
            self.charge(1 + len(iterable))
            return iterable
        return self.iterate(iterable)


_budget: ContextVar[Budget | None] = ContextVar("advocacy_flow_sandbox_budget", default=None)


def budget() -> Budget:
    """The budget of the running evaluation (a fresh one outside ``metered()``)."""
    current = _budget.get()
    return current if current is not None else Budget()


@contextlib.contextmanager
def metered(steps: int = MAX_STEPS) -> Iterator[Budget]:
    """Give the block (one evaluation) its own step budget."""
    fresh = Budget(steps)
    token = _budget.set(fresh)
    try:
        yield fresh
    finally:
        _budget.reset(token)


def check_size(length: int, what: str) -> None:
    if length > MAX_ITEMS:
        raise LimitExceeded(f"{what} would have {length} items; the limit is {MAX_ITEMS}")


def _check_bits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(
            f"{what} would be a number of about {int(bits)} bits; the limit is {MAX_INT_BITS} bits"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


_SEQUENCES = (str, list, tuple)


# -- operators rewritten by the checker ---------------------------------------


def guarded_add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        length = len(left) + len(right)
        check_size(length, "the result of '+'")
        budget().charge_copy(length)
    return left + right


def guarded_mul(left: Any, right: Any) -> Any:
    if (isinstance(left, _SEQUENCES) and _is_int(right)) or (_is_int(left) and isinstance(right, _SEQUENCES)):
        sequence, times = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
        length = len(sequence) * max(times, 0)
        check_size(length, "the result of '*'")
        budget().charge_copy(length)
    elif _is_int(left) and _is_int(right):
        _check_bits(left.bit_length() + right.bit_length(), "the result of '*'")
    return left * right


def guarded_pow(base: Any, exponent: Any) -> Any:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _check_bits(math.log2(abs(base)) * exponent, "the result of '**'")
    return base**exponent


def guarded_lshift(value: Any, shift: Any) -> Any:
    if _is_int(value) and _is_int(shift) and shift > 0 and value:
        _check_bits(value.bit_length() + shift, "the result of '<<'")
    return value << shift


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, (str, bytes)):
        raise ExpressionError("'%' formatting of strings is not allowed; use an f-string")
    return left % right


_SET_LIKE = (set, frozenset, dict, type({}.keys()), type({}.items()))


def _set_operator(operator: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def guarded(left: Any, right: Any) -> Any:
        if isinstance(left, _SET_LIKE) or isinstance(right, _SET_LIKE):
            sizes = [len(side) if isinstance(side, Sized) else 0 for side in (left, right)]
            budget().charge(1 + sum(sizes) // DEEP_UNIT)  # hashing, not copying
        return operator(left, right)

    return guarded


def guarded_iter(iterable: Any) -> Iterator[Any]:
    return budget().iterate(iterable)


_SCALARS = frozenset({int, float, bool, type(None)})
_FLAT = _SCALARS | {str}
_CONTAINERS = (list, tuple, dict, set, frozenset)
_is_str = str.__instancecheck__


def charge_deep(value: Any, factor: int = 1) -> Any:
    """Charge what comparing or scanning ``value`` costs at every nesting level; return ``value``.

    A list holding the same big list many times is small in memory but costly to
    compare, so the walk counts every element it would touch (strings by length).
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    meter = budget()
    if kind is str:
        meter.charge(1 + factor * len(value) // COPY_UNIT)
        return value
    if not isinstance(value, _CONTAINERS):
        return value
    units = 0
    stack = [value]
    flat: dict[int, int] = {}  # id -> units of containers already seen holding no containers
    while stack:
        item = stack.pop()
        meter.charge(1)
        if id(item) in flat:
            units += flat[id(item)]
        else:
            items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            kinds = set(map(type, items))
            size = len(items) + (sum(map(len, filter(_is_str, items))) if str in kinds else 0)
            units += size
            if kinds <= _FLAT:
                flat[id(item)] = size
            else:
                stack.extend(entry for entry in items if isinstance(entry, _CONTAINERS))
        if factor * units // DEEP_UNIT > meter.remaining:
            break
    meter.charge(factor * units // DEEP_UNIT)
    return value


def guarded_cmp(value: Any) -> Any:
    """An operand of a comparison between two computed values, with the comparison charged."""
    return charge_deep(value)


def guarded_in(container: Any) -> Any:
    """The right-hand side of ``in``/``not in``, with the scan charged."""
    if isinstance(container, (dict, set, frozenset, type({}.keys()))):
        budget().charge(1)
        return container
    if isinstance(container, (str, list, tuple)):
        return charge_deep(container)
    return charge_deep(list(budget().consume(container)))


def _text_size(value: Any) -> int:
    """An upper estimate of ``len(str(value))`` found without building it (bounded walk)."""
    meter = budget()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        meter.charge(1)
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 64
        if total > MAX_ITEMS:
            check_size(total, "the text of a value")
    return total


_FORMAT_NUMBER = re.compile(r"\d+")


def guarded_fstring(parts: tuple[Any, ...]) -> str:
    """An f-string: constant text and ``(value, conversion, spec)`` triples."""
    pieces: list[str] = []
    total = 0
    for part in parts:
        if isinstance(part, str):
            piece = part
        else:
            value, conversion, spec = part
            if conversion == ord("r"):
                _text_size(value)
                value = repr(value)
            elif conversion == ord("a"):
                _text_size(value)
                value = ascii(value)
            elif conversion == ord("s"):
                value = safe_str(value)
            spec = spec or ""
            for number in _FORMAT_NUMBER.findall(spec):
                check_size(int(number), "a formatted value")
            if not isinstance(value, (str, int, float)):
                _text_size(value)
            piece = format(value, spec)
        total += len(piece)
        check_size(total, "an f-string")
        pieces.append(piece)
    return "".join(pieces)


# -- attribute access ----------------------------------------------------------

STR_METHODS = words(
    "lower upper strip lstrip rstrip startswith endswith split rsplit splitlines join replace title "
    "capitalize casefold count find rfind index rindex partition rpartition removeprefix removesuffix "
    "isdigit isalpha isalnum isspace isnumeric isdecimal islower isupper istitle"
)
LIST_METHODS = words("index count copy")
LIST_MUTATORS = words("append extend insert pop remove sort reverse clear")
DICT_METHODS = words("get keys values items copy")
DICT_MUTATORS = words("pop update setdefault clear")
DATE_ATTRIBUTES = words("isoformat year month day weekday isoweekday")
DATETIME_ATTRIBUTES = DATE_ATTRIBUTES | words("hour minute second date timestamp")
TIMEDELTA_ATTRIBUTES = words("days seconds total_seconds")

MUTATING_METHODS = LIST_MUTATORS | DICT_MUTATORS
SAFE_ATTRIBUTES = STR_METHODS | LIST_METHODS | MUTATING_METHODS | DICT_METHODS | DATETIME_ATTRIBUTES
SAFE_ATTRIBUTES |= TIMEDELTA_ATTRIBUTES

_ATTRIBUTES_BY_TYPE: dict[type, frozenset[str]] = {
    str: STR_METHODS,
    list: LIST_METHODS | LIST_MUTATORS,
    tuple: frozenset({"index", "count"}),
    dict: DICT_METHODS | DICT_MUTATORS,
    date: DATE_ATTRIBUTES,
    datetime: DATETIME_ATTRIBUTES,
    timedelta: TIMEDELTA_ATTRIBUTES,
}
_CONSTANT_TIME = frozenset({("list", "append"), ("dict", "get"), ("dict", "keys")})
_CONSTANT_TIME |= {("dict", name) for name in ("values", "pop", "setdefault", "clear")}


def _join(separator: str, iterable: Iterable[Any]) -> str:
    items = list(budget().consume(iterable))
    length = sum(len(item) for item in items if isinstance(item, str)) + len(separator) * max(
        len(items) - 1, 0
    )
    check_size(length, "the result of str.join()")
    budget().charge_copy(length)
    return separator.join(items)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    occurrences = text.count(old) if old else len(text) + 1
    if _is_int(count) and count >= 0:
        occurrences = min(occurrences, count)
    length = len(text) + occurrences * (len(new) - len(old))
    check_size(length, "the result of str.replace()")
    budget().charge_copy(length)
    return text.replace(old, new, count)


def _items(mapping: dict[Any, Any]) -> list[list[Any]]:
    budget().charge_copy(len(mapping))
    return [[key, value] for key, value in mapping.items()]


def _affix(method: str) -> Callable[..., bool]:
    """``str.startswith``/``endswith`` also taking a list (the language has no tuples)."""

    def test(text: str, affix: Any, *bounds: int) -> bool:
        budget().charge_copy(len(text))
        return getattr(text, method)(tuple(affix) if isinstance(affix, list) else affix, *bounds)

    return test


def _extend(target: list[Any], iterable: Iterable[Any]) -> None:
    items = list(budget().consume(iterable))
    check_size(len(target) + len(items), "the list")
    target.extend(items)


_GUARDED_METHODS: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (list, "extend"): _extend,
    (dict, "items"): _items,
    (str, "startswith"): _affix("startswith"),
    (str, "endswith"): _affix("endswith"),
}
_COMPARING = frozenset({"index", "count", "remove", "sort"})


def guarded_attr(value: Any, name: str) -> Any:
    """``value.name``, only for the whitelisted attributes of JSON values and dates."""
    kind = type(value)
    if name not in _ATTRIBUTES_BY_TYPE.get(kind, ()):
        raise ExpressionError(f"'{kind.__name__}' values have no usable attribute '{name}'")
    guarded = _GUARDED_METHODS.get((kind, name))
    if guarded is not None:
        return functools.partial(guarded, value)
    if kind is not str and name in _COMPARING:
        charge_deep(value)
    elif isinstance(value, (str, list, tuple, dict)) and (kind.__name__, name) not in _CONSTANT_TIME:
        budget().charge_copy(len(value))
    return getattr(value, name)


HELPERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"_sf_add": guarded_add, "_sf_mul": guarded_mul, "_sf_pow": guarded_pow, "_sf_lshift": guarded_lshift}
    | {"_sf_mod": guarded_mod, "_sf_iter": guarded_iter, "_sf_in": guarded_in, "_sf_attr": guarded_attr}
    | {"_sf_fstring": guarded_fstring, "_sf_cmp": guarded_cmp, "_sf_sub": _set_operator(operator.sub)}
    | {"_sf_or": _set_operator(operator.or_), "_sf_and": _set_operator(operator.and_)}
    | {"_sf_xor": _set_operator(operator.xor)}
)


# -- whitelisted functions -------------------------------------------------------


def safe_str(value: Any = "") -> str:
    if isinstance(value, str):
        return value
    _text_size(value)
    return str(value)


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
    if ndigits is not None and _is_int(ndigits) and abs(ndigits) > MAX_ROUND_DIGITS:
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
        days = sum(int(number) for number in _FORMAT_NUMBER.findall(iso_duration.partition("T")[0]))
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


def check_value(value: Any, what: str) -> None:
    """Refuse a value too large or deep to keep, counting shared parts each time they appear
    (a list holding one big list 100,000 times is small in memory but not as JSON)."""
    if type(value) in _SCALARS or (type(value) is str and len(value) <= MAX_VALUE_TEXT):
        return
    items, text = 0, 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            text += len(item)
        elif isinstance(item, _CONTAINERS):
            if depth >= MAX_DEPTH:
                raise ExpressionError(f"{what} is nested more than {MAX_DEPTH} levels deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            items += len(children)
            stack.extend((child, depth + 1) for child in children)
        if items > MAX_ITEMS or text > MAX_VALUE_TEXT:
            raise LimitExceeded(
                f"{what} is too large to keep (more than {MAX_ITEMS} items or {MAX_VALUE_TEXT} characters)"
            )


def to_json_value(value: Any, name: str) -> Any:
    """``value`` as task data (JSON): dates become ISO strings, tuples lists; anything else is refused."""
    check_value(value, f"variable '{name}'")
    return _to_json(value, name)


def _to_json(value: Any, name: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_to_json(item, name) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ExpressionError(f"variable '{name}' is a dict with keys that are not strings")
        return {key: _to_json(item, name) for key, item in value.items()}
    raise ExpressionError(
        f"variable '{name}' holds a {type(value).__name__}, which is not a JSON value "
        "(use a string, number, boolean, None, list or dict)"
    )
