"""Each worker's parsed engine states, kept between steps so a step need not parse its state again.

Parsing the stored state text back into a ``BpmnWorkflow`` is a large share of a step's own cost.
The workflow a step leaves behind is the very object its stored text was serialized from, so the
next step of the same instance in this process can start from it, on three conditions, all checked
on every use:

- the instance row just read in the step's transaction has the same ``row_version`` (any other
  writer, in this process or another, moves it) **and** the same state text, character for
  character, as the one this object was serialized to;
- the process model (the parsed definition, whose specs the object points at) is the same object;
- the object is taken out of the cache for the step (no two steps share it) and is put back only
  after the step's transaction committed (``Database.run``'s after-commit actions).  A step that
  fails, raises or is rolled back leaves nothing behind: the next step parses the stored text.

Steps of one instance inside one transaction hand the object on within the session.  An instance
that ended or went to ``error`` is not kept.  ``ADVOCACY_FLOW_PARSED_CACHE`` sets how many
instances a worker keeps (default 256; 0 turns the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.orm import Session

from service.base.config import parsed_cache_size
from service.store.models import ProcessInstance
from workflows.model import ProcessModel


@dataclass(frozen=True)
class _Entry:
    row_version: int
    state_text: str
    model: ProcessModel
    workflow: BpmnWorkflow


_lock = threading.Lock()
_entries: OrderedDict[str, _Entry] = OrderedDict()
_PENDING = "parsed.pending"  # session.info: this transaction's steps' workflows, by instance id


def take(session: Session, instance: ProcessInstance, model: ProcessModel) -> BpmnWorkflow | str:
    """The instance's parsed workflow if one is kept for exactly this row, else its state text.

    Whatever is found is removed: the caller's step owns it now.
    """
    entry = session.info.get(_PENDING, {}).pop(instance.id, None)
    if entry is None:
        with _lock:
            entry = _entries.pop(instance.id, None)
    if (
        entry is not None
        and entry.row_version == instance.row_version
        and entry.model is model
        and entry.state_text == instance.state
    ):
        return entry.workflow
    return instance.state


def keep(
    session: Session, instance: ProcessInstance, model: ProcessModel, workflow: BpmnWorkflow | None
) -> None:
    """After a stored step: keep ``workflow`` (the object ``instance.state`` was just serialized from)
    for the instance's next step, in this transaction at once and in the worker once it commits."""
    pending: dict[str, _Entry] = session.info.setdefault(_PENDING, {})
    if workflow is None or instance.status not in ("running", "waiting") or parsed_cache_size() <= 0:
        pending.pop(instance.id, None)
        return
    if not pending:
        session.info.setdefault("after_commit", []).append(lambda: _publish(pending))
    pending[instance.id] = _Entry(instance.row_version, instance.state, model, workflow)


def _publish(pending: dict[str, _Entry]) -> None:
    size = parsed_cache_size()
    with _lock:
        for instance_id, entry in pending.items():
            _entries[instance_id] = entry
            _entries.move_to_end(instance_id)
        while len(_entries) > size:
            _entries.popitem(last=False)
    pending.clear()


def clear() -> None:
    """Forget every kept workflow (tests; a worker that wants its memory back)."""
    with _lock:
        _entries.clear()
