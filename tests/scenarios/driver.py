"""Scenario driver on the raw engine; the interface is DRIVER_CONTRACT.md, and only it may be used.

Runs every diagram in ``bpmn/`` with SpiffWorkflow, validates data against ``forms/`` and keeps a
simplified history, until a driver over the service's use-case functions replaces it.  Engine calls
run inside ``clock.at(self.now)``; a timer with the property ``sla_milestone`` starts an
``sla_escalation`` instance when it fires, as the service does (bpmn/README.md).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import isodate
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import clock

REPO = Path(__file__).resolve().parents[2]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
CAMUNDA = "{" + NS["camunda"] + "}"
USERS = {"manager1": "manager", "manager2": "manager", "advocate1": "advocate", "advocate2": "advocate",
         "commissioner1": "commissioner", "admin1": "admin", "auditor1": "auditor"}
CLOCK_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFAULT_SLA: dict[str, Any] = {
    "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
    "urgent": {"first_contact": "PT4H"},
    "calendar": "working_days",
    "breach_threshold": 5,
}
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_TICK = timedelta(microseconds=1)  # SpiffWorkflow fires a timer once the clock is strictly past it


class FormInvalid(Exception):
    """Data refused by the form; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, sort_keys=True))
        self.errors = errors


# -- forms ------------------------------------------------------------------------------

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


def _explain(error: ValidationError) -> list[tuple[str, str]]:
    path = [str(p) for p in error.absolute_path]
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        return [("/".join([*path, p]), "is required") for p in error.validator_value if p not in instance]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [("/".join([*path, p]), "is not an allowed field") for p in instance if p not in known]
    if error.validator == "oneOf" and all("const" in s for s in error.validator_value):
        choices = ", ".join(repr(s["const"]) for s in error.validator_value)
        return [("/".join(path) or "_", f"must be one of {choices}")]
    return [("/".join(path) or "_", error.message)]


def form_errors(schema: Mapping[str, Any], data: Any) -> dict[str, list[str]]:
    """Every problem of ``data`` against the JSON Schema ``schema``, by field."""
    errors: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(data):
        for name, message in _explain(error):
            if message not in errors.setdefault(name, []):
                errors[name].append(message)
    return errors


# -- expression functions, until workflows.expressions provides the service's own ---------

_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


def _working_days_after(start: str | datetime, n: int) -> str:
    moment = start if isinstance(start, datetime) else datetime.fromisoformat(start)
    while n > 0:
        moment += timedelta(days=1)
        n -= moment.weekday() < 5 and moment.date() not in _BANK_HOLIDAYS
    return moment.astimezone(UTC).isoformat()


def _add_duration(start: str, duration: str, calendar: str = "clock") -> str:
    """``start`` + an ISO 8601 duration; with working days, whole days skip weekends and bank holidays."""
    delta = isodate.parse_duration(duration)
    if calendar == "working_days":
        start, delta = _working_days_after(start, delta.days), timedelta(seconds=delta.seconds)
    return (datetime.fromisoformat(start) + delta).astimezone(UTC).isoformat()


class _Environment(TaskDataEnvironment):
    """Task data, plain functions, and functions bound to the task data (``sla_due``)."""

    def __init__(self, functions: dict[str, Callable[..., Any]], bound: dict[str, Callable]) -> None:
        super().__init__(functions)
        self._bound = bound

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict | None = None) -> Any:
        bound = {k: functools.partial(f, context) for k, f in self._bound.items()}
        return super().evaluate(expression, context, {**bound, **(external_context or {})})


def _script_engine(context_functions: dict[str, Callable[..., Any]]) -> PythonScriptEngine:
    try:
        from workflows.expressions import make_script_engine
    except ModuleNotFoundError as err:
        if err.name not in ("workflows.expressions", "workflows"):
            raise
        functions = {"now": lambda: clock.now().isoformat(), "add_duration": _add_duration,
                     "working_days_after": _working_days_after}
        return PythonScriptEngine(environment=_Environment(functions, context_functions))
    return make_script_engine(None, context_functions)


# -- definitions: every file of bpmn/ parsed together ------------------------------------


@dataclass(frozen=True)
class _Element:
    name: str
    candidate_groups: str | None
    assignee: str | None
    properties: dict[str, str]
    lane_properties: dict[str, str]


def _properties(element: etree._Element) -> dict[str, str]:
    found = element.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in found}


class _Definitions:
    """A file that fails to parse only fails the processes it holds, when they are started."""

    def __init__(self, bpmn_dir: Path) -> None:
        try:
            from workflows.parser import make_parser
        except ModuleNotFoundError:
            self.parser = CamundaParser(validator=BpmnValidator())
        else:
            self.parser = make_parser(validate=True)
        self.problems: dict[str, str] = {}
        self.elements: dict[tuple[str, str], _Element] = {}
        self.start_events: dict[str, str] = {}
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}
        for path in sorted(bpmn_dir.glob("*.dmn")):
            self._add(path, self.parser.add_dmn_file)
        for path in sorted(bpmn_dir.glob("*.bpmn")):
            if self._add(path, self.parser.add_bpmn_file):
                self._index(path)

    def _add(self, path: Path, add: Callable[[str], None]) -> bool:
        try:
            add(str(path))
        except Exception as err:
            self.problems[path.name] = f"{type(err).__name__}: {err}"
            return False
        return True

    def _index(self, path: Path) -> None:
        for process in etree.parse(str(path)).getroot().xpath("./bpmn:process", namespaces=NS):
            starts = process.xpath("./bpmn:startEvent/@id", namespaces=NS)
            if starts:
                self.start_events[process.get("id")] = starts[0]
            lanes = {(ref.text or "").strip(): _properties(ref.getparent())
                     for ref in process.xpath(".//bpmn:lane/bpmn:flowNodeRef", namespaces=NS)}
            for element in process.iter():
                if isinstance(element.tag, str) and element.get("id"):
                    key = element.get("id")
                    self.elements[(str(path), key)] = _Element(
                        element.get("name") or key, element.get(CAMUNDA + "candidateGroups"),
                        element.get(CAMUNDA + "assignee"), _properties(element), lanes.get(key, {}))

    def specs(self, process: str) -> tuple[Any, dict[str, Any]]:
        if process not in self._specs:
            try:
                spec = self.parser.get_spec(process)
                self._specs[process] = (spec, self.parser.get_subprocess_specs(process))
            except Exception as err:
                raise AssertionError(f"cannot load {process!r}: {err}; files: {self.problems}") from err
        return self._specs[process]

    def element(self, task: Task) -> _Element | None:
        path = str(Path(task.workflow.spec.file).resolve()) if task.workflow.spec.file else ""
        return self.elements.get((path, _bpmn_id(task)))


_DEFINITIONS: dict[tuple, _Definitions] = {}


def definitions(bpmn_dir: Path) -> _Definitions:
    """Parsed once per content of the folder (files and modification times)."""
    files = sorted(bpmn_dir.glob("*.bpmn")) + sorted(bpmn_dir.glob("*.dmn"))
    key = tuple((str(p.resolve()), p.stat().st_mtime_ns) for p in files)
    if key not in _DEFINITIONS:
        _DEFINITIONS.clear()
        _DEFINITIONS[key] = _Definitions(bpmn_dir.resolve())
    return _DEFINITIONS[key]


# -- instances --------------------------------------------------------------------------


@dataclass
class _Instance:
    id: str
    process: str
    workflow: BpmnWorkflow
    business_key: str | None
    history: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: set[str] = field(default_factory=set)
    seen: set[Any] = field(default_factory=set)  # fired timers and reached end events (task ids)
    ends: list[str] = field(default_factory=list)  # end events reached, in order
    status: str = "running"
    error: str | None = None


def _all_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [*workflow.tasks.values(), *(t for s in workflow.subprocesses.values() for t in s.tasks.values())]


def _bpmn_id(task: Task) -> str:
    return getattr(task.task_spec, "bpmn_id", None) or ""


def _timer_due(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    value = value.get("next") if isinstance(value, dict) else value
    if not isinstance(value, str):
        return None
    # a plain datetime: the engine's timer module sees the clock's datetime subclass
    return datetime.fromisoformat(TimerEventDefinition.get_datetime(value).isoformat())


class Driver:
    """Drives process instances as the service will (see DRIVER_CONTRACT.md)."""

    def __init__(self, repo: Path = REPO) -> None:
        self.now: datetime = CLOCK_START
        self.forms_dir = repo / "forms"
        self.defs = definitions(repo / "bpmn")
        self.slas: dict[str, dict[str, Any]] = {"default": DEFAULT_SLA}
        self._instances: dict[str, _Instance] = {}
        self._ids = itertools.count(1)
        self._breaches: Counter[tuple[str, str]] = Counter()

    # -- the contract ---------------------------------------------------------------------

    def start(self, process: str, variables: dict, business_key: str | None = None,
              actor: str = "manager1") -> str:
        spec, subprocess_specs = self.defs.specs(process)
        start_event = self.defs.start_events.get(process, "")
        form = self._form(process, start_event)
        self._validate(form, variables)
        variables = copy.deepcopy(variables)
        if form is not None and "received_at" in form.get("properties", {}):
            variables.setdefault("received_at", self.now.isoformat())
        with clock.at(self.now):
            engine = _script_engine({"sla_due": self._sla_due})
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
            workflow.task_tree.data.update(variables)
            inst = _Instance(f"{process}-{next(self._ids)}", process, workflow, business_key)
            self._instances[inst.id] = inst
            self._record(inst, "instance_started", start_event, actor=actor, data={"variables": variables})
            self._run(inst, workflow.do_engine_steps)
        return inst.id

    def tasks(self, instance_id: str) -> list[dict]:
        inst = self._get(instance_id)
        return [self._describe(inst, t) for t in self._open(inst)]

    def task(self, instance_id: str, activity_id: str) -> dict:
        inst = self._get(instance_id)
        return self._describe(inst, self._open_task(inst, activity_id))

    def complete(self, instance_id: str, activity_id: str, data: dict, actor: str) -> None:
        inst = self._get(instance_id)
        task = self._open_task(inst, activity_id)
        about, role = self._describe(inst, task), USERS.get(actor)
        assignee = about["assignee"]
        allowed = (actor == assignee or role == "manager") if assignee else role == about["role"]
        if not allowed:
            raise PermissionError(f"{actor} ({role}) may not complete {activity_id} of {instance_id}")
        self._validate(about["form"], data)
        with clock.at(self.now):
            task.data.update(copy.deepcopy(data))
            task.run()
            inst.open_tasks.discard(str(task.id))
            self._record(inst, "task_completed", activity_id, str(task.id), actor, {"data": data})
            self._run(inst, inst.workflow.do_engine_steps)

    def deadlines(self, instance_id: str) -> list[dict]:
        found = []
        for task in self._timers(self._get(instance_id)):
            milestone = self._property(task, "sla_milestone")
            found.append({"activity_id": _bpmn_id(task), "kind": "sla" if milestone else "timer",
                          "milestone": milestone, "due_at": _timer_due(task)})
        never = datetime.max.replace(tzinfo=UTC)
        return sorted(found, key=lambda d: (d["due_at"] or never, d["activity_id"]))

    def advance_clock(self, to: datetime) -> None:
        while True:
            pending = [(due, inst.id, str(task.id)) for inst in self._instances.values()
                       if inst.status != "error" for task in self._timers(inst)
                       if (due := _timer_due(task)) is not None and due <= to]
            if not pending:
                break
            due, instance_id, task_id = min(pending)
            inst = self._get(instance_id)
            self.now = max(self.now, due)
            with clock.at(max(self.now, due + _TICK)):
                self._run(inst, lambda w=inst.workflow: (w.refresh_timers(), w.do_engine_steps()))
            if any(str(t.id) == task_id and _timer_due(t) == due for t in self._timers(inst)):
                raise AssertionError(f"timer {task_id} due {due} in {instance_id} did not fire")
        self.now = max(self.now, to)

    def send_message(self, name: str, business_key: str, payload: dict) -> list[str]:
        delivered = []
        for inst in list(self._instances.values()):
            waiting = [t for t in inst.workflow.event_manager.tasks.values()
                       if isinstance(t.task_spec.event_definition, MessageEventDefinition)
                       and t.task_spec.event_definition.name == name]
            if inst.business_key != business_key or inst.status not in ("running", "waiting") or not waiting:
                continue
            # workflows.parser reads plain BPMN message events: the payload is merged into the variables
            event = BpmnEvent(waiting[0].task_spec.event_definition, payload=copy.deepcopy(payload))
            with clock.at(self.now):
                data = {"name": name, "payload": payload}
                self._record(inst, "message_received", _bpmn_id(waiting[0]), data=data)
                self._run(inst, lambda w=inst.workflow, e=event: (w.catch(e), w.do_engine_steps()))
            delivered.append(inst.id)
        return delivered

    def instance(self, instance_id: str) -> dict:
        inst = self._get(instance_id)
        end_state = inst.ends[-1] if inst.status == "completed" and inst.ends else None
        return {"id": inst.id, "process": inst.process, "business_key": inst.business_key,
                "status": inst.status, "end_state": end_state, "stage": self._stage(inst),
                "variables": self._variables(inst), "error": inst.error}

    def history_types(self, instance_id: str) -> list[str]:
        return [event["type"] for event in self._get(instance_id).history]

    def instances(self, process: str) -> list[str]:
        return [i.id for i in self._instances.values() if i.process == process]

    # -- machinery ------------------------------------------------------------------------

    def _get(self, instance_id: str) -> _Instance:
        assert instance_id in self._instances, f"no instance {instance_id}"
        return self._instances[instance_id]

    def _form(self, process: str, element_id: str) -> dict[str, Any] | None:
        path = self.forms_dir / process / f"{element_id}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @staticmethod
    def _validate(form: dict[str, Any] | None, data: Any) -> None:
        errors = form_errors(form, data) if form is not None else {}
        if errors:
            raise FormInvalid(errors)

    def _property(self, task: Task, name: str) -> str | None:
        element = self.defs.element(task)
        return element.properties.get(name) if element else None

    def _timers(self, inst: _Instance) -> list[Task]:
        return [t for t in inst.workflow.event_manager.tasks.values()
                if isinstance(t.task_spec.event_definition, TimerEventDefinition)]

    def _open(self, inst: _Instance) -> list[Task]:
        ready = [t for t in _all_tasks(inst.workflow)
                 if isinstance(t.task_spec, UserTask) and t.has_state(TaskState.READY)]
        return sorted(ready, key=lambda t: (_bpmn_id(t), str(t.id)))

    def _open_task(self, inst: _Instance, activity_id: str) -> Task:
        found = [t for t in self._open(inst) if _bpmn_id(t) == activity_id]
        assert len(found) == 1, f"expected one open {activity_id!r} in {inst.id}: {self._open(inst)}"
        return found[0]

    def _describe(self, inst: _Instance, task: Task) -> dict:
        element = self.defs.element(task)
        role = ((element.candidate_groups if element else None) or task.task_spec.lane or "").strip().lower()
        assignee = element.assignee if element else None
        if assignee and assignee.startswith("${") and assignee.endswith("}"):
            assignee = task.data.get(assignee[2:-1]) or None
        return {"id": str(task.id), "activity_id": _bpmn_id(task), "name": element.name if element else "",
                "role": role, "assignee": assignee, "form": self._form(inst.process, _bpmn_id(task))}

    def _sla_due(self, context: dict[str, Any], milestone: str) -> str:
        sla = self.slas.get(context.get("sla_key") or "default", self.slas["default"])
        target = sla["urgent"].get(milestone) if context.get("urgency") == "urgent" else None
        start = context.get("received_at") or context.get("breached_at") or self.now.isoformat()
        return _add_duration(start, target or sla["targets"][milestone], sla["calendar"])

    def _record(self, inst: _Instance, kind: str, activity_id: str | None = None, task_id: str | None = None,
                actor: str | None = None, data: dict | None = None) -> None:
        inst.history.append({"seq": len(inst.history) + 1, "at": self.now.isoformat(), "type": kind,
                             "actor": actor, "activity_id": activity_id, "task_id": task_id,
                             "data": copy.deepcopy(data or {})})

    def _run(self, inst: _Instance, step: Callable[[], Any]) -> None:
        """An engine step, then what it changed; a failing expression puts the instance in error."""
        try:
            step()
        except Exception as err:
            inst.status, inst.error = "error", f"{type(err).__name__}: {err}"
            self._record(inst, "instance_error", data={"message": inst.error})
            return
        self._sync(inst)

    def _sync(self, inst: _Instance) -> None:
        for task in _all_tasks(inst.workflow):
            definition = getattr(task.task_spec, "event_definition", None)
            if (isinstance(definition, TimerEventDefinition) and task.id not in inst.seen
                    and task.has_state(TaskState.READY | TaskState.COMPLETED)):
                inst.seen.add(task.id)
                self._timer_fired(inst, task)
        current = {str(t.id): t for t in self._open(inst)}
        for task_id in sorted(inst.open_tasks - current.keys()):
            self._record(inst, "task_cancelled", task_id=task_id)
        for task_id, task in current.items():
            if task_id not in inst.open_tasks:
                assignee = self._describe(inst, task)["assignee"]
                self._record(inst, "task_ready", _bpmn_id(task), task_id, data={"assignee": assignee})
        inst.open_tasks = set(current)
        ends = [t for t in inst.workflow.tasks.values() if isinstance(t.task_spec, EndEvent)
                and t.has_state(TaskState.COMPLETED) and t.id not in inst.seen]
        for task in sorted(ends, key=lambda t: t.last_state_change):
            inst.seen.add(task.id)
            inst.ends.append(_bpmn_id(task))
        if not inst.workflow.is_completed():
            inst.status = "running" if current else "waiting"
        elif inst.status != "completed":
            inst.status = "completed"
            end_state = inst.ends[-1] if inst.ends else None
            self._record(inst, "instance_completed", end_state, data={"end_state": end_state})

    def _timer_fired(self, inst: _Instance, task: Task) -> None:
        due = _timer_due(task) or self.now
        self._record(inst, "timer_fired", _bpmn_id(task), str(task.id), data={"due_at": due.isoformat()})
        milestone = self._property(task, "sla_milestone")
        if not milestone:
            return
        sla_key = task.data.get("sla_key") or "default"
        quarter = f"{self.now.year}Q{(self.now.month - 1) // 3 + 1}"
        self._breaches[(sla_key, quarter)] += 1
        variables = {"sla_key": sla_key, "source_instance_id": inst.id, "milestone": milestone,
                     "due_at": due.isoformat(), "breached_at": self.now.isoformat(),
                     "breaches_this_quarter": self._breaches[(sla_key, quarter)],
                     "breach_threshold": self.slas.get(sla_key, self.slas["default"])["breach_threshold"]}
        self._record(inst, "deadline_breached", _bpmn_id(task), str(task.id), data=variables)
        escalation = self.start("sla_escalation", variables, actor="system")
        self._record(inst, "escalation_started", _bpmn_id(task), data={"escalation_id": escalation})

    def _active(self, inst: _Instance) -> list[Task]:
        return [t for t in _all_tasks(inst.workflow) if t.has_state(ACTIVE)]

    def _variables(self, inst: _Instance) -> dict[str, Any]:
        """What the active tasks hold, latest change last; at the end, the result."""
        if inst.workflow.is_completed():
            return copy.deepcopy(dict(inst.workflow.data))
        merged: dict[str, Any] = {}
        for task in sorted(self._active(inst), key=lambda t: t.last_state_change):
            merged.update(task.data)
        merged.pop("data_objects", None)
        return copy.deepcopy(merged)

    def _stage(self, inst: _Instance) -> str | None:
        """The stage of the innermost active element (or its lane) that declares one."""
        if inst.status not in ("running", "waiting"):
            return None
        for task in sorted(self._active(inst), key=lambda t: -t.last_state_change):
            current: Task | None = task
            while current is not None:
                element = self.defs.element(current)
                stage = element and (element.properties.get("stage") or element.lane_properties.get("stage"))
                if stage:
                    return stage
                parent = current.workflow.parent_task_id
                current = inst.workflow.get_task_from_id(parent) if parent is not None else None
        return None
