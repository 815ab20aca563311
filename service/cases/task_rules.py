"""Rules a task's form cannot express alone: they read the instance, or other instances, before a completion.

A rule returns per-field errors; ``complete_task`` refuses the completion with them (422) before the
engine runs, so the stored state is exactly as it was.  Keyed by (process key, activity id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases import casework_rules
from service.store.models import HistoryEvent, ProcessInstance, User

Errors = dict[str, list[str]]
Rule = Callable[[Session, ProcessInstance, dict[str, Any]], Errors]


def _completions(session: Session, instance_ids: list[str], activity_id: str) -> list[dict[str, Any]]:
    """The data of each completion of ``activity_id`` in these instances, from the history (the record)."""
    if not instance_ids:
        return []
    rows = session.scalars(
        select(HistoryEvent.data).where(
            HistoryEvent.instance_id.in_(instance_ids),
            HistoryEvent.type == "task_completed",
            HistoryEvent.activity_id == activity_id,
        )
    )
    return [(json.loads(row or "{}").get("data") or {}) for row in rows]


def failed_improvement_plan(session: Session, sla_key: str | None, current: ProcessInstance) -> bool:
    """Has an improvement plan for this SLA already failed (in this escalation, or an earlier one)?"""
    ids = [current.id]
    if sla_key:
        rows = session.execute(
            select(ProcessInstance.id, ProcessInstance.variables).where(
                ProcessInstance.process_key == "sla_escalation", ProcessInstance.id != current.id
            )
        )
        ids += [iid for iid, v in rows if (v or {}).get("sla_key") == sla_key]
    reviews = _completions(session, ids, "review_improvement_plan")
    return any(review.get("improvement_outcome") == "failed" for review in reviews)


def _decommission_needs_failed_plan(
    session: Session, instance: ProcessInstance, data: dict[str, Any]
) -> Errors:
    """DOMAIN.md: decommission is open only when an improvement plan for that SLA has already failed."""
    if data.get("contract_review_outcome") != "decommission":
        return {}
    sla_key = (instance.variables or {}).get("sla_key")
    if failed_improvement_plan(session, sla_key, instance):
        return {}
    return {
        "contract_review_outcome": [
            f"decommission is open only after an improvement plan for SLA '{sla_key}' has failed; "
            "ask for an improvement plan first"
        ]
    }


def _accept_needs_a_plan(session: Session, instance: ProcessInstance, data: dict[str, Any]) -> Errors:
    """The commissioner may accept only a remedial plan the manager has written."""
    if data.get("commissioner_decision") != "accept":
        return {}
    if any(done.get("remedial_action") for done in _completions(session, [instance.id], "manager_review")):
        return {}
    return {
        "commissioner_decision": [
            "the provider has not yet written a remedial plan to accept; "
            "ask for an improvement plan, open a contract review, or wait for the manager's explanation"
        ]
    }


def case_advocate(session: Session, case_ref: str | None) -> str | None:
    """The ``advocate`` of the referral whose business key is ``case_ref`` (the latest one started)."""
    if not case_ref:
        return None
    rows = session.execute(
        select(ProcessInstance.variables)
        .where(ProcessInstance.process_key == "referral_casework", ProcessInstance.business_key == case_ref)
        .order_by(ProcessInstance.started_at.desc())
    )
    for (variables,) in rows:
        if (variables or {}).get("advocate"):
            return variables["advocate"]
    return None


def _investigator_independent(session: Session, instance: ProcessInstance, data: dict[str, Any]) -> Errors:
    """DOMAIN.md Process 5: the investigator is a manager who is not the advocate of the case complained about."""
    investigator = data.get("investigator")
    if not isinstance(investigator, str):
        return {}
    case_ref = (instance.variables or {}).get("case_ref")
    if investigator == case_advocate(session, case_ref):
        return {
            "investigator": [
                f"{investigator} is the advocate of case {case_ref}, the case complained about: "
                "a manager who is independent of the case must investigate"
            ]
        }
    user = session.scalars(select(User).where(User.username == investigator)).first()
    if user is None or user.role != "manager" or not user.active:
        return {
            "investigator": [f"{investigator} is not an active manager: the investigator must be a manager"]
        }
    return {}


RULES: dict[tuple[str, str], Rule] = {
    ("complaint", "investigate_complaint"): _investigator_independent,
    ("sla_escalation", "contract_review"): _decommission_needs_failed_plan,
    ("sla_escalation", "commissioner_review"): _accept_needs_a_plan,
    **casework_rules.RULES,
}


def errors_for(session: Session, instance: ProcessInstance, activity_id: str, data: dict[str, Any]) -> Errors:
    rule = RULES.get((instance.process_key, activity_id))
    return rule(session, instance, data) if rule is not None else {}
