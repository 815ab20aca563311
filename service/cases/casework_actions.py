"""The case page's actions on a referral (second edition): raise a safeguarding concern, end early.

Each sends its message to the one case (DOMAIN.md "Casework additions"): ``safeguarding_concern``
starts the non-interrupting safeguarding subprocess (Care Act 2014 s.42 / SSWbWA 2014 s.126) and the
case goes on; ``end_case_early_requested`` opens the manager's End the case early step.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from service.access.permissions import Actor, require_role
from service.base.problems import Conflict
from service.cases.instances import deliver_to_instance, load_instance, visible_instance
from service.store.models import ProcessInstance

SAFEGUARDING = "safeguarding_concern"
END_EARLY = "end_case_early_requested"


def _open_case(session: Session, actor: Actor, instance_id: str, message: str) -> ProcessInstance:
    visible_instance(session, actor, instance_id)  # a case the caller may not know of is not found
    instance, _ = load_instance(session, instance_id)
    if instance.process_key != "referral_casework" or instance.status not in ("running", "waiting"):
        raise Conflict("only an open referral takes this action")
    if message not in (instance.waiting_messages or {}).get("names", []):
        raise Conflict("this case does not take this action now")
    return instance


def available(instance: ProcessInstance, actor: Actor) -> dict[str, bool]:
    """Which of the two actions the case page offers this caller."""
    names = (
        (instance.waiting_messages or {}).get("names", [])
        if instance.status in ("running", "waiting")
        else []
    )
    return {
        "raise_safeguarding": SAFEGUARDING in names and actor.role in ("manager", "advocate"),
        "end_early": END_EARLY in names and actor.role == "manager",
    }


def raise_safeguarding_concern(
    session: Session, actor: Actor, instance_id: str, now: datetime | None = None
) -> ProcessInstance:
    """The advocate of the case or a manager raises a concern: a safeguarding decision opens."""
    require_role(actor, "manager", "advocate")
    instance = _open_case(session, actor, instance_id, SAFEGUARDING)
    payload = {"safeguarding_raised_by": actor.username}
    return deliver_to_instance(
        session, instance, SAFEGUARDING, payload, actor.username, now or datetime.now(UTC)
    )


def request_early_end(
    session: Session, actor: Actor, instance_id: str, now: datetime | None = None
) -> ProcessInstance:
    """A manager asks to end an open case early: the End the case early step opens."""
    require_role(actor, "manager")
    instance = _open_case(session, actor, instance_id, END_EARLY)
    return deliver_to_instance(session, instance, END_EARLY, {}, actor.username, now or datetime.now(UTC))
