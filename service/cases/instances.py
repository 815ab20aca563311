"""Use cases for process instances: start, complete, claim, message, cancel, fire a deadline.

The API and the tests call these same functions.  Each runs inside the
caller's transaction (see ``uow.py``): it loads the instance, runs one engine
step in ``workflows``, and stores state, history, tasks and deadlines together.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from service.access import auth
from service.access.permissions import Actor, check_can_work, may_know, require_role
from service.base.problems import Conflict, Forbidden, Invalid, NotFound
from service.cases import (
    casework_rules,
    end_reasons,
    escalation,
    message_starts,
    notifications,
    slas,
    task_rules,
)
from service.cases.definitions import get_definition, model_by_id, model_of
from service.cases.reports import touches
from service.store import direct, parsed, persist
from service.store.models import Deadline, ProcessDefinition, ProcessInstance, Sla, Task
from workflows.calendar import parse_datetime
from workflows.engine import EventDraft, NoWaitingEvent, Outcome, Runner, TaskNotOpen
from workflows.model import ProcessModel

_FORMATS = FormatChecker()


def utcnow() -> datetime:
    return datetime.now(UTC)


# Validators of the forms of cached (immutable) process models, by the form's identity.
_validators: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    if len(_validators) > 4096:  # forms of models no longer cached: start again
        _validators.clear()
    _validators[id(schema)] = (schema, validator)  # holds the schema: its id is not reused
    return validator


def form_errors(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Per-field messages for ``data`` against a JSON Schema form (empty when valid)."""
    errors: dict[str, list[str]] = {}
    for error in _validator(schema).iter_errors(data):
        if error.validator == "required":
            field = error.message.split("'")[1] if "'" in error.message else "_"
            errors.setdefault(field, []).append("this field is required")
            continue
        if error.validator == "additionalProperties":
            for extra in sorted(set(data) - set(schema.get("properties", {}))):
                errors.setdefault(extra, []).append("unknown field")
            continue
        field = ".".join(str(p) for p in error.absolute_path) or "_"
        if error.validator == "not" and error.validator_value == {}:  # a field another answer rules out
            errors.setdefault(field, []).append("not asked here: it belongs to another kind of advocacy")
            continue
        errors.setdefault(field, []).append(error.message)
    return errors


def runner(session: Session, model: ProcessModel) -> Runner:
    return Runner(model, context_functions={"sla_due": slas.sla_due_function(session)})


def _store(
    session: Session, instance: ProcessInstance, model: ProcessModel, outcome: Outcome, now: datetime
) -> ProcessInstance:
    before = dict(instance.variables or {})  # a new instance: {}
    changed = persist.apply(session, instance, model, outcome, now)
    parsed.keep(session, instance, model, outcome.workflow)  # for its next step, once this commits
    # The stored quarterly returns this case counts in, before the step and after it, go dirty at commit.
    touches.mark_instance(session, instance.process_key, before, instance.variables)
    session.info.setdefault("deadlines_changed", []).extend(d.id for d in changed)
    # The send tasks the step ran notify their template's recipients, in this same transaction.
    for event in outcome.events:
        for element in event.data.get("completed") or []:
            if element in model.send_tasks:
                notifications.send_task(session, instance, model, element, now)
    return after_step(session, instance, model, outcome, now)


def after_step(
    session: Session, instance: ProcessInstance, model: ProcessModel, outcome: Outcome, now: datetime
) -> ProcessInstance:
    """What follows a stored step: escalation of a missed SLA milestone, a continuation's new instance."""
    # A missed SLA milestone escalates however its timer fired: by the scheduler, or by the
    # engine itself during another step taken after the due moment.
    for event in outcome.events:
        timer = model.timers.get(event.activity_id or "") if event.type == "timer_fired" else None
        if timer is not None and timer.sla_milestone:
            due = event.data.get("due_at")
            _escalate(
                session, instance, timer.sla_milestone, datetime.fromisoformat(due) if due else None, now
            )
    continuation = model.continuations.get(outcome.snapshot.end_state or "")
    if outcome.snapshot.status == "completed" and continuation is not None:
        process, variable = continuation
        start_instance(
            session,
            None,
            process,
            dict((instance.variables or {}).get(variable) or {}),
            business_key=instance.business_key,
            now=now,
            continues=instance.id,
        )
    return instance


def load_instance(session: Session, instance_id: str) -> tuple[ProcessInstance, ProcessModel]:
    """The instance and its process model: one SELECT (the instance with its definition's checksum).

    The model comes from the cache of parsed definitions; the definition row is read only on a miss.
    """
    if not _is_uuid(instance_id):
        raise NotFound(f"no process instance {instance_id}")
    instance = session.identity_map.get(identity_key(ProcessInstance, instance_id))
    if instance is not None and instance.definition_id in _session_models(session):
        return instance, _session_models(session)[instance.definition_id]
    row = session.execute(
        select(ProcessInstance, ProcessDefinition.checksum)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id == instance_id)
    ).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    instance, checksum = row
    return instance, _model(session, instance.definition_id, checksum)


def visible_instance(session: Session, actor: Actor, instance_id: str) -> ProcessInstance:
    """The instance, if ``actor`` may know of it (404 otherwise, as if it did not exist)."""
    instance, _ = load_instance(session, instance_id)
    if not may_know(session, actor, instance):
        raise NotFound(f"no process instance {instance_id}")
    return instance


def _session_models(session: Session) -> dict[int, ProcessModel]:
    return session.info.setdefault("models_by_definition", {})


def _model(session: Session, definition_id: int, checksum: str) -> ProcessModel:
    model = model_by_id(session, definition_id, checksum)
    _session_models(session)[definition_id] = model
    return model


_TASK_WITH_INSTANCE = (  # built once: every completion and claim runs it
    select(Task, ProcessInstance, ProcessDefinition.checksum)
    .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
    .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    .where(Task.id == bindparam("_task"))
)


def load_task(session: Session, task_id: str) -> tuple[Task, ProcessInstance, ProcessModel]:
    """A task with its instance and model, in one SELECT (404 for an unknown task).

    No SELECT when ``authenticate_for_task`` read them in this session already.
    """
    held = session.info.get(_HELD_TASKS, {}).pop(task_id, None)
    if held is not None:
        return held
    row = session.execute(_TASK_WITH_INSTANCE, {"_task": task_id}).first() if _is_uuid(task_id) else None
    if row is None:
        raise NotFound(f"no task {task_id}")
    task, instance, checksum = row
    return task, instance, _model(session, instance.definition_id, checksum)


def authenticate_for_task(session: Session, token: str, task_id: str) -> Actor:
    """The caller of a request about a task (as ``auth.authenticate``), with the task, its instance and
    model read in the same SELECT and held for this session's ``load_task``: a step's transaction then
    starts with one round trip instead of two.  An unknown task is held as nothing (the step's 404)."""
    who, row = auth.authenticate_with(
        session, token, _CALLER_AND_TASK, {"_task": task_id if _is_uuid(task_id) else None}
    )
    if row[_TASK_AT] is not None:  # the task's id
        task = direct.loaded(session, Task, row[_TASK_AT:_INSTANCE_AT])
        instance = direct.loaded(session, ProcessInstance, row[_INSTANCE_AT:-1])
        model = _model(session, instance.definition_id, row[-1])
        session.info.setdefault(_HELD_TASKS, {})[task_id] = (task, instance, model)
    return who


_HELD_TASKS = "tasks_read_with_the_caller"
_CALLER = auth.TOKEN_CHECK.subquery("caller")
_TASK_COLUMNS = tuple(Task.__table__.columns)
_CALLER_AND_TASK = (  # the token's row, and the task's (NULLs for an unknown task): columns, read directly
    select(_CALLER, *_TASK_COLUMNS, *ProcessInstance.__table__.columns, ProcessDefinition.checksum)
    .select_from(_CALLER)
    .outerjoin(Task, Task.id == bindparam("_task", type_=String))
    .outerjoin(ProcessInstance, ProcessInstance.id == Task.instance_id)
    .outerjoin(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
)
_TASK_AT = len(_CALLER.c)  # where the task's columns start in its row, then the instance's
_INSTANCE_AT = _TASK_AT + len(_TASK_COLUMNS)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def start_instance(
    session: Session,
    actor: Actor | None,
    process: str,
    variables: dict[str, Any],
    *,
    version: int | None = None,
    business_key: str | None = None,
    now: datetime | None = None,
    continues: str | None = None,
    message: str | None = None,
) -> ProcessInstance:
    """Start ``process``; ``actor`` None means the service itself (an escalation, a continuation).

    ``continues`` names the instance this one carries on from, ``message`` the message that started
    it (both recorded in ``instance_started``).
    """
    now = now or utcnow()
    definition = get_definition(session, process, version)
    model = model_of(definition)
    if actor is not None:
        allowed = model.start_role or "manager"
        if actor.role != allowed:
            raise Forbidden(f"only the {allowed} role may start '{process}'")
    if model.start_event and model.start_event in model.forms:
        errors = form_errors(model.forms[model.start_event], variables)
        if errors:
            raise Invalid("the start variables do not match the start form", errors=errors)
    sla_key = variables.get("sla_key")
    if sla_key is not None and (not isinstance(sla_key, str) or session.get(Sla, sla_key) is None):
        raise Invalid("unknown SLA", errors={"sla_key": [f"no SLA '{sla_key}'"]})
    variables = dict(variables)
    start_fields = (model.forms.get(model.start_event or "", {}).get("properties")) or {}
    for name, field in start_fields.items():  # a start form's defaults fill what the caller left out
        if name not in variables and isinstance(field, dict) and "default" in field:
            variables[name] = field["default"]
    if "received_at" in (model.forms.get(model.start_event or "", {}).get("properties") or {}):
        # Stored in UTC (API.md), so reports can compare and order it as text on every database.
        received = variables.get("received_at")
        variables["received_at"] = (parse_datetime(received) if received else now).astimezone(UTC).isoformat()
    instance = ProcessInstance(
        id=str(uuid.uuid4()),
        definition_id=definition.id,
        process_key=definition.key,
        version=definition.version,
        business_key=business_key,
        status="running",
        variables={},
        waiting_messages={},
        state="{}",
        last_seq=0,
        last_hash=None,
        started_at=now,
        started_by=actor.username if actor else None,
    )  # added and inserted by persist.apply, once, with the state of its first step
    outcome = runner(session, model).start(variables, actor.username if actor else None, now)
    outcome.events[0].data["business_key"] = business_key
    if continues:
        outcome.events[0].data["continues"] = continues
    if message:
        outcome.events[0].data["message"] = message
    return _store(session, instance, model, outcome, now)


def get_task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id) if _is_uuid(task_id) else None
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def claim_task(session: Session, actor: Actor, task_id: str, now: datetime | None = None) -> Task:
    now = now or utcnow()
    task, instance, _ = load_task(session, task_id)
    check_can_work(actor, task)
    if task.status != "open":
        raise Conflict(f"task {task_id} is {task.status}, not open")
    if task.assignee == actor.username:
        return task
    task.assignee = actor.username
    touches.mark_instance(session, instance.process_key, instance.variables)  # no figure moves; to be safe
    persist.append_events(
        session,
        instance,
        [EventDraft("task_claimed", activity_id=task.activity_id, task_id=task.id, actor=actor.username)],
        now,
    )
    session.flush()
    return task


def complete_task(
    session: Session, actor: Actor, task_id: str, data: dict[str, Any], now: datetime | None = None
) -> ProcessInstance:
    now = now or utcnow()
    task, instance, model = load_task(session, task_id)
    check_can_work(actor, task)
    if task.status != "open":
        raise Conflict(f"task {task_id} is {task.status}, not open")
    errors = form_errors(model.form(task.activity_id), data)
    if errors:
        raise Invalid("the form data is not valid", errors=errors)
    errors = task_rules.errors_for(session, instance, task.activity_id, data)
    if errors:
        raise Invalid("the decision is not open here", errors=errors)
    if instance.status == "error":
        raise Conflict("the instance is in error; see its last history event")
    data = {**data, **casework_rules.recorded(session, instance, task.activity_id, data)}
    try:
        outcome = runner(session, model).complete(
            parsed.take(session, instance, model), task_id, data, actor.username, now
        )
    except TaskNotOpen:
        raise Conflict(f"task {task_id} is no longer open") from None
    meta = model.user_tasks.get(task.activity_id)
    if meta is not None and meta.records == "sla":
        _record_sla(session, {**(instance.variables or {}), **data})
    return _store(session, instance, model, outcome, now)


def _record_sla(session: Session, values: dict[str, Any]) -> None:
    """SLA negotiation in a commissioning cycle creates (or updates) the SLA casework deadlines use."""
    milestones = ("allocation", "first_contact", "escalation_response")
    record = {
        "provider": values.get("provider") or "",
        "commissioner": values.get("local_authority") or "",
        "targets": {m: values[f"target_{m}"] for m in milestones if values.get(f"target_{m}")},
        "urgent": {m: values[f"urgent_target_{m}"] for m in milestones if values.get(f"urgent_target_{m}")},
        "calendar": values.get("calendar") or "working_days",
        "breach_threshold": int(values.get("breach_threshold") or 0),
    }
    key = values.get("sla_key")
    if not key or not record["provider"] or not record["commissioner"] or not record["targets"]:
        raise Invalid(
            "the SLA cannot be recorded",
            errors={"sla_key": ["an SLA needs a key, a provider, a commissioner and targets"]},
        )
    slas.save_sla(session, key, record, create=False)


def deliver_message(
    session: Session, actor: Actor | None, name: str, business_key: str, payload: dict[str, Any], now=None
) -> list[str]:
    now = now or utcnow()
    candidates = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.business_key == business_key, ProcessInstance.status.in_(("running", "waiting"))
        )
        .order_by(ProcessInstance.started_at)
    ).all()
    delivered = []
    for instance in candidates:
        if name not in (instance.waiting_messages or {}).get("names", []):
            continue
        if actor is not None and not may_know(session, actor, instance):
            continue  # answered like "nothing waiting": a case the caller may not see stays unknown
        _, model = load_instance(session, instance.id)
        if actor is not None and actor.role not in ("manager", "admin") and actor.role != model.start_role:
            raise Forbidden(f"the {actor.role} role may not send messages to '{instance.process_key}'")
        try:
            outcome = runner(session, model).deliver(
                parsed.take(session, instance, model), name, payload, actor.username if actor else None, now
            )
        except NoWaitingEvent:
            continue
        _store(session, instance, model, outcome, now)
        delivered.append(instance.id)
    if not delivered:
        delivered = message_starts.start_by_message(
            session, actor, name, business_key, payload, now, start_instance
        )
    if not delivered:
        raise NotFound(f"no instance with business key '{business_key}' is waiting for message '{name}'")
    return delivered


def deliver_to_instance(
    session: Session, instance: ProcessInstance, name: str, payload: dict[str, Any], by: str, now: datetime
) -> ProcessInstance:
    """Deliver message ``name`` to this one instance; the caller has checked who may send it."""
    if name not in (instance.waiting_messages or {}).get("names", []):
        raise Conflict(f"the case is not waiting for '{name}'")
    _, model = load_instance(session, instance.id)
    try:
        outcome = runner(session, model).deliver(
            parsed.take(session, instance, model), name, payload, by, now
        )
    except NoWaitingEvent:
        raise Conflict(f"the case is not waiting for '{name}'") from None
    return _store(session, instance, model, outcome, now)


def cancel_instance(
    session: Session,
    actor: Actor,
    instance_id: str,
    reason: str,
    now: datetime | None = None,
    *,
    reason_code: str | None,
) -> ProcessInstance:
    """Cancel with a reason: ``reason_code`` from DOMAIN.md's end_reason list (else 422), kept as end_reason."""
    visible_instance(session, actor, instance_id)  # whoever calls: an unknown case is not found
    require_role(actor, "manager", "admin")
    errors = end_reasons.reason_code_errors(reason_code)
    if errors:
        raise Invalid("a case ends early only with a reason code", errors=errors)
    now = now or utcnow()
    instance, model = load_instance(session, instance_id)
    if instance.status in ("completed", "cancelled"):
        raise Conflict(f"the instance is already {instance.status}")
    outcome = runner(session, model).cancel(
        parsed.take(session, instance, model), actor.username, reason, now, reason_code
    )
    return _store(session, instance, model, outcome, now)


def fire_deadline(
    session: Session, deadline: Deadline, now: datetime | None = None
) -> ProcessInstance | None:
    """Fire a pending deadline (the scheduler has claimed the row). Returns the instance, or None if moot."""
    now = now or utcnow()
    if deadline.status != "pending":
        return None
    instance, model = load_instance(session, deadline.instance_id)
    if instance.status not in ("running", "waiting"):
        deadline.status = "cancelled"
        touches.mark_instance(session, instance.process_key, instance.variables)  # a pending count moved
        return None
    try:
        outcome = runner(session, model).fire_timer(
            parsed.take(session, instance, model), deadline.task_id, now
        )
    except NoWaitingEvent:
        deadline.status = "cancelled"
        touches.mark_instance(session, instance.process_key, instance.variables)
        return None
    return _store(session, instance, model, outcome, now)


def _escalate(
    session: Session, instance: ProcessInstance, milestone: str, due_at: datetime | None, now: datetime
) -> None:
    """A missed SLA milestone: the breach is recorded (``escalation``), then its ``sla_escalation`` starts."""
    breach = escalation.record_breach(session, instance, milestone, due_at, now)
    try:
        get_definition(session, "sla_escalation")
    except NotFound:
        return
    started = start_instance(
        session,
        None,
        "sla_escalation",
        breach.escalation_variables(instance.id),
        business_key=f"escalation:{instance.id}:{milestone}",
        now=now,
    )
    escalation.record_started(session, instance, breach, started.id, now)
