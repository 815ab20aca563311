"""Drive a looping diagram round after round through the real Runner, as the service does.

Each step starts from the serialized state of the previous one (the service stores the text and
loads it for the next step).  Shared by tests/unit/test_long_loops.py and bench/long_loops.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.unit import long_loop_diagrams as diagrams
from workflows.deployment import compile_deployment
from workflows.engine import Outcome, Runner

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KINDS = ("PLAIN", "TIMER", "SUBPROCESS", "PARALLEL", "EVENT_SUBPROCESS", "BOUNDARY")


@dataclass
class Round:
    number: int  # 1 for the first
    outcome: Outcome
    size: int  # len of the serialized state
    seconds: float  # the engine time of the round's steps


def rounds(kind: str, count: int) -> Iterator[Round]:
    (model,) = compile_deployment([(f"{kind.lower()}.bpmn", getattr(diagrams, kind))])
    runner = Runner(model)
    out = runner.start({}, "m", T0)
    for number in range(1, count + 1):
        now = T0 + timedelta(hours=number)
        started = time.perf_counter()
        if kind == "TIMER":
            out = runner.fire_timer(out.state_text, out.snapshot.timers[0].task_id, now)
        else:
            if kind == "EVENT_SUBPROCESS" and number % 2500 == 0:  # a concern now and then, triaged
                out = runner.deliver(out.state_text, "concern", {"concern": number}, "m", now)
                triage = next(t for t in out.snapshot.open_tasks if t.activity_id == "triage")
                out = runner.complete(out.state_text, triage.task_id, {"triaged": number}, "m", now)
            if kind == "BOUNDARY" and number % 3 == 0:  # the reminder fires in a third of the rounds
                out = runner.fire_timer(out.state_text, out.snapshot.timers[0].task_id, now)
            step = next(t for t in out.snapshot.open_tasks if t.activity_id == "step")
            out = runner.complete(out.state_text, step.task_id, {"again": True, "round": number}, "m", now)
        yield Round(number, out, len(out.state_text), time.perf_counter() - started)
