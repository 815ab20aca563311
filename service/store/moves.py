"""Write a migration: the instance onto another version, its task and deadline rows renamed and re-dated.

Called inside the caller's transaction, like ``persist.apply`` (which it calls for the step).  The
open task rows keep their ids (the engine keeps its task ids): their activity and name become the
new version's.  Deadline rows are keyed by the engine's timer task: a timer still waiting after the
move keeps its row, re-dated and re-described from the new diagram (activity, kind, milestone, the
activity it is attached to, due and reminder times); a timer no longer waited for is cancelled and
a timer the new version adds gets a new row, as in any step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from service.store import persist
from service.store.models import Deadline, ProcessDefinition, ProcessInstance, Task
from workflows.engine import Outcome
from workflows.model import ProcessModel

_INSTANCES = ProcessInstance.__table__


def apply_move(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    model: ProcessModel,
    outcome: Outcome,
    renamed: dict[str, tuple[str, str]],
    now: datetime,
) -> list[Deadline]:
    """Store the migration ``outcome``; ``renamed``: open task id -> (new activity id, new name)."""
    for task in session.scalars(
        select(Task).where(
            Task.instance_id == instance.id, Task.status == "open", Task.id.in_(sorted(renamed))
        )
    ):
        task.activity_id, task.name = renamed[task.id]
    session.flush()
    changed = persist.apply(session, instance, model, outcome, now)
    result = session.connection().execute(
        update(_INSTANCES)
        .where(_INSTANCES.c.id == instance.id, _INSTANCES.c.row_version == instance.row_version)
        .values(definition_id=definition.id, version=definition.version)
    )
    if result.rowcount != 1:  # pragma: no cover - apply has just moved the version under the same lock
        raise StaleDataError(f"process instance {instance.id} was changed by another step")
    set_committed_value(instance, "definition_id", definition.id)
    set_committed_value(instance, "version", definition.version)
    started = persist._target_start(outcome.snapshot.variables)
    timers = {t.task_id: t for t in outcome.snapshot.timers}
    for deadline in session.scalars(
        select(Deadline).where(Deadline.instance_id == instance.id, Deadline.status == "pending")
    ):
        timer = timers.get(deadline.task_id)
        if timer is None:
            continue
        meta = model.timers.get(timer.activity_id)
        deadline.activity_id = timer.activity_id
        deadline.kind = "sla" if timer.sla_milestone else "timer"
        deadline.milestone = timer.sla_milestone
        deadline.attached_to = meta.attached_to if meta else None
        deadline.due_at = timer.due_at
        deadline.remind_at = persist.remind_at(started or now, timer.due_at) if timer.sla_milestone else None
        if deadline not in changed:
            changed.append(deadline)
    session.flush()
    return changed
