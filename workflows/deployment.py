"""Turn a set of BPMN/DMN files and forms into validated process models.

All files of one deployment are parsed together so call activities and
business rule tasks resolve across files.  Every problem found is collected
(unsafe XML, schema errors, convention breaches, expressions outside the
restricted language, SpiffWorkflow's own parse errors, bad forms) and raised
at once as ``DeploymentInvalid``; nothing is returned unless all is well.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from workflows import conventions, xmlsafe
from workflows.model import TASK_ROLES, DeploymentInvalid, Problem, ProcessModel
from workflows.parser import make_parser

BPMN_NS = conventions.BPMN_NS
NS = conventions.NS


@dataclass
class _File:
    name: str
    text: str
    root: etree._Element
    kind: str  # "bpmn" | "dmn"


def _load(name: str, content: bytes | str, problems: list[Problem]) -> _File | None:
    try:
        root = xmlsafe.parse(content)
    except xmlsafe.UnsafeXml as err:
        problems.append(Problem(message=str(err), file=name))
        return None
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    namespace = etree.QName(root).namespace or ""
    if namespace == BPMN_NS and etree.QName(root).localname == "definitions":
        return _File(name, text, root, "bpmn")
    if "DMN" in namespace.upper() and etree.QName(root).localname == "definitions":
        return _File(name, text, root, "dmn")
    problems.append(Problem(message=f"not a BPMN or DMN document (root element {root.tag})", file=name))
    return None


def _schema_problems(file: _File) -> list[Problem]:
    if file.kind == "bpmn":
        schema = make_parser().validator.validator
    else:
        path = DMN_SCHEMAS.get(etree.QName(file.root).namespace)
        if path is None:
            return [Problem(message="unsupported DMN version", file=file.name)]
        schema = _dmn_schema(path)
    if schema.validate(file.root):
        return []
    return [
        Problem(message=f"schema: {error.message}", file=file.name, line=error.line)
        for error in schema.error_log
    ]


@functools.lru_cache(maxsize=8)
def _dmn_schema(path: str) -> etree.XMLSchema:
    return BpmnValidator(path).validator


def _form_problems(process_key: str, forms: dict[str, Any]) -> list[Problem]:
    problems = []
    for element_id, schema in forms.items():
        where = f"forms/{process_key}/{element_id}.json"
        if not isinstance(schema, dict):
            problems.append(
                Problem(message="a form must be a JSON object", file=where, element_id=element_id)
            )
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as err:
            problems.append(
                Problem(message=f"invalid JSON Schema: {err.message}", file=where, element_id=element_id)
            )
    return problems


def _decision_files(dmn_files: list[_File]) -> dict[str, _File]:
    return {
        decision.get("id"): f
        for f in dmn_files
        for decision in f.root.iter()
        if isinstance(decision.tag, str) and etree.QName(decision).localname == "decision"
    }


def _model(
    file: _File,
    process: etree._Element,
    decisions: dict[str, _File],
    bpmn_by_process: dict[str, _File],
    forms: dict[str, Any],
    problems: list[Problem],
    templates: Collection[str],
) -> ProcessModel:
    key = process.get("id")
    lanes = conventions.lanes_of(process)
    user_tasks = {}
    for task in process.iter(conventions._q("userTask")):
        model = conventions.user_task(file.name, task, lanes, problems)
        if model is not None:
            user_tasks[model.activity_id] = model
    conventions.check_expressions(file.name, process, problems)
    conventions.check_elements(file.name, process, problems)
    conventions.check_event_gateways(file.name, process, problems)
    send_tasks = {}
    for task in process.iter(conventions._q("sendTask")):
        template = conventions.send_task(file.name, task, templates, problems)
        if template is not None:
            send_tasks[task.get("id")] = template

    sources = {file.name: file.text}
    for rule_task in process.iter(conventions._q("businessRuleTask")):
        ref = rule_task.get(f"{{{conventions.CAMUNDA_NS}}}decisionRef")
        if ref in decisions:
            sources[decisions[ref].name] = decisions[ref].text
        else:
            problems.append(
                Problem(
                    message=f"decision '{ref}' is not in this deployment",
                    file=file.name,
                    element_id=rule_task.get("id"),
                    line=rule_task.sourceline,
                )
            )
    for call in process.iter(conventions._q("callActivity")):
        called = bpmn_by_process.get(call.get("calledElement") or "")
        if called is not None:
            sources[called.name] = called.text

    stages = {}
    for element in process.iter(
        conventions._q("subProcess"), conventions._q("callActivity"), conventions._q("lane")
    ):
        stage = conventions.properties(element).get("stage")
        if stage:
            stages[element.get("id")] = stage
    names = {
        el.get("id"): el.get("name")
        for el in process.iter()
        if isinstance(el.tag, str) and el.get("id") and el.get("name")
    }
    starts = process.findall(conventions._q("startEvent"))
    start_lane = lanes.get(starts[0].get("id")) if len(starts) == 1 else None
    start_role = (start_lane.get("name") or "").strip().lower() if start_lane is not None else None
    form_owners = set(user_tasks) | {s.get("id") for s in starts}
    for element_id in forms:
        if element_id not in form_owners:
            problems.append(
                Problem(
                    message=f"form '{element_id}' matches no user task or start event of '{key}'",
                    file=f"forms/{key}/{element_id}.json",
                    element_id=element_id,
                )
            )
    ends = [el.get("id") for el in process.findall(conventions._q("endEvent"))]
    continuations = {}
    for end in process.findall(conventions._q("endEvent")):
        props = conventions.properties(end)
        if props.get("continues_as") and props.get("continue_with"):
            continuations[end.get("id")] = (props["continues_as"], props["continue_with"])
    return ProcessModel(
        key=key,
        name=process.get("name") or key,
        sources=sources,
        forms=dict(forms),
        start_event=starts[0].get("id") if len(starts) == 1 else None,
        start_role=start_role if start_role in TASK_ROLES else None,
        user_tasks=user_tasks,
        timers={t.get("id"): conventions.timer_model(t) for t, _ in conventions.timers(process)},
        stages=stages,
        lanes={node: lane.get("id") for node, lane in lanes.items()},
        names=names,
        end_events=ends,
        continuations=continuations,
        start_message=(conventions.properties(starts[0]).get("start_message") or None)
        if len(starts) == 1
        else None,
        send_tasks=send_tasks,
    )


def compile_deployment(
    files: list[tuple[str, bytes | str]],
    forms: dict[str, dict[str, Any]] | None = None,
    *,
    strict_forms: bool = True,
    templates: Collection[str] = (),
) -> list[ProcessModel]:
    """Validate ``files`` (name, content) and ``forms`` (process -> element id -> schema).

    Returns one model per executable process, or raises ``DeploymentInvalid``.  With
    ``strict_forms`` a form for a process or element not in the deployment is a problem.
    ``templates``: the notification templates a send task may name (none: every send task is refused).
    """
    forms = forms or {}
    problems: list[Problem] = []
    if not files:
        raise DeploymentInvalid([Problem(message="no BPMN file in the deployment")])
    loaded = [f for name, content in files if (f := _load(name, content, problems)) is not None]
    names = [f.name for f in loaded]
    for duplicate in {n for n in names if names.count(n) > 1}:
        problems.append(Problem(message="two files with the same name", file=duplicate))
    for f in loaded:
        problems.extend(_schema_problems(f))
        if f.kind == "dmn":
            problems.extend(conventions.dmn_expression_problems(f.name, f.root))
    if problems:
        raise DeploymentInvalid(problems)

    bpmn_files = [f for f in loaded if f.kind == "bpmn"]
    dmn_files = [f for f in loaded if f.kind == "dmn"]
    if not bpmn_files:
        raise DeploymentInvalid([Problem(message="no BPMN file in the deployment")])
    decisions = _decision_files(dmn_files)
    processes = [
        (f, p)
        for f in bpmn_files
        for p in f.root.findall(conventions._q("process"))
        if p.get("isExecutable", "true") == "true"
    ]
    if not processes:
        raise DeploymentInvalid([Problem(message="no executable process in the deployment")])
    bpmn_by_process = {p.get("id"): f for f, p in processes}
    known = set(bpmn_by_process)
    for process_key in forms:
        if strict_forms and process_key not in known:
            problems.append(Problem(message=f"forms given for unknown process '{process_key}'"))
    models = []
    for f, p in processes:
        process_forms = forms.get(p.get("id"), {})
        problems.extend(_form_problems(p.get("id"), process_forms))
        models.append(_model(f, p, decisions, bpmn_by_process, process_forms, problems, templates))
    _called_send_tasks(models, processes)
    if not problems:
        problems.extend(_engine_problems(models))
    if problems:
        raise DeploymentInvalid(problems)
    return models


def _called_send_tasks(models: list[ProcessModel], processes: list[tuple[_File, etree._Element]]) -> None:
    """A process runs the send tasks of the processes it calls (at any depth) as its own."""
    by_key = {m.key: m for m in models}
    calls = {
        p.get("id"): [c.get("calledElement") for c in p.iter(conventions._q("callActivity"))]
        for _, p in processes
    }
    for model in models:
        seen, todo = {model.key}, list(calls.get(model.key, []))
        while todo:
            key = todo.pop()
            if key in seen or key not in by_key:
                continue
            seen.add(key)
            for element, template in by_key[key].send_tasks.items():
                model.send_tasks.setdefault(element, template)
            todo += calls.get(key, [])


def _engine_problems(models: list[ProcessModel]) -> list[Problem]:
    """Let SpiffWorkflow parse each process; it stops at its first error per process."""
    problems = []
    for model in models:
        try:
            build_specs(model.key, tuple(sorted(model.sources.items())))
        except ValidationException as err:
            problems.append(
                Problem(
                    message=str(err).split("\n")[0],
                    file=err.file_name or None,
                    element_id=err.id or None,
                    line=err.line_number if isinstance(err.line_number, int) else None,
                )
            )
        except Exception as err:  # SpiffWorkflow raises assorted errors on odd diagrams
            problems.append(Problem(message=f"{model.key}: {type(err).__name__}: {err}"))
    return problems


@functools.lru_cache(maxsize=128)
def build_specs(
    key: str, sources: tuple[tuple[str, str], ...]
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Parse a process's sources into SpiffWorkflow specs (cached: specs are immutable at run time)."""
    parser = make_parser(validate=False)
    for name, text in sources:
        root = xmlsafe.parse(text)
        if etree.QName(root).namespace == BPMN_NS:
            parser.add_bpmn_xml(root, filename=name)
        else:
            parser.add_dmn_xml(root, filename=name)
    spec = parser.get_spec(key)
    _wire_event_subprocesses(spec)
    return spec, parser.get_subprocess_specs(key)


def _wire_event_subprocesses(spec: BpmnProcessSpec) -> None:
    """Wire each message-started event subprocess as SpiffWorkflow would on its first trigger.

    SpiffWorkflow 3.2 connects such a subprocess to the process's start and end the first time its
    message arrives, changing the spec. The specs are shared by every instance (cached), so that change
    would leak into other instances (whose start would then run the subprocess) and be missing after a
    restart. Done here once, the end is connected and the start is listed as an input only, which is
    what the trigger checks; the start's own outputs stay the process's flow.
    """
    for name in getattr(spec.start, "trigger_specs", []):
        task_spec = spec.task_specs.get(name)
        if task_spec is None:
            continue
        if spec.start.name not in task_spec._inputs:  # the names the trigger checks
            task_spec._inputs.append(spec.start.name)
        if spec.end.name not in task_spec._outputs:
            task_spec.connect(spec.end)


def specs_for(model: ProcessModel) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    return build_specs(model.key, tuple(sorted(model.sources.items())))
