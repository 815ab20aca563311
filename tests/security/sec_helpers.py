"""Helpers of the security tests (imported as ``tests.security.sec_helpers``)."""

from __future__ import annotations

import json
from typing import Any

from service.base.config import ROOT

PROBLEM_KEYS = {"type", "title", "status", "detail"}
PASSWORD = "correct-horse-battery"  # tests/conftest.py
EXAMPLE_XML = (ROOT / "bpmn" / "example_callback.bpmn").read_text(encoding="utf-8")
CALL_DATA = {"called_at": "2026-01-05T09:00:00+00:00", "call_notes": "rang back", "documents_needed": False}


def problem(response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with ``status`` and no internals; return its body."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:800])
    assert response.mimetype == "application/problem+json", (response.mimetype, text[:200])
    body = json.loads(text)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    for leak in ("Traceback", 'File "', "sqlalchemy", "psycopg", "site-packages"):
        assert leak not in text, text[:800]
    return body


def start(s, user: str = "manager1", business_key: str | None = "B1", **variables: Any):
    body: dict[str, Any] = {
        "process": "example_callback",
        "variables": {"caller_ref": "ABC-1", "priority": "normal", **variables},
    }
    if business_key is not None:
        body["business_key"] = business_key
    return s.post("/process-instances", user, body)


def start_ok(s, **kw: Any) -> dict[str, Any]:
    r = start(s, **kw)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def deploy_xml(s, xml: str | bytes, user: str = "admin1"):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return s.client.post(
        "/api/v1/process-definitions",
        data=data,
        headers={**s.headers(user), "Content-Type": "application/xml"},
    )


def definition_keys(s) -> set[str]:
    r = s.get("/process-definitions?limit=500", "manager1")
    assert r.status_code == 200
    return {d["key"] for d in r.get_json()["items"]}
