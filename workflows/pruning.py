"""Drop the finished part of an instance's task tree, so that a loop can run for years.

SpiffWorkflow keeps every finished task, and each round of a loop nests one level deeper: the state
grows with every step, and beyond ~1,000 levels its iterators stop seeing tasks.  The history is in
the events table, so the engine state need only keep what the engine still reads:

- every unfinished task (predicted, waiting, ready, started), its children and its parent (a task
  inherits its parent's data when it becomes ready; gateways read a task's parent's state);
- the root of each (sub)workflow and ``last_task``;
- finished instances of joins that are not behind a live task and not older than the join's last
  firing (a cancelled parallel-join instance counts as a token that has arrived), with their
  parents; older ones were consumed by that firing (SpiffWorkflow would count them again in the
  next round of a loop, a token from a previous round: see README);
- of the tokens that reached the process's end join (whose data the end merges into the
  workflow's data), the latest from each end event (its data holds what the earlier ones held,
  since task data is inherited along the path: an approximation, see README);
- finished event subprocesses with their subworkflows (the variables read what they changed).

Every other finished task is removed, with its subprocess if it had one, and each kept task is
re-attached to its nearest kept ancestor: being-an-ancestor among kept tasks is unchanged, no task's
data or state is touched, and the tree's depth stays bounded by the diagram, not by the rounds.
"""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


def prune(workflow: BpmnWorkflow) -> int:
    """Prune the instance and its subprocesses in place; returns how many tasks were removed."""
    if workflow.is_completed():
        return 0  # nothing more will run; the end event is read off the finished tree
    event_subprocesses = set(getattr(workflow.spec.start, "trigger_specs", []))
    removed = 0
    for sub in [workflow, *workflow.subprocesses.values()]:
        if sub is workflow or workflow.subprocesses.get(sub.parent_task_id) is sub:  # not yet dropped
            removed += _prune_one(workflow, sub, event_subprocesses)
    return removed


def _is_live(task: Task) -> bool:
    return not task.has_state(TaskState.FINISHED_MASK)


def _prune_one(top: BpmnWorkflow, workflow, event_subprocesses: set[str]) -> int:
    tasks: dict[UUID, Task] = workflow.tasks
    live = [t for t in tasks.values() if _is_live(t)]
    behind_live: set[UUID] = set()  # ancestors of live tasks
    for task in live:
        parent_id = task._parent
        while parent_id is not None and parent_id not in behind_live:
            behind_live.add(parent_id)
            parent = tasks.get(parent_id)
            parent_id = parent._parent if parent is not None else None
    keep: set[UUID] = {workflow.task_tree.id}
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)
    for task in live:
        keep.add(task.id)
        keep.update(task._children)
        if task._parent is not None:
            keep.add(task._parent)
    fired: dict[str, float] = {}  # when each join last fired
    for task in tasks.values():
        if isinstance(task.task_spec, Join) and task.has_state(TaskState.COMPLETED):
            name = task.task_spec.name
            fired[name] = max(fired.get(name, 0.0), task.last_state_change)
    ended: dict[str, Task] = {}  # the last token that reached the process end from each end event
    for task in tasks.values():
        if isinstance(task.task_spec, _EndJoin) and not _is_live(task) and task._parent in tasks:
            source = tasks[task._parent].task_spec.name
            if source not in ended or ended[source].last_state_change < task.last_state_change:
                ended[source] = task
    for task in tasks.values():
        if _is_live(task):
            continue
        spec = task.task_spec
        if isinstance(spec, _EndJoin):
            if ended.get(tasks[task._parent].task_spec.name if task._parent in tasks else "") is task:
                keep.update((task.id, task._parent))
            continue
        waiting_join = (
            isinstance(spec, Join)
            and task.id not in behind_live
            and task.last_state_change >= fired.get(spec.name, 0.0)  # a token not yet consumed
        )
        if waiting_join or isinstance(spec, EventSubprocess) or spec.name in event_subprocesses:
            keep.add(task.id)
            if task._parent is not None:
                keep.add(task._parent)
    if len(keep) == len(tasks):
        return 0
    for task_id in keep:  # each kept task adopts the kept tasks nearest below it, in tree order
        task = tasks.get(task_id)
        if task is None:
            continue
        adopted: list[UUID] = []
        stack = list(reversed(task._children))
        while stack:
            child_id = stack.pop()
            child = tasks.get(child_id)
            if child is None:
                continue
            if child_id in keep:
                adopted.append(child_id)
            else:
                stack.extend(reversed(child._children))
        task._children = adopted
        for child_id in adopted:
            tasks[child_id]._parent = task_id
    gone = [i for i in tasks if i not in keep]
    for task_id in gone:
        if task_id in top.subprocesses:
            top.delete_subprocess(tasks[task_id])
    for task_id in gone:
        del tasks[task_id]
    return len(gone)
