"""The heat map panel of the dashboard and the case list: the API's figures, in a table beside the diagram.

The instances are the API heat map test's walk (``tests/api/test_heatmap.py``: call-back requests over two
versions, driven through the real engine at a pinned clock); the page is compared with
``GET /api/v1/process-definitions/{key}/heatmap`` for the same period, figure by figure.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from service.base.config import ROOT
from service.web.heatmap_panel import wait_text
from tests.api.test_heatmap import KEY, Walk

ROW = re.compile(r'<tr data-activity="([^"]+)">(.*?)</tr>', re.S)
CELL = re.compile(r'data-heat="([^"]+)"[^>]*>(.*?)</td>', re.S)
QUERY = f"hm_process={KEY}&hm_from=2026-01-05&hm_to=2026-01-31"


@pytest.fixture
def walk(service, monkeypatch, tmp_path) -> Walk:
    return Walk(service, monkeypatch, tmp_path)


def table(page: str) -> dict[str, dict[str, str]]:
    section = page.split('id="heatmap"', 1)[1]
    return {
        activity: {name: html.unescape(text).strip() for name, text in CELL.findall(cells)}
        for activity, cells in ROW.findall(section)
    }


def shown(value) -> str:
    return "—" if value is None else str(value)


def figures_json(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="heatmap-figures">(.*?)</script>', page, re.S)
    assert found, "no heat map figures for the diagram"
    return json.loads(found.group(1))


@pytest.mark.parametrize("user", ["auditor1", "manager1", "commissioner1"])
@pytest.mark.parametrize("path", ["/dashboard", "/cases"])
def test_the_table_is_the_api_figures(walk, web, user, path):
    api = walk.heatmap(user, **{"from": "2026-01-05", "to": "2026-01-31"}).get_json()
    response = web(user).get(f"{path}?{QUERY}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = table(page)
    assert list(rows) == [i["activity_id"] for i in api["items"]]
    for item in api["items"]:
        assert rows[item["activity_id"]] == {
            "waiting_now": shown(item["waiting_now"]),
            "completed": shown(item["completed"]),
            "median_wait_s": wait_text(item["median_wait_s"]),
            "p90_wait_s": wait_text(item["p90_wait_s"]),
        }, item
    # the diagram's overlays carry the same figures, and the diagram is the process's
    drawn = figures_json(page)
    assert f'id="{KEY}"' in drawn["xml"]
    assert [(d["activity_id"], d["waiting"], d["median"]) for d in drawn["items"]] == [
        (i["activity_id"], shown(i["waiting_now"]), wait_text(i["median_wait_s"])) for i in api["items"]
    ]
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page and "heatmap.js" in page
    if user == "commissioner1":
        assert rows["chase_call_back"] == {
            "waiting_now": "<5",
            "completed": "<5",
            "median_wait_s": "—",
            "p90_wait_s": "—",
        }


def test_figures_in_welsh(walk, web):
    browser = web("auditor1")
    page = browser.get(f"/dashboard?{QUERY}", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert "Ble mae achosion yn aros" in page
    assert "Ffonio&#39;r unigolyn yn ôl" in page or "Ffonio'r unigolyn yn ôl" in page
    drawn = figures_json(page)
    assert drawn["labels"] == {"waiting": "Yn aros nawr", "median": "Aros canolrifol"}
    assert 'name="Ffonio' in drawn["xml"]  # the diagram relabelled from bpmn/example_callback.cy.json


def test_default_period_and_process(walk, web):
    page = web("auditor1").get("/dashboard").get_data(as_text=True)
    assert 'id="hm_from" name="hm_from" value="2025-11-04"' in page  # 90 days before the pinned clock
    assert 'id="hm_to" name="hm_to" value="2026-02-02"' in page
    assert f'<option value="{KEY}" selected>' in page  # referral_casework is not deployed here


def test_the_case_list_reads_the_history_only_when_asked(walk, web):
    page = web("auditor1").get("/cases").get_data(as_text=True)
    assert 'id="hm_process"' in page and "Choose a process and a period, then show its heat map." in page
    assert 'id="heatmap-figures"' not in page and not table(page)
    assert "heatmap.js" not in page


def test_the_case_list_shows_the_process_it_lists(walk, web):
    page = web("manager1").get(f"/cases?process={KEY}").get_data(as_text=True)
    assert f'<option value="{KEY}" selected>' in page
    assert table(page)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("hm_from=yesterday", "hm_from", "Enter a date like"),
        ("hm_to=2026-02-31", "hm_to", "Enter a date like"),
        ("hm_from=2026-02-01&hm_to=2026-01-31", "hm_to", "The end date must be after the start date."),
    ],
)
@pytest.mark.parametrize("path", ["/dashboard", "/cases"])
def test_bad_period_is_422_naming_the_field(walk, web, query, field, message, path):
    response = web("auditor1").get(f"{path}?hm_process={KEY}&{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<a href="#{field}">{message}' in page
    assert f'id="{field}-error"' in page and f'aria-describedby="{field}-error"' in page
    assert 'id="heatmap-figures"' not in page and not table(page)


def test_who_sees_the_panel(walk, web, service):
    assert service.deploy([ROOT / "bpmn" / "commissioning_cycle.bpmn"]).status_code == 201
    assert 'id="heatmap"' not in web("advocate1").get("/cases").get_data(as_text=True)
    assert 'value="commissioning_cycle"' in web("auditor1").get("/dashboard").get_data(as_text=True)
    manager = web("manager1").get("/dashboard?hm_process=commissioning_cycle").get_data(as_text=True)
    assert 'value="commissioning_cycle"' not in manager  # not the commissioner's own process
    assert f'<option value="{KEY}" selected>' in manager  # an unknown choice: the default instead
