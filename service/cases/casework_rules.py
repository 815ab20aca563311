"""The rules of referral_casework (second edition) that a task's form cannot express alone.

They read the instance, its open tasks or the users table before a completion (``task_rules``
refuses the completion with their errors, 422, before the engine runs, so nothing changes), and
``recorded`` names what the service records with a completion (``welsh_medium_provided``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cases.definitions import model_by_id
from service.store.models import ProcessDefinition, ProcessInstance, Task, User

Errors = dict[str, list[str]]
WELSH = "cy"


def speaks_welsh(session: Session, username: Any) -> bool:
    """Does this user list Welsh ("cy") among their languages?"""
    if not isinstance(username, str):
        return False
    languages = session.scalars(select(User.languages).where(User.username == username)).first()
    return isinstance(languages, list) and WELSH in languages


def _form_fields(session: Session, instance: ProcessInstance, activity_id: str) -> set[str]:
    """The fields of that task's form in the instance's own version (older versions run on)."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    if definition is None:  # pragma: no cover - the instance row refers to it
        return set()
    model = model_by_id(session, definition.id, definition.checksum)
    return set((model.form(activity_id) or {}).get("properties") or {})


def welsh_medium_allocation(session: Session, instance: ProcessInstance, data: dict[str, Any]) -> Errors:
    """Welsh-medium requested: an advocate who does not speak Welsh needs a recorded reason."""
    if (instance.variables or {}).get("welsh_medium_requested") is not True:
        return {}
    if speaks_welsh(session, data.get("advocate")) or data.get("welsh_medium_reason"):
        return {}
    if "welsh_medium_reason" not in _form_fields(session, instance, "allocate_advocate"):
        return {}
    return {
        "welsh_medium_reason": [
            f"the person asked for Welsh-medium advocacy and '{data.get('advocate')}' does not speak Welsh: "
            "choose a Welsh-speaking advocate or record why not"
        ]
    }


def outcomes_by_instruction(session: Session, instance: ProcessInstance, data: dict[str, Any]) -> Errors:
    """Instructed advocacy records voice_heard; non-instructed records rights_upheld instead."""
    if "rights_upheld" not in _form_fields(session, instance, "record_outcomes"):
        return {}
    non_instructed = (instance.variables or {}).get("instruction") == "non_instructed"
    wanted, unwanted = (
        ("rights_upheld", "voice_heard") if non_instructed else ("voice_heard", "rights_upheld")
    )
    kind = "non-instructed" if non_instructed else "instructed"
    errors: Errors = {}
    if wanted not in data:
        errors[wanted] = [f"this field is required for {kind} advocacy"]
    if unwanted in data:
        errors[unwanted] = [f"not asked for {kind} advocacy: record {wanted} instead"]
    return errors


def no_open_safeguarding_decision(
    session: Session, instance: ProcessInstance, data: dict[str, Any]
) -> Errors:
    """A case does not end early while a safeguarding decision on it is still open."""
    open_decision = session.scalars(
        select(Task.id).where(
            Task.instance_id == instance.id,
            Task.activity_id == "safeguarding_decision",
            Task.status == "open",
        )
    ).first()
    if open_decision is None:
        return {}
    return {"end_reason": ["a safeguarding decision on this case is still open: record it first"]}


RULES = {
    ("referral_casework", "allocate_advocate"): welsh_medium_allocation,
    ("referral_casework", "record_outcomes"): outcomes_by_instruction,
    ("referral_casework", "end_case_early"): no_open_safeguarding_decision,
}


def recorded(
    session: Session, instance: ProcessInstance, activity_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Variables the service records with a completion, beside the form's data."""
    if instance.process_key == "referral_casework" and activity_id == "allocate_advocate":
        return {"welsh_medium_provided": speaks_welsh(session, data.get("advocate"))}
    return {}


def advocate_choices(
    session: Session, welsh_medium_requested: bool, speaks_welsh_text: str = "speaks Welsh"
) -> list[dict[str, str]]:
    """The active advocates as form choices; Welsh speakers first when Welsh-medium was requested.

    ``speaks_welsh_text``: the note beside a Welsh speaker's name, in the reader's language."""
    rows = session.execute(
        select(User.username, User.languages).where(User.role == "advocate", User.active.is_(True))
    ).all()
    choices = []
    for username, languages in sorted(rows, key=lambda r: r[0]):
        welsh = isinstance(languages, list) and WELSH in languages
        title = f"{username} ({speaks_welsh_text})" if welsh else username
        choices.append((0 if welsh and welsh_medium_requested else 1, {"const": username, "title": title}))
    return [choice for _, choice in sorted(choices, key=lambda c: c[0])]
