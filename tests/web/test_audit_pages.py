"""The auditor's pages: pick an instance, step through its history, verify its chain, download it.

What the page and its JSON steps show must be exactly what the API's ``/replay`` and ``/diagram``
answer, and every view must be recorded in the chain as the API records an auditor's read.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from tests.api.helpers import CALL_DATA, assert_chain, assert_problem, history
from tests.audit.support import every_kind_of_walk, sql, start_callback
from tests.audit.test_tamper import _attacker

DIAGRAM_DATA = re.compile(r'<script type="application/json" id="audit-diagram-data">(.*?)</script>', re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.S)


def _api(s, path: str, user: str = "auditor1"):
    r = s.get(path, user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _page_diagram(page: str) -> dict:
    [data] = DIAGRAM_DATA.findall(page)
    return json.loads(html.unescape(data)) if "&#" in data else json.loads(data)


def _reads(s, instance_id: str) -> list[dict]:
    return [e for e in history(s, instance_id) if e["type"] == "record_read"]


def test_each_step_is_exactly_the_apis_replay_and_diagram(deployed, web):
    s = deployed
    walks = every_kind_of_walk(s)
    auditor = web("auditor1")
    for walk in walks:
        last = history(s, walk.id)[-1]["seq"]
        for seq in range(1, last + 1):
            step = auditor.get(f"/audit/{walk.id}/at?seq={seq}")
            assert step.status_code == 200, auditor.last[:500]
            assert step.mimetype == "application/json"
            body = step.get_json()
            assert body["replay"] == _api(s, f"/process-instances/{walk.id}/replay?seq={seq}")
            api_diagram = _api(s, f"/process-instances/{walk.id}/diagram?seq={seq}")
            assert body["diagram"] == {k: v for k, v in api_diagram.items() if k != "xml"}
            event = history(s, walk.id)[seq - 1]
            assert body["event"]["event"] == event and body["event"]["seq"] == seq
            assert body["announce"].startswith(f"Event {seq} of {body['last_seq']}: ")
            assert body["url"] == f"/audit/{walk.id}?seq={seq}"
        # the page itself, at the first, a middle and the last event
        for seq in sorted({1, (last + 1) // 2, last}):
            page = auditor.get(f"/audit/{walk.id}?seq={seq}")
            assert page.status_code == 200, auditor.last[:500]
            assert _page_diagram(auditor.last) == _api(s, f"/process-instances/{walk.id}/diagram?seq={seq}")
            replayed = _api(s, f"/process-instances/{walk.id}/replay?seq={seq}")
            assert (
                f'value="{seq}"' in auditor.last
                and f'id="state-status">{replayed["status"]}<' in auditor.last
            )
        assert_chain(history(s, walk.id))


def test_the_page_without_seq_shows_the_state_before_the_read_with_every_control(deployed, web):
    s = deployed
    walk = start_callback(s, "PAGE")
    walk.complete("call_back", {**CALL_DATA, "documents_needed": True})
    before = history(s, walk.id)
    auditor = web("auditor1")
    assert auditor.get(f"/audit/{walk.id}").status_code == 200
    page = auditor.last
    last = len(before) + 1  # the page's own read is the last event
    assert _page_diagram(page)["seq"] == len(before)
    assert f'<input type="range" id="seq-range" name="seq" min="1" max="{last}" value="{len(before)}"' in page
    assert '<label for="seq-range">' in page and '<label for="seq-number">' in page
    assert 'id="step-prev"' in page and 'id="step-next"' in page and ">Show</button>" in page
    assert 'role="status" aria-live="polite"' in page
    assert f"Event {len(before)} of {last}: " in page
    assert "your views of this record are themselves recorded" in page.lower()
    assert page.count('<tr data-seq="') == last
    for seq in range(1, last + 1):
        assert f'href="/audit/{walk.id}?seq={seq}"' in page
    assert f'href="/audit/{walk.id}/export.json"' in page and f'href="/audit/{walk.id}/export.csv"' in page
    assert "Verify the chain" in page
    # CSP: script-src 'self' and style-src 'self': no inline scripts, no style attributes
    for attributes in SCRIPT.findall(page):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert "style=" not in page and "onclick" not in page
    assert "script-src 'self'" in auditor.client.get(f"/audit/{walk.id}").headers["Content-Security-Policy"]
    # Opened again, it starts at the case's own last event, not at the auditor's earlier reads.
    again = auditor.get(f"/audit/{walk.id}").get_data(as_text=True)
    assert _page_diagram(again)["seq"] == len(before)
    assert f"Event {len(before)} of {last + 2}: " in again


def test_each_view_is_recorded_as_a_read(deployed, web):
    s = deployed
    walk = start_callback(s, "READS")
    walk.claim("call_back")
    auditor = web("auditor1")
    assert _reads(s, walk.id) == []
    assert auditor.get(f"/audit/{walk.id}?seq=2").status_code == 200
    step = auditor.get(f"/audit/{walk.id}/at?seq=1").get_json()
    auditor.get(f"/audit/{walk.id}/export.json")
    auditor.get(f"/audit/{walk.id}/export.csv")
    reads = _reads(s, walk.id)
    assert [(e["actor"], e["data"]) for e in reads] == [
        ("auditor1", {"what": "history", "seq": 2}),
        ("auditor1", {"what": "replay", "seq": 1}),
        ("auditor1", {"what": "history"}),
        ("auditor1", {"what": "history"}),
    ]
    assert step["recorded"]["event"] == reads[1], "the JSON step hands back the read it recorded"
    assert step["last_seq"] == reads[1]["seq"]
    assert auditor.get(f"/audit/{walk.id}/verify?format=json").get_json()["ok"] is True
    assert len(_reads(s, walk.id)) == 4, "checking hashes shows no content: not a read"
    assert_chain(history(s, walk.id))
    # other roles' reads through the API are not recorded, and the API's auditor reads are
    s.get(f"/process-instances/{walk.id}/replay?seq=1", "auditor1")
    assert _reads(s, walk.id)[-1]["data"] == {"what": "replay", "seq": 1}


def test_out_of_range_or_malformed_seq_is_a_clear_answer_and_reads_nothing(deployed, web):
    s = deployed
    walk = start_callback(s, "RANGE")
    last = history(s, walk.id)[-1]["seq"]
    auditor = web("auditor1")
    page = auditor.get(f"/audit/{walk.id}?seq={last + 1}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert f"has no event {last + 1}" in auditor.last and f"events 1 to {last}" in auditor.last
    for bad in ("0", "-1", "x", "1.5", str(2**31), "99999999999999999999"):
        page = auditor.get(f"/audit/{walk.id}?seq={bad}")
        assert page.status_code == 422, (bad, auditor.last[:300])
        assert "whole number from 1" in auditor.last
        assert_problem(auditor.get(f"/audit/{walk.id}/at?seq={bad}"), 422)
    body = assert_problem(auditor.get(f"/audit/{walk.id}/at?seq={last + 1}"), 404)
    assert f"no event {last + 1}" in body["detail"]
    unknown = "00000000-0000-0000-0000-000000000000"
    for path in (
        f"/audit/{unknown}",
        f"/audit/{unknown}/verify",
        f"/audit/{unknown}/export.json",
        "/audit/nope",
    ):
        assert auditor.get(path).status_code == 404, path
    assert_problem(auditor.get(f"/audit/{unknown}/at?seq=1"), 404)
    assert auditor.get(f"/audit/{walk.id}/export.xml").status_code in (404, 422)
    assert _reads(s, walk.id) == [], "a refused read reads nothing"


@pytest.mark.parametrize("user", ["manager1", "advocate1", "commissioner1", "admin1"])
def test_only_auditors_may_use_the_audit_pages(deployed, web, user):
    s = deployed
    walk = start_callback(s, "ROLE")
    browser = web(user)
    for path in (
        "/audit",
        f"/audit/{walk.id}",
        f"/audit/{walk.id}?seq=1",
        f"/audit/{walk.id}/verify",
        f"/audit/{walk.id}/export.json",
        f"/audit/{walk.id}/export.csv",
    ):
        response = browser.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert response.mimetype == "text/html" and "may not do this" in browser.last
        assert "Content-Disposition" not in response.headers
    assert_problem(browser.get(f"/audit/{walk.id}/at?seq=1"), 403)
    stranger = web()
    assert stranger.get("/audit").status_code == 302
    assert stranger.get(f"/audit/{walk.id}").headers["Location"].startswith("/login?next=")
    assert_problem(stranger.get(f"/audit/{walk.id}/at?seq=1"), 401)
    assert _reads(s, walk.id) == []


def test_verify_names_the_first_broken_link_of_a_tampered_history(deployed, web, database_url):
    s = deployed
    intact = start_callback(s, "OK")
    tampered = start_callback(s, "BAD")
    tampered.complete("call_back", CALL_DATA)
    auditor = web("auditor1")
    assert auditor.get(f"/audit/{tampered.id}/verify").status_code == 200
    assert "Chain verified: all " in auditor.last and "broken" not in auditor.last
    with _attacker(database_url):
        sql(
            database_url,
            "UPDATE history_events SET data = replace(data, 'rang back', 'never rang') "
            "WHERE instance_id = :i AND seq = 3",
            params={"i": tampered.id},
        )
    page = auditor.get(f"/audit/{tampered.id}/verify?seq=2")
    assert page.status_code == 200, auditor.last[:500]
    assert "The chain is broken at seq 3</strong>: hash" in auditor.last
    assert "Chain verified" not in auditor.last
    result = auditor.get(f"/audit/{tampered.id}/verify?format=json").get_json()
    assert result["ok"] is False and result["broken"][0]["seq"] == 3 and result["broken"][0]["reason"]
    assert auditor.get(f"/audit/{intact.id}/verify?format=json").get_json() == {
        "ok": True,
        "events": len(history(s, intact.id)),
        "broken": [],
        "retention_log": [],
    }
    # the replay still shows what the rows say, so the auditor can look at the altered event
    assert (
        auditor.get(f"/audit/{tampered.id}/at?seq=3").get_json()["event"]["event"]["data"]["variables"][
            "call_notes"
        ]
        == "never rang"
    )


def test_downloads_are_attachments_equal_to_the_api_export(deployed, web):
    s = deployed
    walk = start_callback(s, "EXPORT")
    walk.complete("call_back", {**CALL_DATA, "call_notes": 'caf\u00e9 "quoted", comma'})
    auditor = web("auditor1")

    response = auditor.get(f"/audit/{walk.id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="history-{walk.id}.json"'
    exported = json.loads(response.get_data(as_text=True))
    assert (exported["instance_id"], exported["process"], exported["version"]) == (
        walk.id,
        "example_callback",
        1,
    )
    api = _api(s, f"/process-instances/{walk.id}/history")["items"]
    assert exported["items"] == api[:-1], "the API's history, up to the API's own read"
    assert exported["items"][-1]["data"] == {"what": "history"}
    assert_chain(exported["items"])

    response = auditor.get(f"/audit/{walk.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="history-{walk.id}.csv"'
    api_csv = s.get(f"/process-instances/{walk.id}/history?format=csv", "auditor1").get_data(as_text=True)
    ours = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    theirs = list(csv.reader(io.StringIO(api_csv)))
    assert ours == theirs[:-1] and len(ours) == 1 + len(api) + 1, "header, the history, this download"


def test_pick_finds_instances_by_reference_process_and_status(deployed, web):
    s = deployed
    done = start_callback(s, "FIND-1")
    done.complete("call_back", CALL_DATA)
    running = start_callback(s, "FIND-2")
    auditor = web("auditor1")
    assert auditor.get("/audit").status_code == 200
    assert "2 instances." in auditor.last and "themselves recorded" in auditor.last
    for instance in (done, running):
        assert f'href="/audit/{instance.id}"' in auditor.last
    auditor.get("/audit?business_key=FIND-2")
    assert "1 instance." in auditor.last and f'href="/audit/{running.id}"' in auditor.last
    assert f'href="/audit/{done.id}"' not in auditor.last
    auditor.get("/audit?status=completed&process=example_callback")
    assert "1 instance." in auditor.last and f'href="/audit/{done.id}"' in auditor.last
    auditor.get("/audit?business_key=NOPE")
    assert "0 instances." in auditor.last and "No instances match" in auditor.last
    assert _reads(s, done.id) == [] and _reads(s, running.id) == [], "a list is not a read of a record"
