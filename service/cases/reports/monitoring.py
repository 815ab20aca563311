"""The second edition's casework figures of a return, over the cohort of the quarter's referrals.

* ``equality``: for each monitoring field, every value of its list (0 when none), ``prefer_not_to_say``
  and ``not_recorded`` (the field left empty); ``communication_needs`` is a list: each need counts,
  so a person with two needs is counted twice, and an empty list is ``not_recorded``;
* ``ended_early``: per ``end_reason``, the cases ended early (the manager's End the case early step,
  or a cancel with its ``reason_code``);
* ``welsh_medium``: ``requested`` (``welsh_medium_requested``), ``provided`` (of those, allocated to a
  Welsh-speaking advocate: ``welsh_medium_provided``);
* ``rights_upheld``: the answers of closed non-instructed cases; ``voice_heard``: of closed instructed
  cases (``instruction`` recorded at allocation).

One scan of the cohort: every count is a SUM(CASE ...); a value outside a list (none the forms
allow) is grouped and counted under its own name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.orm import Session

from service.cases.reports.cohort import _count
from service.cases.reports.vocabulary import ANSWERS, ENDED_EARLY, EQUALITY, LIST_FIELDS, NOT_RECORDED

NON_INSTRUCTED = "non_instructed"
INSTRUCTED = "instructed"


def _listed(column, value: str):
    """The JSON array text in ``column`` holds the string ``value`` (both databases write '"value"')."""
    return column.like(f'%"{value}"%')


def figures(session: Session, c: Table) -> dict[str, Any]:
    closed = c.c.end_state == "closed"
    ended = or_(c.c.status == "cancelled", c.c.end_state == "ended_early")
    instructed = and_(closed, c.c.instruction == INSTRUCTED)
    non_instructed = and_(closed, c.c.instruction == NON_INSTRUCTED)
    sums: dict[str, Any] = {
        "instructed_closed": _count(instructed),
        "voice_heard": _count(and_(instructed, c.c.voice_heard.is_(True))),
        "non_instructed_closed": _count(non_instructed),
        **{f"rights.{a}": _count(and_(non_instructed, c.c.rights_upheld == a)) for a in ANSWERS},
        "welsh.requested": _count(c.c.welsh_medium_requested.is_(True)),
        "welsh.provided": _count(
            and_(c.c.welsh_medium_requested.is_(True), c.c.welsh_medium_provided.is_(True))
        ),
    }
    for name in LIST_FIELDS:
        column = c.c[name]
        for value in EQUALITY[name]:
            sums[f"equality.{name}.{value}"] = _count(_listed(column, value))
        sums[f"equality.{name}.{NOT_RECORDED}"] = _count(or_(column.is_(None), column.not_like('%"%')))
    row = session.execute(select(*sums.values()).select_from(c)).one()
    out = {name: int(value or 0) for name, value in zip(sums, row, strict=True)}
    equality: dict[str, dict[str, int]] = {}
    for name, values in EQUALITY.items():
        if name in LIST_FIELDS:
            equality[name] = {v: out[f"equality.{name}.{v}"] for v in (*values, NOT_RECORDED)}
            continue
        counted = {**dict.fromkeys(values, 0), NOT_RECORDED: 0}
        column = c.c[name]
        for value, n in session.execute(select(column, func.count()).select_from(c).group_by(column)):
            key = value if value else NOT_RECORDED
            counted[key] = counted.get(key, 0) + n
        equality[name] = counted
    ended_early = dict.fromkeys(ENDED_EARLY, 0)
    query = select(c.c.end_reason, func.count()).where(ended, c.c.end_reason.is_not(None))
    for reason, n in session.execute(query.group_by(c.c.end_reason)):
        ended_early[reason] = ended_early.get(reason, 0) + n
    return {
        "equality": equality,
        "ended_early": ended_early,
        "welsh_medium": {"requested": out["welsh.requested"], "provided": out["welsh.provided"]},
        "rights": {a: out[f"rights.{a}"] for a in ANSWERS},
        "non_instructed_closed": out["non_instructed_closed"],
        "instructed_closed": out["instructed_closed"],
        "voice_heard": out["voice_heard"],
    }
