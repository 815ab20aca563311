"""The commissioner's dashboard in Chromium: charts and tables render, the quarter picker works."""

from __future__ import annotations

import re

from tests.browser.conftest import check_clean, screenshot


def _charts_render(page) -> int:
    figures = page.locator("figure.chart")
    count = figures.count()
    assert count >= 4, count
    for i in range(count):
        figure = figures.nth(i)
        assert figure.locator("figcaption").inner_text().strip()
        svg = figure.locator("svg[role='img']")
        assert svg.count() == 1
        assert (svg.get_attribute("aria-label") or "").strip()
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 20, box
    return count


def test_commissioner_dashboard(page_as, live):
    page = page_as("commissioner1")
    assert page.url == f"{live.url}/dashboard"  # the commissioner's start page
    assert page.get_by_role("heading", name="Commissioner dashboard", level=1).is_visible()
    _charts_render(page)

    cycles = page.get_by_role("table", name=re.compile("Each running cycle"))
    rows = cycles.locator("tbody tr")
    assert rows.count() == 4  # the demo has a cycle in each stage
    stages = {rows.nth(i).locator("td").nth(1).inner_text().strip().lower() for i in range(4)}
    assert stages == {"analyse", "plan", "deliver", "review"}
    assert page.locator("#chart-cycles-by-stage g.segment").count() == 4

    # every SLA has its response-time chart, and its table of the same figures
    cards = page.locator("section.sla-card")
    assert cards.count() >= 3
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator("svg[id^='chart-response-']").is_visible()
        assert card.locator("td[data-figure='response_times.first_contact.met']").is_visible()
        # the second edition's panels: complaints and ended-early charts, safeguarding and Welsh-medium
        assert card.locator("svg[id^='chart-complaints-']").is_visible()
        assert card.locator("svg[id^='chart-ended-early-']").is_visible()
        assert card.locator("td[data-figure='safeguarding.concerns']").is_visible()
        assert card.locator("td[data-figure='welsh_medium.requested']").is_visible()
        assert card.locator("table[data-equality='age_band']").count() == 1

    # the escalations table opens from the keyboard
    summary = page.locator("section.sla-card").first.get_by_text("Escalations as a table")
    summary.focus()
    page.keyboard.press("Enter")
    assert (
        page.locator("section.sla-card").first.locator("td[data-figure='escalations.started']").is_visible()
    )

    open_rows = page.locator("table.escalations tbody tr")
    assert open_rows.count() >= 1
    link = open_rows.first.locator("a")
    assert re.fullmatch(r"/cases/[0-9a-f-]{36}", link.get_attribute("href") or "")
    screenshot(page, "dashboard-commissioner-1280")
    check_clean(page)

    # another quarter from the picker
    picker = page.get_by_label("Quarter", exact=True)
    earlier = picker.locator("option").nth(1).get_attribute("value")
    picker.select_option(earlier)
    page.get_by_role("button", name="Show quarter").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dashboard?quarter={earlier}")
    assert page.get_by_role(
        "heading", name=re.compile(rf"SLA compliance, {earlier[:4]} Q{earlier[5]}")
    ).is_visible()
    check_clean(page)


def test_dashboard_on_a_tablet(page_as, live):
    page = page_as("commissioner1", width=820, height=1180)
    page.goto(f"{live.url}/dashboard")
    _charts_render(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, f"the page scrolls sideways: {width}px"
    screenshot(page, "dashboard-commissioner-820")
    check_clean(page)


def test_a_manager_sees_sla_compliance_but_no_cycles(page_as, live):
    page = page_as("manager1")
    response = page.goto(f"{live.url}/dashboard")
    assert response.status == 200
    assert page.locator("section.sla-card").count() >= 3
    assert page.locator("#cycles").count() == 0
    assert "Commissioning cycles" not in page.content()
    check_clean(page)


def test_an_unknown_quarter_is_explained(page_as, live):
    page = page_as("commissioner1")
    response = page.goto(f"{live.url}/dashboard?quarter=2026Q9")
    assert response.status == 422
    assert page.get_by_role("alert").get_by_text("is not a quarter").is_visible()
    page.get_by_role("button", name="Show quarter").click()
    page.wait_for_load_state()
    assert page.locator("section.sla-card").count() >= 3
    check_clean(page, expected=("422",))
