"""Use cases for process definitions: deploy, list, read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from service.base.problems import Invalid, NotFound
from service.cases.notification_templates import TEMPLATES
from service.store.models import ProcessDefinition
from workflows.deployment import compile_deployment
from workflows.model import DeploymentInvalid, ProcessModel
from workflows.sources import read_directory as read_directory  # re-exported: deploy reads its files here


@dataclass
class Deployed:
    definition: ProcessDefinition
    created: bool


def deploy(
    session: Session,
    files: list[tuple[str, bytes | str]],
    forms: dict[str, dict[str, Any]] | None,
    actor: str | None,
    *,
    strict_forms: bool = True,
) -> list[Deployed]:
    """Validate and store a deployment; each process gets a new version only if its content changed.

    ``strict_forms=False`` (the command line, which reads all of forms/) ignores forms of other processes.
    """
    try:
        models = compile_deployment(files, forms, strict_forms=strict_forms, templates=TEMPLATES)
    except DeploymentInvalid as err:
        raise Invalid(
            f"the deployment has {len(err.problems)} problem(s)",
            errors=_errors_by_element(err),
            problems=[p.to_json() for p in err.problems],
        ) from None
    now = datetime.now(UTC)
    results = []
    for model in models:
        checksum = model.checksum
        latest = latest_definition(session, model.key)
        if latest is not None and latest.checksum == checksum:
            results.append(Deployed(latest, created=False))
            continue
        definition = ProcessDefinition(
            key=model.key,
            version=(latest.version + 1) if latest else 1,
            name=model.name,
            checksum=checksum,
            model=model.to_json(),
            deployed_at=now,
            deployed_by=actor,
        )
        session.add(definition)
        session.flush()
        results.append(Deployed(definition, created=True))
    return results


def _errors_by_element(err: DeploymentInvalid) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in err.problems:
        where = problem.element_id or problem.file or "deployment"
        text = problem.message if problem.line is None else f"{problem.message} (line {problem.line})"
        errors.setdefault(where, []).append(text)
    return errors


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(_LATEST, {"_key": key}).first()


_LATEST = (  # built once: every start runs it
    select(ProcessDefinition)
    .where(ProcessDefinition.key == bindparam("_key"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def get_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    if version is None:
        found = latest_definition(session, key)
    else:
        found = session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        ).first()
    if found is None:
        raise NotFound(f"no process definition '{key}'" + (f" version {version}" if version else ""))
    return found


def list_latest(session: Session, limit: int, offset: int) -> tuple[list[ProcessDefinition], int]:
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    query = select(ProcessDefinition).join(
        latest, (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version)
    )
    total = session.scalar(select(func.count()).select_from(latest)) or 0
    items = session.scalars(query.order_by(ProcessDefinition.key).limit(limit).offset(offset)).all()
    return list(items), total


_models: dict[tuple[int, str], ProcessModel] = {}


def model_of(definition: ProcessDefinition) -> ProcessModel:
    """The process model of a stored definition.

    Cached by id and checksum (a definition never changes once stored), so a step reads the
    large ``model`` column (deferred) only the first time a process sees the definition.
    """
    key = (definition.id, definition.checksum)
    cached = _models.get(key)
    if cached is None:
        cached = ProcessModel.from_json(definition.model)
        _models[key] = cached
    return cached


def model_by_id(session: Session, definition_id: int, checksum: str) -> ProcessModel:
    """``model_of`` when the caller already knows the definition's id and checksum: no query on a hit."""
    cached = _models.get((definition_id, checksum))
    if cached is not None:
        return cached
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:  # pragma: no cover - the instance row refers to it
        raise NotFound(f"no process definition {definition_id}")
    return model_of(definition)


def bpmn_xml(definition: ProcessDefinition) -> str:
    model = model_of(definition)
    for name, text in model.sources.items():
        if f'id="{model.key}"' in text and name.lower().endswith(".bpmn"):
            return text
    return next(iter(model.sources.values()))
