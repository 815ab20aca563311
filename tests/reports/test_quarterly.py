"""The quarterly return over HTTP, CSV and the command line, figure by figure, on both databases."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from service.cli import main
from tests.reports.quarter import EXPECTED, EXPECTED_COMMISSIONER, build

URL = "/reports/quarterly?sla=north&quarter=2026Q1"


def without_as_of(body: dict) -> dict:
    """The return's figures: without ``as_of`` (when it was computed), which every answer carries."""
    assert "as_of" in body, "every return says when it was computed"
    return {k: v for k, v in body.items() if k not in ("as_of", "stale")}


def _flat(report: dict) -> dict[str, str]:
    """The figures of a report as the CSV writes them: dotted path -> text."""
    out: dict[str, str] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            out[prefix] = "" if value is None else str(value)

    walk("", report)
    return out


def _csv(text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["figure", "value"]
    found = dict(rows[1:])
    assert len(found) == len(rows) - 1, "a figure appears twice"
    assert "as_of" in found, "the CSV says when the return was computed"
    return {k: v for k, v in found.items() if k not in ("as_of", "stale")}


def test_every_figure_over_http_csv_and_cli(casework, database_url):
    ids = build(casework)
    s = casework.s

    # Managers and auditors see exact figures; commissioners the suppressed ones.
    for user in ("manager1", "auditor1"):
        r = s.get(URL, user)
        assert r.status_code == 200, r.get_json()
        assert without_as_of(r.get_json()) == EXPECTED, user
    r = s.get(URL, "commissioner1")
    assert r.status_code == 200
    assert without_as_of(r.get_json()) == EXPECTED_COMMISSIONER

    # CSV: one row per figure, the same figures.
    r = s.get(URL + "&format=csv", "manager1")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    figures = _csv(r.get_data(as_text=True))
    assert figures == _flat(EXPECTED)
    assert figures["referrals.by_source.family"] == "4"
    assert figures["outcomes.informed.no"] == "6.3"
    assert figures["response_times.first_contact.p90_working_hours"] == "51.3"
    assert figures["stories.1.outcome_story"] == "R1 found their voice"
    r = s.get(URL + "&format=csv", "commissioner1")
    figures = _csv(r.get_data(as_text=True))
    assert figures == _flat(EXPECTED_COMMISSIONER)
    assert figures["referrals.by_source.family"] == "<5" and figures["referrals.by_source.self"] == "5"

    # The command line prints the same figures.
    runner = CliRunner()
    env = {"ADVOCACY_FLOW_DATABASE_URL": database_url}
    base = ["report", "quarterly", "--sla", "north", "--quarter", "2026Q1"]
    result = runner.invoke(main, base, env=env)
    assert result.exit_code == 0, result.output
    assert without_as_of(json.loads(result.output)) == EXPECTED
    result = runner.invoke(main, [*base, "--as-role", "commissioner"], env=env)
    assert result.exit_code == 0, result.output
    assert without_as_of(json.loads(result.output)) == EXPECTED_COMMISSIONER
    result = runner.invoke(main, [*base, "--format", "csv"], env=env)
    assert result.exit_code == 0, result.output
    assert _csv(result.output) == _flat(EXPECTED)
    result = runner.invoke(main, ["report", "quarterly", "--sla", "north", "--quarter", "2026Q7"], env=env)
    assert result.exit_code == 2 and "quarter" in result.output

    # The real path: the engine's own rows gave these figures (R1..R5 and their escalations).
    instance = s.get(f"/process-instances/{ids['r1']}", "manager1").get_json()
    assert instance["end_state"] == "closed"
    e2 = s.get(f"/process-instances/{ids['e2']}", "commissioner1").get_json()
    assert e2["end_state"] == "contract_continued"
    deadlines = s.get(f"/deadlines?instance={ids['r2']}", "manager1").get_json()["items"]
    assert {(d["milestone"], d["status"]) for d in deadlines if d["kind"] == "sla"} == {
        ("allocation", "cancelled"),
        ("first_contact", "fired"),
    }


def test_other_quarters_and_slas(casework):
    build(casework)
    s = casework.s
    # The default SLA: referrals without an sla_key and those naming it.
    body = s.get("/reports/quarterly?sla=default&quarter=2026Q1", "manager1").get_json()
    assert body["referrals"]["total"] == 2
    assert body["referrals"]["by_source"] == {
        "self": 0,
        "family": 1,
        "social_worker": 0,
        "health": 0,
        "care_provider": 0,
        "other": 1,
    }
    assert body["eligibility"] == {"eligible": 0, "not_eligible": 0, "pending": 2}
    assert body["response_times"]["first_contact"] == {
        "met": 0,
        "missed": 0,
        "pending": 0,
        "median_working_hours": None,
        "p90_working_hours": None,
    }
    assert body["cases"] == {"open": 2, "closed": 0}
    assert body["voice_heard_rate"] is None and body["outcomes"]["informed"] == {
        "yes": None,
        "partly": None,
        "no": None,
    }
    assert body["stories"] == []
    # South: one referral and its escalation.
    body = s.get("/reports/quarterly?sla=south&quarter=2026Q1", "manager1").get_json()
    assert body["referrals"]["total"] == 1 and body["escalations"]["started"] == 1
    # 2026Q2 holds the referral of 31 March 23:30 UTC (1 April in London); 2025Q4 the one of 31 December.
    q2 = s.get("/reports/quarterly?sla=north&quarter=2026Q2", "manager1").get_json()
    assert (q2["from"], q2["to"], q2["referrals"]["total"]) == ("2026-04-01", "2026-06-30", 1)
    q4 = s.get("/reports/quarterly?sla=north&quarter=2025Q4", "manager1").get_json()
    assert (q4["from"], q4["to"], q4["referrals"]["total"]) == ("2025-10-01", "2025-12-31", 1)
    # At most N stories.
    body = s.get(URL + "&stories=1", "manager1").get_json()
    assert body["stories"] == EXPECTED["stories"][:1]


def test_who_may_ask_and_bad_input(service):
    for user in ("advocate1", "admin1"):
        assert service.get(URL, user).status_code == 403
    assert service.client.get(f"/api/v1{URL}").status_code == 401
    for user in ("commissioner1", "manager1", "auditor1"):
        assert service.get("/reports/quarterly?sla=default&quarter=2026Q1", user).status_code == 200
    for query in (
        "sla=default&quarter=2026Q5",
        "sla=default&quarter=2026-Q1",
        "sla=default",
        "quarter=2026Q1",
        "sla=default&quarter=2026Q1&format=xml",
        "sla=default&quarter=2026Q1&stories=-1",
    ):
        r = service.get(f"/reports/quarterly?{query}", "manager1")
        assert r.status_code == 422, query
        assert r.mimetype == "application/problem+json" and r.get_json()["errors"], query
    r = service.get("/reports/quarterly?sla=nope&quarter=2026Q1", "manager1")
    assert r.status_code == 422 and "sla" in r.get_json()["errors"]
