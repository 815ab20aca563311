"""The import graph has no circles, and each layer imports only what ARCHITECTURE.md lets it."""

from __future__ import annotations

import pytest

from tests.architecture.imports import graph, modules

# layer -> the layers it may import (besides itself and the third-party world)
ALLOWED: dict[str, set[str]] = {
    "workflows": {"workflows"},
    # the restricted expressions: the standard library, SpiffWorkflow, working days and the engine clock only
    "workflows.expressions": {"workflows.calendar", "workflows.clock"},
    "service": set(),  # the package itself: only its docstring
    "service.base": {"workflows"},
    "service.store": {"service.base", "workflows"},
    "service.access": {"service.base", "service.store"},
    "service.cases": {"service.base", "service.store", "service.access", "workflows"},
    "service.scheduler": {"service.base", "service.store", "service.cases", "workflows"},
    # the API's schemas name the history's event types (workflows.history's vocabulary, no engine call)
    "service.http": {"service.base", "service.access", "service.cases", "service.web", "workflows.history"},
    "service.web": {"service.base", "service.access", "service.cases", "service.http", "workflows.calendar"},
    "service.demo": {"service.base", "service.store", "service.access", "service.cases", "service.scheduler"},
    "service.cli": {"service"},  # the entry point wires everything
}
# the few places an entry point wires the store itself: the app factory builds the engine, the unit of work
# and (in a one-worker server) the deadline scheduler; the request context and the web session hold the
# unit of work for a request
WIRING = {
    "service.http.app": {"service.store.db", "service.store.uow", "service.scheduler"},
    "service.http.context": {"service.store.uow"},
    "service.web.session": {"service.store.uow"},
}


def layer_of(module: str) -> str:
    return max((layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")), key=len)


def _within(target: str, allowed: set[str]) -> bool:
    return any(target == a or target.startswith(a + ".") for a in allowed)


def test_the_walker_sees_the_whole_tree() -> None:
    found = modules()
    assert {"workflows.engine", "service.cases.instances", "service.http.app", "service.web.cases"} <= set(
        found
    )
    # imports inside functions count: the app factory imports its blueprints
    assert "service.http.api.tasks" in graph()["service.http.app"]


def test_no_import_circles() -> None:
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                circles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    breaks = []
    for module, targets in graph().items():
        if layer_of(module) != layer:
            continue
        for target in targets:
            if layer_of(target) == layer or _within(target, ALLOWED[layer] | WIRING.get(module, set())):
                continue
            breaks.append(f"{module} imports {target}")
    assert not breaks, "\n".join(sorted(breaks))


def test_workflows_never_imports_service() -> None:
    assert not [
        m for m, t in graph().items() if m.startswith("workflows") and any(x.startswith("service") for x in t)
    ]
