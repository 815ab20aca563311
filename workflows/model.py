"""What a deployed process is, as plain data the service can store.

A ``ProcessModel`` is built once at deploy time from the XML (see
``deployment.py``) and stored as JSON beside the definition; the engine
re-parses ``sources`` (cached by checksum) to run it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

ROLES = ("admin", "commissioner", "manager", "advocate", "auditor")
TASK_ROLES = ("admin", "commissioner", "manager", "advocate")

PERMISSIVE_FORM: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
}


@dataclass(frozen=True)
class UserTaskModel:
    activity_id: str
    name: str
    role: str
    assignee: str | None = None  # "${variable}" or a literal username
    records: str | None = None  # "sla": completing it creates or updates the SLA record it describes


@dataclass(frozen=True)
class TimerModel:
    activity_id: str
    name: str
    sla_milestone: str | None = None
    attached_to: str | None = None  # the activity a boundary timer sits on


@dataclass
class ProcessModel:
    key: str
    name: str
    sources: dict[str, str]  # file name -> XML text (the process, the decisions and processes it calls)
    forms: dict[str, dict[str, Any]]  # element id -> JSON Schema
    start_event: str | None
    start_role: str | None = None  # the role of the start event's lane: who may start an instance
    user_tasks: dict[str, UserTaskModel] = field(default_factory=dict)
    timers: dict[str, TimerModel] = field(default_factory=dict)
    stages: dict[str, str] = field(
        default_factory=dict
    )  # element id (subprocess, call activity, lane) -> stage
    lanes: dict[str, str] = field(default_factory=dict)  # flow node id -> lane id
    names: dict[str, str] = field(default_factory=dict)  # element id -> human name
    end_events: list[str] = field(default_factory=list)
    # end event id -> (process key, variable holding the new instance's start variables)
    continuations: dict[str, tuple[str, str]] = field(default_factory=dict)
    # the message name that starts an instance (the start event's ``start_message`` property), if any
    start_message: str | None = None
    # send task id -> the notification template it sends (its own and those of the processes it calls)
    send_tasks: dict[str, str] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        canonical = json.dumps(
            {"key": self.key, "sources": self.sources, "forms": self.forms},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def form(self, element_id: str) -> dict[str, Any]:
        return self.forms.get(element_id, PERMISSIVE_FORM)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessModel:
        data = dict(data)
        data["user_tasks"] = {k: UserTaskModel(**v) for k, v in data.get("user_tasks", {}).items()}
        data["timers"] = {k: TimerModel(**v) for k, v in data.get("timers", {}).items()}
        data["continuations"] = {k: tuple(v) for k, v in data.get("continuations", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deployment, located as precisely as we can."""

    message: str
    file: str | None = None
    element_id: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DeploymentInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
