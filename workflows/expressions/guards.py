"""The guarded helpers the rewritten code calls, and the attributes it may reach.

``checker`` rewrites the few constructs of a diagram's code that could exhaust
the machine (``+ - * ** << % | & ^``, attribute access, loops and
comprehensions, comparisons of computed values, ``in``, f-strings) into calls
of the helpers below (``HELPERS``, all named ``_sf_*`` so user code, which may
not name anything starting with ``_``, cannot reach or replace them).  Each
refuses a result beyond the limits of ``limits`` and charges the evaluation's
step budget for the work it does.  Attributes are reachable only from the
short tables of methods of strings, lists, dicts and dates below.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from workflows.expressions.limits import (
    CONTAINERS,
    COPY_UNIT,
    DEEP_UNIT,
    MAX_ITEMS,
    SCALARS,
    ExpressionError,
    budget,
    check_bits,
    check_size,
)


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
        check_bits(left.bit_length() + right.bit_length(), "the result of '*'")
    return left * right


def guarded_pow(base: Any, exponent: Any) -> Any:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        check_bits(math.log2(abs(base)) * exponent, "the result of '**'")
    return base**exponent


def guarded_lshift(value: Any, shift: Any) -> Any:
    if _is_int(value) and _is_int(shift) and shift > 0 and value:
        check_bits(value.bit_length() + shift, "the result of '<<'")
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


_FLAT = SCALARS | {str}
_is_str = str.__instancecheck__


def charge_deep(value: Any, factor: int = 1) -> Any:
    """Charge what comparing or scanning ``value`` costs at every nesting level; return ``value``.

    A list holding the same big list many times is small in memory but costly to
    compare, so the walk counts every element it would touch (strings by length).
    """
    kind = type(value)
    if kind in SCALARS:
        return value
    meter = budget()
    if kind is str:
        meter.charge(1 + factor * len(value) // COPY_UNIT)
        return value
    if not isinstance(value, CONTAINERS):
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
                stack.extend(entry for entry in items if isinstance(entry, CONTAINERS))
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


def safe_str(value: Any = "") -> str:
    """``str(value)`` with its text bounded: the ``!s`` of f-strings and the whitelisted ``str()``."""
    if isinstance(value, str):
        return value
    _text_size(value)
    return str(value)


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
