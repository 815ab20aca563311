"""Which stored quarterly returns an instance's figures are in: the one place that decides what to mark dirty.

A return (``quarterly.compute_return``) reads, for one SLA and quarter, the referrals received in the
quarter with that ``sla_key`` (none: the default SLA's), their tasks and deadlines, the ``sla_escalation``
instances started for them (``source_instance_id``), and the complaints: those naming a referral by its
business key (``case_ref``) count for that referral's SLA, the others for the default SLA's, in the
quarter of the complaint's own ``received_at``.

Every rule is applied to every instance, whatever its process (a rule with nothing to read adds nothing):
an extra mark only costs a recompute, a missed one would serve a wrong figure.  The callers mark what an
instance touched before a step and after it, so a changed ``sla_key`` or ``received_at`` dirties both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.base.quarter import Quarter
from service.cases import slas
from service.store import stored_returns
from service.store.models import ProcessInstance

Key = tuple[str, str]


def quarter_of(received_at: Any) -> str | None:
    """The quarter whose cohort takes this ``received_at`` text, by the cohort's own rule.

    The cohort compares the stored text with the quarter's UTC bounds as text (``lo <= text < hi``,
    byte order); any text inside a quarter's bounds begins with that year's or the next year's digits,
    so the quarters of the years around its first four characters are tried the same way, and an odd
    spelling is placed exactly where the report places it (or nowhere).
    """
    if not isinstance(received_at, str) or not received_at[:4].isdigit():
        return None
    year = int(received_at[:4])
    for candidate in range(max(1, year - 1), min(9998, year + 1) + 1):
        for number in (1, 2, 3, 4):
            quarter = Quarter(candidate, number)
            if quarter.start.isoformat() <= received_at < quarter.end.isoformat():
                return str(quarter)
    return None


def _default_key(session: Session, cache: dict[str, Any]) -> str:
    if "default" not in cache:
        cache["default"] = slas.ensure_default(session).key
    return cache["default"]


def _own(session: Session, variables: dict[str, Any], cache: dict[str, Any]) -> set[Key]:
    """A referral (or anything with a received_at): its SLA, or the default's, and its quarter."""
    quarter = quarter_of(variables.get("received_at"))
    if quarter is None:
        return set()
    sla_key = variables.get("sla_key")
    return {(sla_key if isinstance(sla_key, str) and sla_key else _default_key(session, cache), quarter)}


def _source(session: Session, variables: dict[str, Any], cache: dict[str, Any]) -> set[Key]:
    """An escalation: the returns of the instance it was started for (a referral, or a complaint)."""
    source_id = variables.get("source_instance_id")
    if not isinstance(source_id, str) or not source_id:
        return set()
    found = session.execute(
        select(ProcessInstance.process_key, ProcessInstance.variables).where(ProcessInstance.id == source_id)
    ).first()
    if found is None:
        return set()
    process_key, source = found
    return _direct(session, process_key, source or {}, cache)


def _complaint(session: Session, variables: dict[str, Any], cache: dict[str, Any]) -> set[Key]:
    """A complaint: the SLA of the referral its case_ref names (else the default's), its own quarter."""
    quarter = quarter_of(variables.get("received_at"))
    if quarter is None:
        return set()
    case_ref = variables.get("case_ref")
    keys = {(_default_key(session, cache), quarter)}  # no referral of that name: the default's
    if isinstance(case_ref, str) and case_ref:
        referrals = session.scalars(
            select(ProcessInstance.variables).where(
                ProcessInstance.process_key == "referral_casework", ProcessInstance.business_key == case_ref
            )
        )
        for referral in referrals:
            sla_key = (referral or {}).get("sla_key")
            if isinstance(sla_key, str) and sla_key:
                keys.add((sla_key, quarter))
    return keys


_COMPLAINT_FIELDS = ("case_ref", "complaint_about", "complainant_type")


def _direct(
    session: Session, process_key: str | None, variables: dict[str, Any], cache: dict[str, Any]
) -> set[Key]:
    keys = _own(session, variables, cache)
    if process_key == "complaint" or any(name in variables for name in _COMPLAINT_FIELDS):
        keys |= _complaint(session, variables, cache)
    return keys


def returns_touched(
    session: Session,
    process_key: str | None,
    variables: dict[str, Any] | None,
    cache: dict[str, Any] | None = None,
) -> set[Key]:
    """The (sla_key, quarter) returns an instance of ``process_key`` with these variables counts in."""
    variables = variables or {}
    cache = {} if cache is None else cache
    return _direct(session, process_key, variables, cache) | _source(session, variables, cache)


def mark_instance(
    session: Session, process_key: str | None, *variable_sets: dict[str, Any] | None
) -> set[Key]:
    """Mark dirty (at this transaction's commit) every return any of these variable sets counts in.

    Give the variables before a change and after it: both are marked."""
    cache: dict[str, Any] = {}
    keys: set[Key] = set()
    for variables in variable_sets:
        keys |= returns_touched(session, process_key, variables, cache)
    stored_returns.mark(session, keys)
    return keys


def mark_instances(session: Session, instances: Iterable[ProcessInstance]) -> set[Key]:
    """Mark what each of ``instances`` counts in (before they are removed, say)."""
    cache: dict[str, Any] = {}
    keys: set[Key] = set()
    for instance in instances:
        keys |= returns_touched(session, instance.process_key, instance.variables, cache)
    stored_returns.mark(session, keys)
    return keys
