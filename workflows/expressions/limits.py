"""The limits of one evaluation (one gateway condition, one script task) and the errors that report them.

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
  write it out (``check_value``).

Exceeding a limit raises ``LimitExceeded`` with a message naming the limit.
No signals or timers are involved, so this works in worker threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

MAX_ITEMS = 100_000
MAX_INT_BITS = 4_096
MAX_STEPS = 1_000_000
COPY_UNIT = 32
DEEP_UNIT = 4
MAX_ROUND_DIGITS = 300
MAX_VALUE_TEXT = 10 * MAX_ITEMS
MAX_DEPTH = 100

SCALARS = frozenset({int, float, bool, type(None)})
CONTAINERS = (list, tuple, dict, set, frozenset)


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


def check_bits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(
            f"{what} would be a number of about {int(bits)} bits; the limit is {MAX_INT_BITS} bits"
        )


def check_value(value: Any, what: str) -> None:
    """Refuse a value too large or deep to keep, counting shared parts each time they appear
    (a list holding one big list 100,000 times is small in memory but not as JSON)."""
    if type(value) in SCALARS or (type(value) is str and len(value) <= MAX_VALUE_TEXT):
        return
    items, text = 0, 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            text += len(item)
        elif isinstance(item, CONTAINERS):
            if depth >= MAX_DEPTH:
                raise ExpressionError(f"{what} is nested more than {MAX_DEPTH} levels deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            items += len(children)
            stack.extend((child, depth + 1) for child in children)
        if items > MAX_ITEMS or text > MAX_VALUE_TEXT:
            raise LimitExceeded(
                f"{what} is too large to keep (more than {MAX_ITEMS} items or {MAX_VALUE_TEXT} characters)"
            )
