"""The heat map panel in Chromium: bpmn-js draws the diagram with an overlay on every step, the table of
the same figures is beside it, in English and in Welsh, axe-core clean (the demo's casework)."""

from __future__ import annotations

import json
import re

from service.base.config import ROOT
from tests.browser.conftest import check_clean, screenshot
from tests.browser.test_accessibility import violations

DIAGRAM = "#heatmap-diagram"


def _drawn(page, waiting: str, median: str) -> dict[str, dict[str, str]]:
    """Wait for the diagram; each overlay's figures must be its table row's.  Returns the rows."""
    page.wait_for_selector(f"{DIAGRAM}[data-ready='true']")
    rows = page.locator("table.heatmap-table tbody tr")
    assert rows.count() >= 3, rows.count()
    table = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        table[row.get_attribute("data-activity")] = {
            "waiting": row.locator("td[data-heat='waiting_now']").inner_text().strip(),
            "median": row.locator("td[data-heat='median_wait_s']").inner_text().strip(),
        }
    overlays = page.locator(f"{DIAGRAM} .hm-overlay")
    assert overlays.count() == len(table) == int(page.locator(DIAGRAM).get_attribute("data-overlays") or 0)
    for i in range(overlays.count()):
        overlay = overlays.nth(i)
        activity = overlay.get_attribute("data-activity")
        assert overlay.is_visible(), activity
        text = overlay.inner_text()
        assert f"{waiting}: {table[activity]['waiting']}" in text, (activity, text)
        assert f"{median}: {table[activity]['median']}" in text, (activity, text)
        # the step itself is drawn, shaded by how many wait there
        shape = page.locator(f"{DIAGRAM} g.djs-element[data-element-id='{activity}']")
        assert shape.count() == 1 and re.search(r"\bhm-heat-\d\b", shape.get_attribute("class") or "")
    assert any(v["waiting"] not in ("0", "—") for v in table.values()), table  # the demo has open casework
    return table


def test_heatmap_on_the_dashboard(page_as, live):
    page = page_as("manager1", bypass_csp=True)  # the CSP bypassed only to inject axe
    page.goto(f"{live.url}/dashboard")
    assert page.get_by_role("heading", name="Where cases wait", level=2).is_visible()
    assert (
        page.get_by_label("Process", exact=True).locator("option:checked").get_attribute("value")
        == "referral_casework"
    )
    _drawn(page, "Waiting now", "Median wait")
    assert page.get_by_role("table", name=re.compile("Waits at each step of")).is_visible()
    assert violations(page) == []
    screenshot(page, "heatmap-dashboard-1280")
    check_clean(page)

    # another process and period from the form: the page, the diagram and the table follow
    page.get_by_label("Process", exact=True).select_option("example_callback")
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show heat map").click()
    page.wait_for_load_state()
    assert "hm_process=example_callback" in page.url and "hm_from=2026-01-01" in page.url
    page.wait_for_selector(f"{DIAGRAM}[data-ready='true']")
    assert set(
        page.locator("table.heatmap-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.activity)")
    ) == {"call_back", "chase_call_back"}
    check_clean(page)


def test_heatmap_on_the_case_list_in_welsh(page_as, live):
    from tests.browser.test_welsh_browser import LIVE, welsh_as

    LIVE["url"] = live.url
    page = welsh_as(page_as, "auditor1")
    page.goto(f"{live.url}/cases")  # the case list draws it once a process is chosen
    assert page.locator("#heatmap-diagram").count() == 0
    page.get_by_role("button", name="Dangos y map gwres").click()
    page.wait_for_load_state()
    assert "hm_process=referral_casework" in page.url
    assert page.get_by_role("heading", name="Ble mae achosion yn aros", level=2).is_visible()
    table = _drawn(page, "Yn aros nawr", "Aros canolrifol")
    assert page.get_by_role("table", name=re.compile("Amseroedd aros ym mhob cam")).is_visible()
    # the steps are named from bpmn/referral_casework.cy.json, in the table and in the diagram
    welsh = json.loads((ROOT / "bpmn" / "referral_casework.cy.json").read_text(encoding="utf-8"))
    drawn = re.sub(r"\s", "", page.locator(f"{DIAGRAM} svg").first.evaluate("svg => svg.textContent"))
    for activity in table:
        name = page.locator(f"table.heatmap-table tr[data-activity='{activity}'] th").inner_text().strip()
        assert name == welsh[activity], (activity, name)
        assert re.sub(r"\s", "", name) in drawn, (activity, name)
    assert violations(page) == []
    screenshot(page, "cy-heatmap-cases-1280")
    check_clean(page)


def test_heatmap_for_a_commissioner_hides_small_counts(page_as, live):
    page = page_as("commissioner1")
    page.goto(f"{live.url}/dashboard")
    page.wait_for_selector(f"{DIAGRAM}[data-ready='true']")
    cells = page.locator("table.heatmap-table td[data-heat='waiting_now']").all_inner_texts()
    assert not any(c.strip() in {"1", "2", "3", "4"} for c in cells), cells
    check_clean(page)
