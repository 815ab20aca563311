"""Migration: move running instances of a process to another version of its diagram (API.md second edition).

``migrate`` checks the request as a whole (422 naming the field), then moves each instance in its own
transaction: the engine layer (``workflows.migration``) decides whether the move is safe and builds
the new state; an unsafe move is answered as a refused item naming the activity, and writes nothing.
A dry run answers the same items and writes nothing either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, require_role
from service.base.problems import Invalid, NotFound
from service.cases import instances as cases
from service.cases.definitions import get_definition, model_of
from service.store import moves
from service.store.models import ProcessDefinition, ProcessInstance
from service.store.uow import Database
from workflows.migration import MAX_MAPPING, check_mapping, elements, move

MAX_INSTANCES = 1000


def _refused(instance_id: str, version: int | None, message: str, activity: str | None = None) -> dict:
    return {
        "instance_id": instance_id,
        "from_version": version,
        "ok": False,
        "problems": [{"activity_id": activity, "message": message}],
    }


def check_request(
    session: Session,
    process: Any,
    to_version: Any,
    mapping: Any,
    instance_ids: Any,
) -> ProcessDefinition:
    """The target definition, or 422 naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    if not isinstance(process, str) or not process:
        errors["process"] = ["a process key (text) is required"]
    if isinstance(to_version, bool) or not isinstance(to_version, int) or not 1 <= to_version < 2**31:
        errors["to_version"] = ["a version number (a whole number from 1) is required"]
    if not isinstance(mapping, Mapping):
        errors["mapping"] = ["an object of old activity id to new activity id"]
    elif len(mapping) > MAX_MAPPING:
        errors["mapping"] = [f"at most {MAX_MAPPING} entries"]
    elif any(not isinstance(k, str) or not isinstance(v, str) for k, v in mapping.items()):
        errors["mapping"] = ["each entry maps an activity id (text) to an activity id (text)"]
    if instance_ids is not None and (
        not isinstance(instance_ids, list) or any(not isinstance(i, str) for i in instance_ids)
    ):
        errors["instances"] = ["a list of instance ids (text)"]
    elif instance_ids is not None and len(instance_ids) > MAX_INSTANCES:
        errors["instances"] = [f"at most {MAX_INSTANCES} instances at a time"]
    if errors:
        raise Invalid("the migration request is not valid", errors=errors)
    try:
        get_definition(session, process)
    except NotFound:
        raise Invalid("unknown process", errors={"process": [f"no process '{process}'"]}) from None
    try:
        definition = get_definition(session, process, to_version)
    except NotFound:
        raise Invalid(
            "unknown version", errors={"to_version": [f"'{process}' has no version {to_version}"]}
        ) from None
    target = model_of(definition)
    known = elements(target)
    wrong = sorted({v for v in mapping.values() if v not in known})
    if wrong:
        raise Invalid(
            "the mapping names elements the target version lacks",
            errors={"mapping": [f"version {to_version} has no element '{w}'" for w in wrong]},
        )
    return definition


def _candidates(session: Session, process: str, to_version: int) -> list[str]:
    return list(
        session.scalars(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.process_key == process,
                ProcessInstance.status.in_(("running", "waiting")),
                ProcessInstance.version != to_version,
            )
            .order_by(ProcessInstance.started_at, ProcessInstance.id)
        )
    )


def migrate_one(
    session: Session,
    actor: Actor,
    instance_id: str,
    definition_id: int,
    mapping: Mapping[str, str],
    dry_run: bool,
    now: datetime,
) -> dict[str, Any]:
    """Move one instance (in the caller's transaction); the item answered for it."""
    definition = session.get(ProcessDefinition, definition_id)
    assert definition is not None
    try:
        instance, old = cases.load_instance(session, instance_id)
    except NotFound:
        return _refused(instance_id, None, f"no process instance {instance_id}")
    if instance.process_key != definition.key:
        return _refused(
            instance_id,
            instance.version,
            f"the instance is of '{instance.process_key}', not '{definition.key}'",
        )
    if instance.status not in ("running", "waiting"):
        return _refused(
            instance_id, instance.version, f"the instance is {instance.status}: only running cases move"
        )
    if instance.version == definition.version:
        return _refused(
            instance_id, instance.version, f"the instance is already on version {definition.version}"
        )
    problems = check_mapping(old, model_of(definition), mapping)
    outcome = None
    if not problems:
        outcome, problems = move(
            old,
            cases.runner(session, model_of(definition)),
            instance.state,
            mapping,
            actor=actor.username,
            from_version=instance.version,
            to_version=definition.version,
            now=now,
        )
    item = {
        "instance_id": instance.id,
        "from_version": instance.version,
        "ok": not problems,
        "problems": [p.to_json() for p in problems],
    }
    if outcome is None or dry_run:
        return item
    renamed = {t["task_id"]: (t["activity_id"], t["name"]) for t in outcome.events[0].data["tasks"]}
    changed = moves.apply_move(session, instance, definition, model_of(definition), outcome, renamed, now)
    session.info.setdefault("deadlines_changed", []).extend(d.id for d in changed)
    cases.after_step(session, instance, model_of(definition), outcome, now)
    return item


def migrate(
    db: Database,
    actor: Actor,
    process: Any,
    to_version: Any,
    mapping: Any = None,
    instance_ids: Any = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """``POST /migrations``: each instance in its own transaction; the items in the order of the instances."""
    require_role(actor, "admin")
    mapping = {} if mapping is None else mapping
    now = now or datetime.now(UTC)
    definition = db.read(check_request, process, to_version, mapping, instance_ids)
    ids = instance_ids if instance_ids is not None else db.read(_candidates, process, to_version)
    items = []
    for instance_id in dict.fromkeys(ids):  # an id given twice moves once
        items.append(db.run(migrate_one, actor, instance_id, definition.id, mapping, bool(dry_run), now))
    return items


def processes(session: Session) -> list[dict[str, Any]]:
    """Each process with its versions and how many running cases each has (the migration page's choices)."""
    from sqlalchemy import func

    counts = dict(
        ((key, version), n)
        for key, version, n in session.execute(
            select(ProcessInstance.process_key, ProcessInstance.version, func.count())
            .where(ProcessInstance.status.in_(("running", "waiting")))
            .group_by(ProcessInstance.process_key, ProcessInstance.version)
        )
    )
    out: dict[str, dict[str, Any]] = {}
    for key, version in session.execute(
        select(ProcessDefinition.key, ProcessDefinition.version).order_by(
            ProcessDefinition.key, ProcessDefinition.version
        )
    ):
        entry = out.setdefault(key, {"key": key, "versions": []})
        entry["versions"].append({"version": version, "running": counts.get((key, version), 0)})
    return list(out.values())
