"""The OpenAPI 3 document: well formed, and it lists the paths of the contract (API.md)."""

from __future__ import annotations

import re

import pytest

BASE = "/api/v1"
CONTRACT = {  # API.md's endpoint table, path -> methods
    "/health": {"get"},
    "/auth/token": {"post"},
    "/process-definitions": {"get", "post"},
    "/process-definitions/{key}": {"get"},
    "/process-definitions/{key}/xml": {"get"},
    "/process-instances": {"get", "post"},
    "/process-instances/{id}": {"get"},
    "/process-instances/{id}/cancel": {"post"},
    "/process-instances/{id}/history": {"get"},
    "/process-instances/{id}/replay": {"get"},
    "/process-instances/{id}/diagram": {"get"},
    "/tasks": {"get"},
    "/tasks/{id}": {"get"},
    "/tasks/{id}/claim": {"post"},
    "/tasks/{id}/complete": {"post"},
    "/tasks/{id}/assign": {"post"},
    "/deadlines": {"get"},
    "/messages": {"post"},
    "/slas": {"get", "post"},
    "/slas/{key}": {"get", "put"},
    "/reports/quarterly": {"get"},
    "/reports/commissioning": {"get"},
    "/reports/supervision": {"get"},
}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture
def spec(service):
    r = service.client.get(f"{BASE}/openapi.json")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    return r.get_json()


def _resolve(spec, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_document_is_openapi_3(spec):
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())
    for ref in _refs(spec):
        _resolve(spec, ref)


def test_every_operation_is_well_formed(spec):
    for path, item in spec["paths"].items():
        assert path.startswith("/"), path
        params = set(re.findall(r"\{([^}]+)\}", path))
        declared_on_path = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert operation.get("responses"), (path, method)
            for code in operation["responses"]:
                assert code == "default" or re.fullmatch(r"[1-5]\d\d", str(code)), (path, method, code)
            declared = declared_on_path | {
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"
            }
            assert params <= declared, (path, method, params - declared)


def test_contract_paths_are_documented(spec):
    documented = {_shape(p): {m for m in item if m in METHODS} for p, item in spec["paths"].items()}
    for path, methods in CONTRACT.items():
        key = _shape(BASE + path)
        assert key in documented, f"{path} is missing from openapi.json"
        assert methods <= documented[key], (path, methods - documented[key])


def test_health_needs_no_token_in_the_document(spec):
    assert spec["paths"][f"{BASE}/health"]["get"].get("security", None) in ([], [{}])
    assert spec["paths"][f"{BASE}/auth/token"]["post"].get("security", None) in ([], [{}])
