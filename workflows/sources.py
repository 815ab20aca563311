"""The sources of a deployment read from disk: BPMN/DMN files and the JSON Schema forms beside them."""

from __future__ import annotations

import json
from pathlib import Path


def read_directory(
    paths: list[Path], forms_dir: Path | None
) -> tuple[list[tuple[str, bytes]], dict[str, dict]]:
    """Files and forms for ``advocacy-flow deploy``: *.bpmn and *.dmn under each path, forms/<process>/<id>.json."""
    files: list[tuple[str, bytes]] = []
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.suffix.lower() in (".bpmn", ".dmn") and candidate.is_file():
                files.append((candidate.name, candidate.read_bytes()))
    forms: dict[str, dict] = {}
    if forms_dir is not None and forms_dir.is_dir():
        for form in sorted(forms_dir.glob("*/*.json")):
            if form.name.endswith(".cy.json"):
                continue  # a Welsh overlay of a form's texts, not a form
            forms.setdefault(form.parent.name, {})[form.stem] = json.loads(form.read_text("utf-8"))
    return files, forms
