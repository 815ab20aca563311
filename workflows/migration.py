"""Move a running instance's engine state onto another version of its diagram (pure: no database).

As in a Camunda 7 migration plan, the move is validated before anything is executed: ``plan``
checks the mapping (old element id -> new element id) and then every live activity of the
instance, and ``migrate`` returns either the problems (nothing was changed) or the new state.

The mapping renames the old version's ids before the comparison: the old sources are re-read with
the renamed ids and the stored state's tasks renamed likewise, so SpiffWorkflow's own
``diff_workflow`` (``SpecDiff`` per process and subprocess, ``WorkflowDiff`` per instance) aligns
the two versions by id.  A move is unsafe, and refused naming the element, when

- the mapping names an id the old version does not have, maps onto one the new version does not
  have, onto an element of another kind, onto an id the old version keeps (or onto a key of the
  mapping: chains and cycles), or maps two ids onto one;
- an open task, a waiting timer or message catch, or a running subprocess has no counterpart in
  the same scope of the new version (an activity may not move into or out of a subprocess);
- a waiting catch event would wait for something else (a timer becomes a message, another
  message name): the event it waits for would be lost;
- a finished activity of the instance has no counterpart (its record in the engine state would
  point at nothing): map it onto one of the same kind;
- an open activity gains boundary events in the new version that cannot be armed on it.

Open tasks and waiting events keep their engine task ids (so the service's task and deadline rows
keep theirs); a waiting boundary timer whose definition changed is replaced by a fresh timer of the new
diagram (a new engine task, due as a fresh step would compute it: its old deadline is cancelled, a new
one created); another changed timer (a catch event in the flow, a cycle) is re-armed in place (the same
task, its due time recomputed); an unchanged one keeps its task and its moment; boundary events the new version adds to an
open activity are armed.  ``migrate_workflow`` would reset every ready and waiting task: here only
the changed timers are replaced, so open tasks keep their ids and data and unchanged timers their moment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions import (
    CycleTimerEventDefinition,
    MessageEventDefinition,
    MultipleEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import clock, xmlsafe
from workflows.deployment import BPMN_NS, build_specs, specs_for
from workflows.engine import EventDraft, Outcome, Runner
from workflows.migration_mapping import MAX_MAPPING as MAX_MAPPING
from workflows.migration_mapping import Element, MigrationProblem, check_mapping, elements
from workflows.model import ProcessModel
from workflows.parser import SERIALIZER
from workflows.replay import DiagramGraph
from workflows.state import Snapshot, bpmn_id, snapshot
from workflows.state import load as load_old

# Attributes that refer to a flow element by id (the diagram interchange's bpmnElement included).
_REFERENCES = ("id", "sourceRef", "targetRef", "attachedToRef", "bpmnElement", "default")
_REFERENCE_TEXTS = ("incoming", "outgoing")
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass
class Migrated:
    """The instance's workflow on the new version's specs, not yet advanced by the engine."""

    workflow: BpmnWorkflow
    # old element id -> new element id: the mapping given, and the renames SpiffWorkflow's diff found by
    # structure (an element renamed between the same neighbours) among the instance's tasks
    mapping: dict[str, str] = field(default_factory=dict)


def _renamed(name: str, mapping: Mapping[str, str]) -> str:
    if name in mapping:
        return mapping[name]
    head, dot, tail = name.partition(".")  # "x.BoundaryEventSplit" and the like follow "x"
    return f"{mapping[head]}.{tail}" if dot and head in mapping else name


def _rename_sources(sources: Mapping[str, str], mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    out = []
    for name, text in sorted(sources.items()):
        root = xmlsafe.parse(text)
        if etree.QName(root).namespace == BPMN_NS and mapping:
            for node in root.iter():
                if not isinstance(node.tag, str):
                    continue
                for attribute in _REFERENCES:
                    value = node.get(attribute)
                    if value in mapping:
                        node.set(attribute, mapping[value])
                if etree.QName(node).localname in _REFERENCE_TEXTS and (node.text or "").strip() in mapping:
                    node.text = mapping[node.text.strip()]
            text = etree.tostring(root, encoding="unicode")
        out.append((name, text))
    return tuple(out)


def _rename_state(state: str, mapping: Mapping[str, str]) -> dict[str, Any]:
    dct = json.loads(state)
    workflows = [dct, *dct.get("subprocesses", {}).values()]
    for workflow in workflows:
        for task in workflow.get("tasks", {}).values():
            task["task_spec"] = _renamed(task["task_spec"], mapping)
        if "spec" in workflow and isinstance(workflow["spec"], str):
            workflow["spec"] = _renamed(workflow["spec"], mapping)
    return dct


def _live(task: Task) -> bool:
    return task.has_state(_LIVE)


def _awaits(spec: Any) -> tuple[str, ...] | None:
    """What a catching spec waits for: ("timer",) / ("message", name), several for an event gateway."""
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return None
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    out = []
    for item in inner:
        if isinstance(item, TimerEventDefinition):
            out.append(f"timer:{type(item).__name__}")
        elif isinstance(item, MessageEventDefinition):
            out.append(f"message:{item.name}")
        else:
            out.append(type(item).__name__)
    return tuple(sorted(out))


def _describe(awaited: tuple[str, ...] | None) -> str:
    if not awaited:
        return "nothing"
    return ", ".join(
        a.replace("timer:", "a timer (").replace("message:", "the message '") + _close(a) for a in awaited
    )


def _close(awaited: str) -> str:
    return ")" if awaited.startswith("timer:") else "'" if awaited.startswith("message:") else ""


def migrate(
    old: ProcessModel,
    new: ProcessModel,
    state: str,
    mapping: Mapping[str, str],
    script_engine: Any = None,
) -> tuple[Migrated | None, list[MigrationProblem]]:
    """The instance's state moved to ``new`` (or None) and the problems that refuse the move."""
    problems = check_mapping(old, new, mapping)
    if problems:
        return None, problems
    mapping = {k: v for k, v in mapping.items() if k != v}
    renamed_spec, renamed_subs = build_specs(old.key, _rename_sources(old.sources, mapping))
    dct = _rename_state(state, mapping)
    SERIALIZER.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = renamed_spec, renamed_subs
    workflow = SERIALIZER.from_dict(dct)
    if script_engine is not None:  # a re-armed timer evaluates its expression with the service's functions
        workflow.script_engine = script_engine
    new_spec, new_subs = specs_for(new)
    top, subs = diff_workflow(SERIALIZER.registry, workflow, new_spec, new_subs)
    targets = elements(new)
    problems = _unsafe(workflow, top, subs, new_subs, targets)
    if problems:
        return None, problems
    effective = dict(mapping)
    original = {v: k for k, v in mapping.items()}
    for diff in [top, *subs.values()]:
        for task, aligned in (diff.alignment if diff is not None else {}).items():
            was, becomes = bpmn_id(task), getattr(aligned, "bpmn_id", None)
            if was and becomes and was != becomes:
                effective[original.get(was, was)] = becomes
    problems = _stranded_joins(new, {bpmn_id(t) for t in _all(workflow) if _live(t)} - {None}, effective)
    if problems:
        return None, problems
    reset: list[Task] = []
    _rebind(top, workflow, new_spec, reset)
    workflow.subprocess_specs = new_subs
    for sp_id, diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        if diff is not None:
            _rebind(diff, sub, new_subs[sub.spec.name], reset)
    for task in reset:  # a timer whose definition changed: a fresh one from the new diagram replaces it
        if task.id in task.workflow.tasks:
            try:
                boundary = task.parent is not None and isinstance(task.parent.task_spec, BoundaryEventSplit)
                if boundary and not isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
                    _replace(task)
                else:  # a catch event in the flow, or a cycle (it ticks through its branches): in place
                    task.reset_branch(None)
            except Exception as err:  # the new diagram's expression fails on this instance's data
                return None, [_failed(task, err)]
    try:
        _arm_new_boundaries(workflow)
    except Exception as err:
        return None, [_failed(None, err)]
    _prune_predicted(workflow)
    return Migrated(workflow, dict(sorted(effective.items()))), []


def _graph(model: ProcessModel) -> DiagramGraph:
    for text in model.sources.values():
        if f'id="{model.key}"' in text and etree.QName(xmlsafe.parse(text)).namespace == BPMN_NS:
            return DiagramGraph.from_xml(text)
    return DiagramGraph()


def _reach(graph: DiagramGraph, starts: set[str]) -> set[str]:
    """Every element a token at ``starts`` can still get to (boundary events and subprocesses included)."""
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.targets(node))
        stack.extend(b for b, a in graph.attached.items() if a == node)
        if graph.kinds.get(node) in ("subProcess", "transaction"):
            stack.extend(
                c for c, p in graph.parents.items() if p == node and graph.kinds.get(c) == "startEvent"
            )
        parent = graph.parents.get(node)
        if parent and graph.kinds.get(node) == "endEvent":
            stack.extend(graph.targets(parent))
    return seen


def _stranded_joins(new: ProcessModel, live: set[str], mapping: Mapping[str, str]) -> list[MigrationProblem]:
    """A parallel join of the new version this case would reach but never pass: a branch it needs is not run.

    From the case's open and waiting elements (their new ids), every element still reachable is followed;
    a parallel gateway among them with an incoming branch nobody can reach would wait for ever.
    """
    graph = _graph(new)
    starts = {mapping.get(e, e) for e in live} & set(graph.kinds)
    reach = _reach(graph, starts)
    problems = []
    for join in sorted(reach - starts):
        if graph.kinds.get(join) != "parallelGateway":
            continue
        sources = sorted({s for s, t in graph.flows.values() if t == join})
        missing = [s for s in sources if s not in reach]
        if len(sources) > 1 and missing:
            name = new.names.get(join) or join
            problems.append(
                MigrationProblem(
                    join,
                    f"the new version's '{join}' ({name}) also waits for the branch from "
                    f"'{missing[0]}', which this case is not on: it would never pass it",
                )
            )
    return problems


def _failed(task: Task | None, err: Exception) -> MigrationProblem:
    element = bpmn_id(task) if task is not None else None
    detail = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
    return MigrationProblem(element, f"the new version's timer cannot be armed here: {detail}")


def _all(workflow: BpmnWorkflow) -> list[Task]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def _unsafe(
    workflow: BpmnWorkflow,
    top: WorkflowDiff,
    subs: dict[Any, WorkflowDiff | None],
    new_subs: Mapping[str, BpmnProcessSpec],
    targets: Mapping[str, Element],
) -> list[MigrationProblem]:
    problems: list[MigrationProblem] = []
    done: list[MigrationProblem] = []  # finished work: reported only for activities with no other problem

    def add(activity: str | None, message: str, *, finished: bool = False) -> None:
        found = MigrationProblem(activity, message)
        if found not in problems and found not in done:
            (done if finished else problems).append(found)

    def missing(task: Task) -> None:
        element = bpmn_id(task) or task.task_spec.name
        if not bpmn_id(task):  # an engine-made task ("x.BoundaryEventSplit"): reported as its element
            element = task.task_spec.name.partition(".")[0]
            if task.task_spec.name in ("Start", "End") or task.task_spec.name.endswith(".EndJoin"):
                return  # every process and subprocess has them
        where = targets.get(element)
        if _live(task):
            if where is not None:
                add(
                    element,
                    f"'{element}' is open or waiting here, and the new version has it in another scope "
                    f"({where.scope or 'the process itself'}): an open activity cannot move into or out of a "
                    "subprocess",
                )
            else:
                add(element, f"'{element}' is open or waiting here and has no counterpart in the new version")
        elif task.has_state(TaskState.FINISHED_MASK):
            add(
                element,
                f"'{element}' was done here and has no counterpart in the new version: map it",
                finished=True,
            )

    for diff, sub in [(top, workflow), *((d, workflow.subprocesses[k]) for k, d in subs.items())]:
        if diff is None:  # a running subprocess whose process the new version does not have
            parent = workflow.get_task_from_id(sub.parent_task_id)
            if parent is not None and parent.has_state(_LIVE):
                missing(parent)
            continue
        for task in diff.removed:
            missing(task)
        for task, new_spec in diff.alignment.items():
            if new_spec is None or not _live(task):
                continue
            element = bpmn_id(task) or task.task_spec.name
            if type(task.task_spec).__name__ != type(new_spec).__name__:
                add(element, f"'{element}' is a different kind of element in the new version")
                continue
            if isinstance(task.task_spec, CatchingEvent) or isinstance(new_spec, CatchingEvent):
                was, becomes = _awaits(task.task_spec), _awaits(new_spec)
                if task.has_state(TaskState.WAITING) and was != becomes:
                    add(
                        element,
                        f"'{element}' waits for {_describe(was)}; in the new version it waits for "
                        f"{_describe(becomes)}: what it waits for would be lost",
                    )
            splits = [s for s in new_spec.inputs if isinstance(s, BoundaryEventSplit)]
            parent = task.parent
            if splits and not (parent is not None and isinstance(parent.task_spec, BoundaryEventSplit)):
                add(
                    element,
                    f"'{element}' is open here and has boundary events only in the new version; "
                    "they cannot be attached to it now",
                )
    named = {p.activity_id for p in problems}
    return problems + [p for p in done if p.activity_id not in named]


def _rebind(diff: WorkflowDiff, workflow: Any, spec: BpmnProcessSpec, reset: list[Task]) -> None:
    """``migrate_workflow`` with a narrower reset: only waiting timers whose definition changed."""
    workflow.spec = spec
    for task in list(workflow.tasks.values()):
        aligned = diff.alignment.get(task)
        if aligned is None:
            continue
        changed = task in diff.changed
        old_timer = isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
        task.task_spec = aligned
        if changed and old_timer and task.has_state(TaskState.WAITING):
            reset.append(task)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _replace(task: Task) -> Task:
    """The waiting ``task`` dropped and a new task of its (new) spec waiting in its place, with a new id.

    As a fresh step would create it: its moment computed now from the new diagram; the service sees a
    timer no longer waited for (its deadline cancelled) and a new one (a new deadline row).
    """
    parent = task.parent
    workflow = task.workflow
    workflow.top_workflow.event_manager.remove_task(task)
    for dropped in list(task):
        workflow.tasks.pop(dropped.id, None)
        workflow.top_workflow.event_manager.remove_task(dropped)
    parent._children.remove(task.id)
    fresh = parent._add_child(task.task_spec, TaskState.FUTURE)
    fresh.data = dict(parent.data)
    fresh.task_spec._update(fresh)
    return fresh


def _arm_new_boundaries(workflow: BpmnWorkflow) -> list[Task]:
    """Boundary events the new version adds to an open activity: waiting from now on."""
    armed = []
    for task in _all(workflow):
        spec = task.task_spec
        if not isinstance(spec, BoundaryEventSplit) or not task.has_state(TaskState.COMPLETED):
            continue
        children = {c.task_spec.name: c for c in task.children}
        if not any(_live(c) for c in children.values()):
            continue
        for output in spec.outputs:
            if output.name not in children:
                child = task._add_child(output, TaskState.FUTURE)
                output._update(child)
                armed.append(child)
    return armed


def _prune_predicted(workflow: BpmnWorkflow) -> None:
    """Predicted tasks whose spec the new version lacks (SpiffWorkflow predicts them again)."""
    for sub in [workflow, *workflow.subprocesses.values()]:
        names = sub.spec.task_specs
        for task in list(sub.tasks.values()):
            if task.id not in sub.tasks or names.get(task.task_spec.name) is task.task_spec:
                continue
            if task.has_state(TaskState.PREDICTED_MASK):
                parent = task.parent
                if parent is not None and task.id in parent._children:
                    parent._children.remove(task.id)
                for dropped in list(task):
                    sub.tasks.pop(dropped.id, None)


def move(
    old: ProcessModel,
    runner: Runner,
    state: str,
    mapping: Mapping[str, str],
    *,
    actor: str | None,
    from_version: int,
    to_version: int,
    now: datetime | None = None,
) -> tuple[Outcome | None, list[MigrationProblem]]:
    """Move the instance onto ``runner``'s model: the step's outcome (``instance_migrated`` first), or problems.

    The engine then runs as after any step (a re-armed timer already due fires, say); the event's
    ``data`` has ``from_version``, ``to_version``, ``mapping`` (as given, with the renames the diff found
    by structure) and ``tasks`` (each open task with its
    activity and name on the new version), with the variables and stage as any step records them.
    """
    with clock.at(now):
        before: Snapshot = snapshot(old, load_old(old, state))
        migrated, problems = migrate(old, runner.model, state, mapping, runner.script_engine())
        if migrated is None:
            return None, problems
        workflow = migrated.workflow
        moved = snapshot(runner.model, workflow)
        trigger = EventDraft(
            "instance_migrated",
            actor=actor,
            data={
                "from_version": from_version,
                "to_version": to_version,
                "mapping": migrated.mapping,
                "tasks": [
                    {"task_id": t.task_id, "activity_id": t.activity_id, "name": t.name}
                    for t in moved.open_tasks
                ],
            },
        )
        return runner.advance(workflow, trigger, before), []
