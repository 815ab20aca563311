"""The return's second-edition sections, figure by figure against what was entered, on both databases.

Safeguarding (each concern), complaints (by THE RULE of ``complaints.complaint_sla_key``), equality,
ended early, Welsh-medium, rights upheld and voice heard by instruction; what a commissioner sees of
each; the CSV rows; and the rule's Python and SQL forms agreeing.
"""

from __future__ import annotations

import csv
import io

import pytest

from service.cases.reports import complaints, vocabulary
from service.cases.reports.quarterly import compute_return, to_csv
from service.cases.reports.suppression import suppress
from service.store.models import Sla
from tests.reports import additions

URL = "/reports/quarterly?sla={sla}&quarter=2026Q1"
SECTIONS = ("safeguarding", "complaints", "equality", "ended_early", "welsh_medium")


def _sections(body: dict) -> dict:
    return {
        **{k: body[k] for k in SECTIONS},
        "rights_upheld": body["outcomes"]["rights_upheld"],
        "voice_heard_rate": body["voice_heard_rate"],
        "stories": body["stories"],
    }


def test_every_new_figure_for_each_role(casework):
    ids = additions.build(casework)
    s = casework.s
    for user in ("manager1", "auditor1"):
        r = s.get(URL.format(sla="north"), user)
        assert r.status_code == 200, r.get_json()
        assert _sections(r.get_json()) == additions.EXPECTED, user
    r = s.get(URL.format(sla="north"), "commissioner1")
    assert r.status_code == 200
    shown = r.get_json()
    assert _sections(shown) == additions.EXPECTED_COMMISSIONER
    # a commissioner reading equality figures of fewer than 5 people sees "<5", never the number
    assert shown["equality"]["age_band"]["25_34"] == "<5" and shown["equality"]["sex"]["male"] == "<5"
    assert shown["equality"]["sex"]["female"] == 6 and shown["equality"]["age_band"]["under_18"] == 0
    for user in ("advocate1", "admin1"):
        assert s.get(URL.format(sla="north"), user).status_code == 403

    # The real path wrote what the figures read: four decision tasks on S1, one still open.
    tasks = s.get(f"/tasks?instance={ids['s1']}", "manager1").get_json()["items"]
    assert [t["activity_id"] for t in tasks].count("safeguarding_decision") == 1
    s2 = s.get(f"/process-instances/{ids['s2']}", "manager1").get_json()
    assert s2["end_state"] == "closed" and s2["variables"]["rights_upheld"] == "partly"
    assert "voice_heard" not in s2["variables"]
    s3 = s.get(f"/process-instances/{ids['s3']}", "manager1").get_json()
    assert (s3["end_state"], s3["variables"]["end_reason"]) == ("ended_early", "person_declined")
    s4 = s.get(f"/process-instances/{ids['s4']}", "manager1").get_json()
    assert (s4["status"], s4["variables"]["end_reason"]) == ("cancelled", "duplicate")


def test_complaints_follow_the_referral_they_name(casework):
    ids = additions.build(casework)
    s = casework.s
    south = s.get(URL.format(sla="south"), "manager1").get_json()["complaints"]
    # C1 names a south referral: counted in south's return, still in progress (acknowledgement pending)
    assert south["received"] == 1 and south["by_outcome"]["in_progress"] == 1
    assert south["acknowledged_in_time"] == 0
    default = s.get(URL.format(sla="default"), "manager1").get_json()["complaints"]
    assert default["received"] == additions.DEFAULT_COMPLAINTS
    assert default["by_outcome"]["upheld"] == 1 and default["by_outcome"]["withdrawn"] == 3
    q2 = s.get("/reports/quarterly?sla=north&quarter=2026Q2", "manager1").get_json()["complaints"]
    assert q2["received"] == 1 and q2["by_outcome"]["upheld"] == 1  # its own received_at's quarter

    def rule(session):
        out = {}
        for key in ("c1", "c2"):
            instance = session.get(type_of_instance(), ids[key])
            out[key] = complaints.complaint_sla_key(session, instance.variables)
        out["none"] = complaints.complaint_sla_key(session, {})
        out["unknown"] = complaints.complaint_sla_key(session, {"case_ref": "NO-SUCH-CASE"})
        out["no_sla"] = complaints.complaint_sla_key(session, {"case_ref": "REF-DEFAULT-1"})
        out["own"] = complaints.complaint_sla_key(session, {"sla_key": "north"})
        return out

    assert casework.db.read(rule) == {
        "c1": "south",
        "c2": "north",
        "none": "default",
        "unknown": "default",
        "no_sla": "default",
        "own": "default",
    }


def type_of_instance():
    from service.store.models import ProcessInstance

    return ProcessInstance


def test_the_rule_in_sql_is_the_rule_in_python(casework):
    """Every complaint's SLA by ``sla_key_expression`` (what the return counts) is ``complaint_sla_key``'s."""
    additions.build(casework)
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    def both(session):
        complaint = aliased(type_of_instance())
        rows = session.execute(
            select(complaint.variables, complaints.sla_key_expression(session, complaint)).where(
                complaint.process_key == "complaint"
            )
        ).all()
        return [(complaints.complaint_sla_key(session, variables), key) for variables, key in rows]

    pairs = casework.db.read(both)
    assert len(pairs) == 11
    assert all(python == sql for python, sql in pairs), pairs
    assert sorted(python for python, _ in pairs).count("north") == 6  # five of Q1, one of Q2


def test_sizes_carry_everything_suppression_needs(casework):
    additions.build(casework)

    def compute(session):
        return compute_return(session, session.get(Sla, "north"), "2026Q1", stories=50)

    report, sizes = casework.db.read(compute)
    assert sizes["closed_by_advocacy_type"] == {
        "care_act": 5,
        "ipa_wales": 0,
        "imca": 7,
        "imha": 0,
        "generic": 1,
    }
    assert (sizes["closed"], sizes["instructed_closed"], sizes["non_instructed_closed"]) == (13, 6, 7)
    # suppress depends on (report, sizes) alone: what a commissioner reads over HTTP
    shown = casework.s.get(URL.format(sla="north"), "commissioner1").get_json()
    assert "as_of" in shown, "every return says when it was computed"
    assert suppress(report, sizes) == {k: v for k, v in shown.items() if k not in ("as_of", "stale")}
    # with the type's closed count under 5, the story's advocacy type goes; with no sizes, every rate
    fewer = {**sizes, "closed_by_advocacy_type": {**sizes["closed_by_advocacy_type"], "care_act": 4}}
    assert [x["advocacy_type"] for x in suppress(report, fewer)["stories"]] == ["imca", None, None]
    bare = suppress(report, {})
    assert bare["voice_heard_rate"] is None and bare["outcomes"]["rights_upheld"] == dict.fromkeys(
        ("yes", "partly", "no")
    )
    assert {x["advocacy_type"] for x in bare["stories"]} == {None}


def test_voice_heard_rate_leaves_non_instructed_cases_out(casework):
    """Closed non-instructed cases with voice_heard true (rows) do not lift the rate; rights_upheld counts them."""
    for i in range(5):
        casework.insert_referral(
            f"2026-02-{2 + i:02d}T09:00:00+00:00",
            additions._bulk("imca", instruction="non_instructed", voice_heard=True, rights_upheld="yes"),
            status="completed",
            end_state="closed",
        )
    for i in range(5):
        casework.insert_referral(
            f"2026-03-{2 + i:02d}T09:00:00+00:00",
            additions._bulk("care_act", instruction="instructed", voice_heard=i == 0),
            status="completed",
            end_state="closed",
        )
    body = casework.s.get(URL.format(sla="north"), "manager1").get_json()
    assert body["voice_heard_rate"] == 20.0  # 1 of 5 instructed, not 6 of 10
    assert body["outcomes"]["rights_upheld"] == {"yes": 100.0, "partly": 0.0, "no": 0.0}
    shown = casework.s.get(URL.format(sla="north"), "commissioner1").get_json()
    assert shown["voice_heard_rate"] == 20.0 and shown["outcomes"]["rights_upheld"]["yes"] == 100.0


@pytest.mark.parametrize("n", [4, 5])
def test_rights_upheld_over_fewer_than_five_is_hidden(casework, n):
    for i in range(n):
        casework.insert_referral(
            f"2026-02-{2 + i:02d}T09:00:00+00:00",
            additions._bulk(
                "imca", instruction="non_instructed", rights_upheld="no", communication_needs=["bsl"]
            ),
            status="completed",
            end_state="closed",
        )
    shown = casework.s.get(URL.format(sla="north"), "commissioner1").get_json()
    exact = casework.s.get(URL.format(sla="north"), "manager1").get_json()
    assert (
        exact["outcomes"]["rights_upheld"]["no"] == 100.0
        and exact["equality"]["communication_needs"]["bsl"] == n
    )
    if n == 4:
        assert shown["outcomes"]["rights_upheld"] == {"yes": None, "partly": None, "no": None}
        assert shown["equality"]["communication_needs"]["bsl"] == "<5"
    else:
        assert shown["outcomes"]["rights_upheld"]["no"] == 100.0
        assert shown["equality"]["communication_needs"]["bsl"] == 5


def test_csv_rows_of_the_new_sections(casework):
    additions.build(casework)
    s = casework.s
    for user, expected in (
        ("manager1", additions.EXPECTED),
        ("commissioner1", additions.EXPECTED_COMMISSIONER),
    ):
        r = s.get(URL.format(sla="north") + "&format=csv", user)
        assert r.status_code == 200 and r.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
        figures = dict(rows[1:])
        assert len(figures) == len(rows) - 1
        assert figures["safeguarding.concerns"] == "7"
        assert figures["complaints.by_outcome.upheld"] == str(expected["complaints"]["by_outcome"]["upheld"])
        assert figures["equality.age_band.25_34"] == str(expected["equality"]["age_band"]["25_34"])
        assert figures["equality.communication_needs.not_recorded"] == "15"
        assert figures["ended_early.moved_out_of_area"] == "5"
        assert figures["welsh_medium.provided"] == str(expected["welsh_medium"]["provided"])
        assert figures["outcomes.rights_upheld.yes"] == "42.9"
        assert figures["stories.2.advocacy_type"] == ("generic" if user == "manager1" else "")
        for section in SECTIONS:
            assert any(name.startswith(section + ".") for name in figures), section
    welsh = s.client.get(
        "/api/v1" + URL.format(sla="north") + "&format=csv",
        headers={**s.headers("manager1"), "Accept-Language": "cy"},
    )
    assert welsh.get_data(as_text=True).splitlines()[0] == "ffigur,gwerth"


def test_every_key_of_the_return_has_an_english_and_a_welsh_label(casework):
    additions.build(casework)
    body = casework.s.get(URL.format(sla="north"), "manager1").get_json()
    english, welsh = vocabulary.labels("en"), vocabulary.labels("cy")
    keys: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                keys.add(key)
                walk(inner)

    walk({k: body[k] for k in (*SECTIONS, "outcomes")})
    keys.add("voice_heard_rate")
    missing = sorted(k for k in keys if k not in english or k not in welsh)
    assert not missing
    assert welsh["safeguarding"] == "Diogelu" and welsh["complaints"] == "Cwynion"
    assert all(welsh[k] != english[k] for k in keys if k not in ("dementia",))
    assert to_csv({"safeguarding": {"concerns": 3}}, "cy").splitlines() == [
        "ffigur,gwerth",
        "safeguarding.concerns,3",
    ]


def test_the_command_line_prints_the_new_sections(casework, database_url):
    import json

    from click.testing import CliRunner

    from service.cli import main

    additions.build(casework)
    env = {"ADVOCACY_FLOW_DATABASE_URL": database_url}
    base = ["report", "quarterly", "--sla", "north", "--quarter", "2026Q1"]
    runner = CliRunner()
    result = runner.invoke(main, base, env=env)
    assert result.exit_code == 0, result.output
    assert _sections(json.loads(result.output)) == additions.EXPECTED
    result = runner.invoke(main, [*base, "--as-role", "commissioner"], env=env)
    assert result.exit_code == 0, result.output
    assert _sections(json.loads(result.output)) == additions.EXPECTED_COMMISSIONER
    result = runner.invoke(main, [*base, "--format", "csv"], env=env)
    assert result.exit_code == 0 and "equality.communication_needs.bsl,2" in result.output.splitlines()
