"""The commissioner dashboard: the same figures as the API's reports, suppression, who sees what, charts.

The quarter is the report tests' synthetic 2026Q1 (``tests/reports/quarter.py``), whose every
figure is known; the page is compared with ``GET /api/v1/reports/quarterly`` figure by figure,
for every SLA, as a commissioner (counts under 5 as ``<5``) and as a manager (exact).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from service.cases.reports import vocabulary
from service.web import charts
from service.web.charts import Series
from service.web.dashboard import current_quarter, recent_quarters
from tests.reports import conftest as report_fixtures
from tests.reports import quarter as synthetic

SVG = "{http://www.w3.org/2000/svg}"
FIGURE = re.compile(r'data-figure="([^"]+)">(.*?)</', re.S)
NOT_FIGURES = {"sla", "quarter", "from", "to", "stories"}
PERCENT = ("outcomes.", "voice_heard_rate")

# The report tests' fixtures: every diagram deployed, the SLAs north and south, casework helpers.
deployment = report_fixtures.deployment
casework = report_fixtures.casework


def flatten(report: dict, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (the CSV's figure names), without the non-figures."""
    out: dict[str, object] = {}
    for key, value in report.items():
        if not prefix and key in NOT_FIGURES:
            continue
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out |= flatten(value, name)
        else:
            out[name] = value
    return out


def as_shown(name: str, value: object) -> str:
    """How the page writes a figure of the API's answer."""
    if value is None:
        return "—"
    text = charts.number(value)
    return f"{text}%" if name.startswith(PERCENT) else text


def sla_sections(page: str) -> dict[str, str]:
    """The page's markup for each SLA card, by SLA key (the open escalations section left out)."""
    page = page.split('id="escalations"')[0]
    parts = page.split('<section class="sla-card" data-sla="')[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def figures_of(markup: str) -> dict[str, str]:
    return {
        name: html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in FIGURE.findall(markup)
    }


def chart(markup: str, chart_id: str) -> ET.Element:
    found = re.search(rf'<svg id="{re.escape(chart_id)}".*?</svg>', markup, re.S)
    assert found, f"no chart {chart_id}"
    return ET.fromstring(found.group(0))


# -- the page against the API -----------------------------------------------------------------


@pytest.mark.parametrize("user", ["commissioner1", "manager1", "auditor1"])
def test_every_figure_is_the_api_figure(casework, web, user):
    synthetic.build(casework)
    s = casework.s
    response = web(user).get("/dashboard?quarter=2026Q1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    sections = sla_sections(page)
    assert set(sections) == {"default", "north", "south"}
    for key, markup in sections.items():
        api = s.get(f"/reports/quarterly?sla={key}&quarter=2026Q1", user)
        assert api.status_code == 200
        body = {k: v for k, v in api.get_json().items() if k not in ("as_of", "stale")}  # not a figure
        expected = {name: as_shown(name, v) for name, v in flatten(body).items()}
        shown = figures_of(markup)
        assert set(shown) == set(expected), f"{key}: figures missing or extra"
        for name, value in expected.items():
            assert shown[name] == value, f"{key} {name}: page {shown[name]!r}, API {value!r}"
    north = figures_of(sections["north"])
    if user == "commissioner1":  # the known answers, suppressed
        known = synthetic.EXPECTED_COMMISSIONER
        assert north["response_times.allocation.met"] == "19"
        assert north["response_times.allocation.missed"] == "<5"
        assert north["response_times.first_contact.missed"] == "5"
        assert north["escalations.level_2"] == "<5"
        assert north["referrals.by_source.family"] == "<5"
    else:
        known = synthetic.EXPECTED
        assert north["response_times.allocation.missed"] == "1"
        assert north["escalations.level_2"] == "2"
        assert "&lt;5" not in sections["north"]
    assert north["response_times.first_contact.p90_working_hours"] == "51.3"
    assert north["referrals.total"] == str(known["referrals"]["total"])
    assert north["escalations.started"] == str(known["escalations"]["started"])


def test_suppressed_counts_are_never_drawn_to_scale(casework, web):
    synthetic.build(casework)
    page = web("commissioner1").get("/dashboard?quarter=2026Q1").get_data(as_text=True)
    north = sla_sections(page)["north"]
    assert "&lt;5" in north
    assert "count from 1 to 4" in north  # the caption explains the marker
    svg = chart(north, "chart-response-north")
    assert svg.get("role") == "img" and "fewer than 5" in svg.get("aria-label")
    drawn = [
        (g.get("data-series"), g.get("data-value"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "segment"
    ]
    markers = [
        (g.get("data-series"), g.get("data-value"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "suppressed"
    ]
    # allocation: 19 met, <5 missed, 0 pending; first contact: 13 met, 5 missed, <5 pending
    assert drawn == [("met", "19"), ("met", "13"), ("missed", "5")]
    assert markers == [("missed", "<5"), ("pending", "<5")]
    escalations = chart(north, "chart-escalations-north")
    assert [g.get("data-value") for g in escalations.iter(f"{SVG}g") if g.get("class") == "suppressed"] == [
        "<5"
    ] * 6  # level 2, contract review, resolved, improvement plan, contract continued, in progress
    # the manager's page draws the exact bars
    exact = sla_sections(web("manager1").get("/dashboard?quarter=2026Q1").get_data(as_text=True))["north"]
    svg = chart(exact, "chart-response-north")
    assert not [g for g in svg.iter(f"{SVG}g") if g.get("class") == "suppressed"]
    assert ("missed", "1") in [
        (g.get("data-series"), g.get("data-value"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "segment"
    ]


def test_open_escalations_link_to_their_cases(casework, web):
    synthetic.build(casework)
    page = web("commissioner1").get("/dashboard?quarter=2026Q1").get_data(as_text=True)
    api = casework.s.get("/process-instances?process=sla_escalation&status=running", "commissioner1")
    running = [item["id"] for item in api.get_json()["items"]]
    assert len(running) == 1
    section = page.split('id="escalations"')[1]
    assert re.findall(r'data-escalation="([^"]+)"', section) == running
    assert f'href="/cases/{running[0]}"' in section
    assert figures_of(page)["open_escalations.total"] == "1"


# -- commissioning cycles and who sees what ----------------------------------------------------


def _cycles(cw):
    ending = cw.insert_cycle(
        stage="deliver",
        status="running",
        variables={"service_name": "Secret tender", "local_authority": "North County", "contract_end": None},
        changes=[("2026-01-01T12:00:00+00:00", "analyse"), ("2026-02-10T00:00:00+00:00", "deliver")],
        open_task=("evaluate_bids", "Evaluate bids"),
    )
    other = cw.insert_cycle(
        stage="plan",
        status="running",
        variables={"service_name": "IMHA", "local_authority": "South Borough"},
        changes=[("2026-05-01T12:00:00+00:00", "analyse"), ("2026-05-21T12:00:00+00:00", "plan")],
        open_task=("gap_analysis", "Gap analysis"),
    )
    return ending, other


def test_cycles_are_the_commissioning_report(casework, web):
    _cycles(casework)
    api = casework.s.get("/reports/commissioning", "commissioner1").get_json()
    page = web("commissioner1").get("/dashboard").get_data(as_text=True)
    assert figures_of(page)["cycles.total"] == str(api["total"]) == "2"
    for item in api["items"]:
        row = re.search(rf'<tr data-cycle="{item["id"]}">(.*?)</tr>', page, re.S)
        assert row, item["service_name"]
        cells = [
            html.unescape(re.sub(r"<[^>]+>", " ", c)).split()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
        ]
        assert cells[0] == item["service_name"].split()
        assert cells[2] == vocabulary.label(item["stage"]).split()  # the stage as people read it
        assert cells[3] == item["step_name"].split()
        assert cells[4] == [str(item["days_in_stage"])]
        assert cells[5] == [
            w for s, d in item["days_by_stage"].items() for w in (s.capitalize(), charts.number(d))
        ]
    stages = chart(page, "chart-cycles-by-stage")
    assert [g.get("data-value") for g in stages.iter(f"{SVG}g") if g.get("class") == "segment"] == ["1", "1"]


def test_a_manager_never_sees_commissioning_cycles(casework, web):
    _cycles(casework)
    response = web("manager1").get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Secret tender" not in page and "Evaluate bids" not in page
    assert 'id="cycles"' not in page and "cycles.total" not in page
    assert 'id="slas"' in page  # the quarterly return is theirs too
    auditor = web("auditor1").get("/dashboard").get_data(as_text=True)
    assert "Secret tender" in auditor and 'id="slas"' in auditor


@pytest.mark.parametrize("user", ["advocate1", "admin1"])
def test_roles_without_the_reports_are_refused(all_deployed, web, user):
    response = web(user).get("/dashboard")
    assert response.status_code == 403
    assert "may not see the commissioner dashboard" in response.get_data(as_text=True)


def test_an_unknown_quarter_is_a_clear_422(all_deployed, web):
    browser = web("commissioner1")
    for bad in ("2026Q7", "last quarter", "<script>x</script>"):
        response = browser.get("/dashboard", query_string={"quarter": bad})
        assert response.status_code == 422, bad
        page = response.get_data(as_text=True)
        assert "There is a problem" in page and "is not a quarter" in page
        assert 'select id="quarter" name="quarter"' in page  # the picker to choose again
        assert "<script>x" not in page
    assert browser.get("/dashboard?quarter=2026Q1").status_code == 200


def test_the_quarter_picker_defaults_to_the_current_quarter(all_deployed, web):
    page = web("commissioner1").get("/dashboard").get_data(as_text=True)
    now = current_quarter()
    assert f'<option value="{now}" selected>' in page
    assert len(re.findall(r"<option value=", page.split('id="heatmap"')[0])) == 8  # the heat map's own after


def test_anonymous_is_sent_to_login(all_deployed, web):
    response = web().get("/dashboard?quarter=2026Q1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard")


def test_recent_quarters():
    assert recent_quarters("2026Q2", 4) == ["2026Q2", "2026Q1", "2025Q4", "2025Q3"]


# -- charts.py ---------------------------------------------------------------------------------

SERIES = [Series("met", "Met", "bar-met"), Series("missed", "Missed", "bar-missed", pattern="dots")]


def _segments(svg: ET.Element) -> list[tuple[str, str, float]]:
    out = []
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "segment":
            rect = g.find(f"{SVG}rect")
            out.append((g.get("data-series"), g.get("data-value"), float(rect.get("width"))))
    return out


def test_stacked_bars_are_to_scale_with_labels():
    made = charts.stacked_bars(
        "t",
        [("Allocation", {"met": 30, "missed": 10}), ("First contact", {"met": 15, "missed": 5})],
        SERIES,
        title="T",
    )
    svg = ET.fromstring(str(made.svg))
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "T. Allocation: 30 met, 10 missed; First contact: 15 met, 5 missed."
    (s1, v1, w1), (s2, v2, w2), (s3, v3, w3), (s4, v4, w4) = _segments(svg)
    assert [(s1, v1), (s2, v2), (s3, v3), (s4, v4)] == [
        ("met", "30"),
        ("missed", "10"),
        ("met", "15"),
        ("missed", "5"),
    ]
    assert (w1 / w2, w1 / w3, w1 / w4) == pytest.approx((3, 2, 6), rel=1e-3)
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "Allocation" in texts and "First contact" in texts
    assert "30 met · 10 missed" in texts and "15 met · 5 missed" in texts
    assert not made.suppressed and ("swatch bar-missed dots", "Missed") in made.legend
    assert 'fill="url(#t-dots)"' in str(made.svg)  # missed is patterned, not only red


def test_a_suppressed_count_is_a_marker_not_a_bar():
    made = charts.stacked_bars(
        "t",
        [("Allocation", {"met": 19, "missed": "<5"}), ("First contact", {"met": 13, "missed": 5})],
        SERIES,
        title="T",
    )
    svg = ET.fromstring(str(made.svg))
    assert [(s, v) for s, v, _ in _segments(svg)] == [("met", "19"), ("met", "13"), ("missed", "5")]
    [marker] = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "suppressed"]
    assert (marker.get("data-series"), marker.get("data-value")) == ("missed", "<5")
    assert "<5" in "".join(marker.itertext())
    assert float(marker.find(f"{SVG}rect").get("width")) == charts.MARKER
    widths = {v: w for _, v, w in _segments(svg)}
    assert widths["19"] / widths["13"] == pytest.approx(19 / 13, rel=1e-3)
    assert "19 met · <5 missed" in ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "Allocation: 19 met, fewer than 5 missed" in svg.get("aria-label")
    assert made.suppressed and made.legend[-1] == ("swatch suppressed", "fewer than 5 (not to scale)")


def test_plain_bars_zero_and_suppressed():
    made = charts.bars(
        "b", [("Level", [("Started", 8), ("Level 2", "<5"), ("Review", 0)]), ("", [("Done", 4)])], title="E"
    )
    svg = ET.fromstring(str(made.svg))
    (_, v8, w8), (_, v4, w4) = _segments(svg)
    assert (v8, v4) == ("8", "4")
    assert w8 / w4 == pytest.approx(2, rel=1e-3)
    assert [g.get("data-value") for g in svg.iter(f"{SVG}g") if g.get("class") == "suppressed"] == ["<5"]
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert {"Level", "Started", "8", "Level 2", "<5", "Review", "0", "Done", "4"} <= set(texts)
    assert svg.get("aria-label") == "E. Started 8; Level 2 fewer than 5; Review 0; Done 4."


def test_labels_are_escaped():
    made = charts.bars("x", [("", [("<b>&", 1)])], title="a <title>")
    assert "<b>" not in str(made.svg)
    ET.fromstring(str(made.svg))
