"""Read the modelling conventions (bpmn/README.md) off a BPMN document.

Everything here works on the lxml tree of one file and reports problems with
the id of the element at fault, so a refused deployment names every mistake.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator

from lxml import etree

from workflows.expressions import check_expression, check_script
from workflows.model import TASK_ROLES, Problem, TimerModel, UserTaskModel

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

_ASSIGNEE = re.compile(r"^(\$\{[A-Za-z][A-Za-z0-9_]*\}|[A-Za-z0-9][A-Za-z0-9_.@-]{0,63})$")
_ACTIVITIES = (
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "serviceTask",
    "manualTask",
    "receiveTask",
    "sendTask",
    "task",
    "callActivity",
    "subProcess",
)
_UNSUPPORTED = ("serviceTask", "complexGateway", "transaction", "adHocSubProcess")
# a send task names one of the service's notification templates: <camunda:property name="notification_template">
TEMPLATE_PROPERTY = "notification_template"
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def properties(element: etree._Element) -> dict[str, str]:
    """The ``camunda:property`` name/value pairs in an element's own extensionElements."""
    found = element.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in found if p.get("name")}


def send_task(
    file: str, task: etree._Element, templates: Collection[str], problems: list[Problem]
) -> str | None:
    """The notification template a ``bpmn:sendTask`` names, or None with the problem recorded.

    Exactly one ``camunda:property`` ``notification_template`` whose value is one of ``templates``; no
    BPMN message (a send task here sends a notification to people, never a message to a process)."""
    task_id = task.get("id")
    found = [
        p.get("value")
        for p in task.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
        if p.get("name") == TEMPLATE_PROPERTY
    ]
    known = ", ".join(sorted(templates)) or "none"
    if task.get("messageRef") is not None or task.find(_q("messageEventDefinition")) is not None:
        problems.append(
            _problem(file, task, f"send task '{task_id}' sends a notification template, not a BPMN message")
        )
        return None
    if len(found) != 1:
        problems.append(
            _problem(
                file,
                task,
                f"send task '{task_id}' must name one notification template with "
                f'<camunda:property name="{TEMPLATE_PROPERTY}" value="..."/> (found {len(found)}; '
                f"templates: {known})",
            )
        )
        return None
    name = found[0] or ""
    if name not in templates or not _TEMPLATE_NAME.match(name):
        shown = f"'{name}'" if _TEMPLATE_NAME.match(name) else repr(name[:40])
        problems.append(
            _problem(
                file,
                task,
                f"send task '{task_id}' names an unknown notification template {shown} (templates: {known})",
            )
        )
        return None
    return name


def _problem(file: str, element: etree._Element, message: str) -> Problem:
    return Problem(message=message, file=file, element_id=element.get("id"), line=element.sourceline)


def lanes_of(process: etree._Element) -> dict[str, etree._Element]:
    """flow node id -> the innermost lane element that holds it."""
    result: dict[str, etree._Element] = {}
    for ref in process.xpath(".//bpmn:lane/bpmn:flowNodeRef", namespaces=NS):
        if ref.text:
            result[ref.text.strip()] = ref.getparent()
    return result


def user_task(
    file: str, task: etree._Element, lanes: dict[str, etree._Element], problems: list[Problem]
) -> UserTaskModel | None:
    task_id = task.get("id")
    groups = task.get(f"{{{CAMUNDA_NS}}}candidateGroups")
    lane = lanes.get(task_id)
    role = (groups or (lane.get("name") if lane is not None else "") or "").strip().lower()
    if role not in TASK_ROLES:
        problems.append(
            _problem(
                file,
                task,
                f"user task '{task_id}' must stand in a lane named for a role, or set "
                f"camunda:candidateGroups, one of {', '.join(TASK_ROLES)} (found '{role or 'none'}')",
            )
        )
        return None
    assignee = task.get(f"{{{CAMUNDA_NS}}}assignee")
    if assignee is not None and not _ASSIGNEE.match(assignee.strip()):
        problems.append(
            _problem(file, task, f"camunda:assignee must be '${{variable}}' or a username, not {assignee!r}")
        )
        assignee = None
    records = properties(task).get("records") or None
    if records not in (None, "sla"):
        problems.append(_problem(file, task, f"unknown record kind {records!r} (only 'sla')"))
        records = None
    return UserTaskModel(
        activity_id=task_id,
        name=task.get("name") or task_id,
        role=role,
        assignee=assignee.strip() if assignee else None,
        records=records,
    )


def timers(process: etree._Element) -> Iterator[tuple[etree._Element, etree._Element]]:
    """(event element, timerEventDefinition) for every timer in the process."""
    for definition in process.iter(_q("timerEventDefinition")):
        yield definition.getparent(), definition


def timer_model(event: etree._Element) -> TimerModel:
    milestone = properties(event).get("sla_milestone") or None
    return TimerModel(
        activity_id=event.get("id"),
        name=event.get("name") or event.get("id"),
        sla_milestone=milestone,
        attached_to=event.get("attachedToRef"),
    )


def check_expressions(file: str, process: etree._Element, problems: list[Problem]) -> None:
    """Every condition, timer and script in the process must be in the restricted language."""
    for cond in process.iter(_q("conditionExpression")):
        flow = cond.getparent()
        for message in check_expression((cond.text or "").strip()):
            problems.append(_problem(file, flow, f"condition: {message}"))
    for event, definition in timers(process):
        texts = [c.text for c in definition if isinstance(c.tag, str)]
        if not texts:
            problems.append(_problem(file, event, "timer has no timeDate, timeDuration or timeCycle"))
        for text in texts:
            for message in check_expression((text or "").strip()):
                problems.append(_problem(file, event, f"timer: {message}"))
    for script_task in process.iter(_q("scriptTask")):
        script = script_task.find(_q("script"))
        source = script.text if script is not None else None
        if not source or not source.strip():
            problems.append(_problem(file, script_task, "script task has no script"))
            continue
        for message in check_script(source):
            problems.append(_problem(file, script_task, f"script: {message}"))


def check_elements(file: str, process: etree._Element, problems: list[Problem]) -> None:
    """Names for people, and only elements this service can run."""
    for tag in _UNSUPPORTED:
        for element in process.iter(_q(tag)):
            problems.append(_problem(file, element, f"{tag} is not supported by this service"))
    for tag in _ACTIVITIES:
        for element in process.iter(_q(tag)):
            if not (element.get("name") or "").strip():
                problems.append(_problem(file, element, f"{tag} '{element.get('id')}' needs a name"))


def check_event_gateways(file: str, process: etree._Element, problems: list[Problem]) -> None:
    """An event-based gateway may wait for one timer at most.

    SpiffWorkflow 3.2 keeps one due time per gateway: every timer after the first (in document
    order) takes the first one's due time, so an earlier second timer would silently fire late.
    """
    by_id = {e.get("id"): e for e in process.iter() if isinstance(e.tag, str) and e.get("id")}
    for gateway in process.iter(_q("eventBasedGateway")):
        targets = [
            by_id.get(flow.get("targetRef"))
            for flow in process.iter(_q("sequenceFlow"))
            if flow.get("sourceRef") == gateway.get("id")
        ]
        timed = [t for t in targets if t is not None and t.find(_q("timerEventDefinition")) is not None]
        if len(timed) > 1:
            names = ", ".join(f"'{t.get('name') or t.get('id')}'" for t in timed)
            problems.append(
                _problem(
                    file,
                    gateway,
                    f"an event-based gateway may wait for one timer at most, not {len(timed)} ({names}): "
                    "the engine would give them all the first one's due time; keep the earliest "
                    "and wait for the others after it",
                )
            )


def _parses(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return True


def dmn_expression_problems(file: str, root: etree._Element) -> list[Problem]:
    """Input expressions and rule entries of every decision table."""
    problems: list[Problem] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local not in ("inputExpression", "inputEntry", "outputEntry"):
            continue
        text_el = next((c for c in element if etree.QName(c).localname == "text"), None)
        text = (text_el.text or "").strip() if text_el is not None else ""
        if text in ("", "-"):
            continue
        if local == "inputEntry":
            candidate = text.replace("?", "dmninputexpr")
            if "dmninputexpr" not in candidate and not _parses(candidate):
                candidate = f"dmninputexpr {text}"  # a comparison with the input left out, e.g. ">= 5"
            messages = check_expression(candidate)
        else:
            messages = check_expression(text)
        owner = element if element.get("id") else element.getparent()
        problems.extend(_problem(file, owner, f"decision {local}: {m}") for m in messages)
    return problems
