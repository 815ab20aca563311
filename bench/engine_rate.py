"""(1) The raw engine rate, in process, with a JSON serialize/deserialize per step (as the service does).

Two baselines for the same diagram (example_callback: start -> script -> user task call_back
-> gateway -> end, documents_needed False):

- ``runner``: workflows.engine.Runner (what the service calls), state dumped to a JSON string after
  each step and parsed back before the next one;
- ``spiff``: SpiffWorkflow alone (BpmnWorkflow + the project's serializer, JSON string per step),
  i.e. what an independent measurement of the raw engine would do.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from workflows.deployment import compile_deployment, specs_for
from workflows.engine import Runner
from workflows.expressions import make_script_engine
from workflows.parser import SERIALIZER

from .common import BENCH, CALL_BACK_DATA, ROOT

START_VARS = {"caller_ref": "bench-1", "priority": "normal"}


def models() -> dict:
    files = [(p.name, p.read_bytes()) for p in [ROOT / "bpmn" / "example_callback.bpmn"]]
    files += [(p.name, p.read_bytes()) for p in sorted((BENCH / "bpmn").glob("*.bpmn"))]
    forms = {
        "example_callback": {
            p.stem: json.loads(p.read_text())
            for p in (ROOT / "forms" / "example_callback").glob("*.json")
            if "." not in p.stem  # not a translation overlay (<form>.cy.json)
        }
    }
    return {m.key: m for m in compile_deployment(files, forms)}


@dataclass
class Rate:
    cases: int
    seconds: float  # whole cases
    completions: int
    completion_seconds: float  # the complete steps alone

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.seconds

    @property
    def completions_per_s(self) -> float:
        return self.completions / self.completion_seconds


def runner_rate(model, cases: int, seconds: float) -> Rate:
    runner = Runner(model)
    done = 0
    complete_time = 0.0
    begin = time.perf_counter()
    while done < cases and time.perf_counter() - begin < seconds:
        now = datetime.now(UTC)
        outcome = runner.start(dict(START_VARS), "bench", now)
        stored = outcome.state_text  # the JSON text the service stores (serialized once by the Runner)
        task_id = outcome.snapshot.open_tasks[0].task_id
        t0 = time.perf_counter()
        outcome = runner.complete(stored, task_id, dict(CALL_BACK_DATA), "bench", now)  # parsed once
        stored = outcome.state_text
        complete_time += time.perf_counter() - t0
        assert outcome.snapshot.status == "completed", outcome.snapshot.status
        done += 1
    return Rate(done, time.perf_counter() - begin, done, complete_time)


def _dump(workflow: BpmnWorkflow) -> str:
    dct = SERIALIZER.to_dict(workflow)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    return json.dumps(dct, separators=(",", ":"))


def _load(text: str, spec, subs) -> BpmnWorkflow:
    dct = json.loads(text)
    dct["spec"] = spec
    dct["subprocess_specs"] = subs
    workflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = make_script_engine()
    return workflow


def spiff_rate(model, cases: int, seconds: float) -> Rate:
    spec, subs = specs_for(model)
    done = 0
    complete_time = 0.0
    begin = time.perf_counter()
    while done < cases and time.perf_counter() - begin < seconds:
        workflow = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
        workflow.task_tree.data.update(START_VARS)
        workflow.do_engine_steps()
        stored = _dump(workflow)
        t0 = time.perf_counter()
        workflow = _load(stored, spec, subs)
        task = next(t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask))
        task.data.update(CALL_BACK_DATA)
        task.run()
        workflow.do_engine_steps()
        stored = _dump(workflow)
        complete_time += time.perf_counter() - t0
        assert workflow.is_completed()
        done += 1
    return Rate(done, time.perf_counter() - begin, done, complete_time)


def measure(cases: int, seconds: float, batch: int = 20) -> dict[str, Rate]:
    """Both baselines in alternating batches, so load changes on the shared machine hit both alike."""
    model = models()["example_callback"]
    runner_rate(model, 20, 5)  # warm up (spec parse, imports)
    spiff_rate(model, 20, 5)
    totals = {"runner": Rate(0, 0.0, 0, 0.0), "spiff": Rate(0, 0.0, 0, 0.0)}
    begin = time.perf_counter()
    while totals["runner"].cases < cases and time.perf_counter() - begin < 2 * seconds:
        for name, fn in (("runner", runner_rate), ("spiff", spiff_rate)):
            r = fn(model, batch, seconds)
            t = totals[name]
            totals[name] = Rate(
                t.cases + r.cases,
                t.seconds + r.seconds,
                t.completions + r.completions,
                t.completion_seconds + r.completion_seconds,
            )
    return totals
