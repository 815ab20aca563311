"""Hostile requests: sizes, schemas, encodings, injection strings; security headers on every answer."""

from __future__ import annotations

import pytest

from tests.security.sec_helpers import problem, start_ok

SQLISH = ["' OR 1=1 --", "B1' OR '1'='1", "x'; DROP TABLE process_instances; --", "%", "_", "B%"]


def test_body_over_the_limit_is_413_problem(deployed):
    limit = deployed.app.config["MAX_CONTENT_LENGTH"]
    big = '{"process": "example_callback", "variables": {"x": "' + "a" * limit + '"}}'
    body = problem(
        deployed.client.post(
            "/api/v1/process-instances",
            data=big,
            content_type="application/json",
            headers=deployed.headers("manager1"),
        ),
        413,
    )
    assert body["title"]
    assert deployed.get("/process-instances", "manager1").get_json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/process-instances",
            {"process": "example_callback", "variables": {}, "is_admin": True},
            "is_admin",
        ),
        ("/messages", {"name": "m", "business_key": "b", "payload": {}, "role": "admin"}, "role"),
        ("/auth/token", {"username": "manager1", "password": "x", "role": "admin"}, "role"),
        ("/process-instances", {"process": "e" * 5000, "variables": {}}, "process"),
        ("/process-instances", {"process": "example_callback", "business_key": "k" * 256}, "business_key"),
        ("/process-instances", {"process": "example_callback", "variables": "not an object"}, "variables"),
        ("/process-instances", {"process": ["example_callback"]}, "process"),
        ("/process-instances", {"process": "example_callback", "version": "1; DROP TABLE x"}, "version"),
    ],
)
def test_strict_schemas(deployed, path, body, field):
    out = problem(deployed.post(path, "manager1", body), 422)
    assert field in out["errors"], out["errors"]


@pytest.mark.parametrize(
    "raw", ['{"process":', "{'process': 'x'}", "[1, 2", "\xff\xfe{}", "NaN", '{"a": 1}}']
)
def test_malformed_json_is_a_problem(deployed, raw):
    r = deployed.client.post(
        "/api/v1/process-instances",
        data=raw,
        content_type="application/json",
        headers=deployed.headers("manager1"),
    )
    assert r.status_code in (400, 422)
    problem(r, r.status_code)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
    ],
)
def test_wrong_content_type_is_415(deployed, content_type):
    r = deployed.client.post(
        "/api/v1/process-instances",
        data=b'{"process": "example_callback"}',
        content_type=content_type,
        headers=deployed.headers("manager1"),
    )
    problem(r, 415)
    r = deployed.client.post(
        "/api/v1/process-definitions",
        data=b"{}",
        content_type="application/json",
        headers=deployed.headers("admin1"),
    )
    problem(r, 415)


def test_unicode_and_long_strings_round_trip(deployed):
    text = "Zoë 👩🏽‍⚕️ Ω \u202e reversed 日本語 " * 40
    inst = start_ok(deployed, business_key="ünïcødé-键")
    task = inst["active_tasks"][0]
    too_long = {"called_at": "2026-01-05T09:00:00+00:00", "documents_needed": False, "call_notes": "x" * 2001}
    out = problem(deployed.post(f"/tasks/{task['id']}/complete", "manager1", {"data": too_long}), 422)
    assert list(out["errors"]) == ["call_notes"]
    data = {**too_long, "call_notes": text}
    assert deployed.post(f"/tasks/{task['id']}/complete", "manager1", {"data": data}).status_code == 200
    seen = deployed.get(f"/process-instances/{inst['id']}", "manager1").get_json()
    assert seen["business_key"] == "ünïcødé-键" and seen["variables"]["call_notes"] == text
    found = deployed.get("/process-instances?business_key=ünïcødé-键", "manager1").get_json()
    assert [i["id"] for i in found["items"]] == [inst["id"]]


@pytest.mark.parametrize(
    "path",
    [
        "/process-definitions/a%00b",
        "/process-definitions/%00/xml",
        "/process-instances/%00",
        "/tasks/%00/claim",
        "/slas/%00",
        "/users/%00/deactivate",
    ],
)
def test_nul_in_path_is_404(deployed, path):
    user = "admin1" if "users" in path else "manager1"
    method = "POST" if path.endswith(("claim", "deactivate")) else "GET"
    problem(deployed.client.open(f"/api/v1{path}", method=method, headers=deployed.headers(user)), 404)


def test_nul_in_query_and_body_is_422(deployed):
    out = problem(deployed.get("/process-instances?business_key=a%00b", "manager1"), 422)
    assert out["errors"] == {"business_key": ["must not contain NUL characters"]}
    out = problem(
        deployed.post(
            "/process-instances",
            "manager1",
            {"process": "example_callback", "variables": {"caller_ref": "a\x00b"}},
        ),
        422,
    )
    assert out["errors"] == {"variables.caller_ref": ["must not contain NUL characters"]}
    problem(
        deployed.client.post("/api/v1/auth/token", json={"username": "manager1\x00", "password": "x"}), 422
    )


def test_sql_in_filters_is_just_a_string(deployed):
    start_ok(deployed, business_key="B1")
    start_ok(deployed, business_key="B2")
    all_ = deployed.get("/process-instances", "manager1").get_json()
    assert all_["total"] == 2
    for text in SQLISH:
        for query in (f"business_key={text}", f"process={text}", f"stage={text}"):
            r = deployed.client.get(
                "/api/v1/process-instances",
                query_string=dict([query.split("=", 1)]),
                headers=deployed.headers("manager1"),
            )
            assert r.status_code == 200, (query, r.get_json())
            assert r.get_json() == {"items": [], "total": 0}, query
        r = deployed.client.get(
            "/api/v1/tasks", query_string={"process": text}, headers=deployed.headers("manager1")
        )
        assert r.get_json()["total"] == 0
    r = deployed.client.get(
        "/api/v1/process-instances", query_string={"business_key": "B1"}, headers=deployed.headers("manager1")
    )
    assert r.get_json()["total"] == 1
    problem(
        deployed.client.post(
            "/api/v1/auth/token", json={"username": "' OR 1=1 --", "password": "' OR 1=1 --"}
        ),
        401,
    )


def _assert_headers(response, *, api: bool = True):
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["Cache-Control"] == "no-store"
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    if api:
        assert csp.startswith("default-src 'none'")
    assert "Server" not in h or "Werkzeug" not in h.get("Server", "")


def test_security_headers_on_every_kind_of_answer(deployed):
    s = deployed
    inst = start_ok(s)
    answers = [
        s.client.get("/api/v1/health"),
        s.client.get("/api/v1/openapi.json"),
        s.get("/process-definitions/example_callback/xml", "manager1"),
        s.get(f"/process-instances/{inst['id']}", "manager1"),
        s.client.get("/api/v1/tasks"),  # 401
        s.get("/users", "manager1"),  # 403
        s.get("/process-instances/nope", "manager1"),  # 404
        s.client.get("/api/v1/no-such-endpoint"),  # 404 from routing
        s.client.delete("/api/v1/tasks"),  # 405
        s.post("/process-instances", "manager1", {"bad": 1}),  # 422
        s.client.post("/api/v1/auth/token", data="x", content_type="text/plain"),  # 415
        s.client.get("/not-the-api"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 401, 403, 404, 404, 405, 422, 415, 404]
    for r in answers:
        _assert_headers(r)
    for r in answers[4:]:
        problem(r, r.status_code)


def test_https_answers_carry_hsts(service):
    r = service.client.get("/api/v1/health", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in service.client.get("/api/v1/health").headers
