"""WCAG 2.2 AA, as far as a machine can check it: axe-core (from the npm registry) on every main page.

axe finds what can be found automatically (labels, contrast, names, landmarks, ARIA); the
keyboard tests beside it check focus and order.  The context bypasses the Content Security
Policy only so that axe's script can be injected; the pages themselves are unchanged.
"""

from __future__ import annotations

import re

import pytest

from service.base.config import ROOT
from tests.browser.conftest import wait_for_diagram

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make vendor` (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def _first_link(page, pattern: str) -> str:
    href = page.locator(f"a[href^='{pattern}']").first.get_attribute("href")
    assert href, f"no link to {pattern}"
    return href


@pytest.mark.parametrize("width", [1280, 820])
def test_the_main_pages_of_each_role_pass_axe(page_as, live, width):
    seen: dict[str, list[str]] = {}
    anonymous = page_as(None, width=width, bypass_csp=True)
    anonymous.goto(f"{live.url}/login")
    seen["login"] = violations(anonymous)

    manager = page_as("manager1", width=width, bypass_csp=True)
    manager.goto(f"{live.url}/inbox?view=unclaimed")
    seen["inbox"] = violations(manager)
    manager.goto(live.url + _first_link(manager, "/inbox/"))
    manager.get_by_role("button", name="Complete task").click()  # comes back with errors
    seen["task form with errors"] = violations(manager)
    manager.goto(f"{live.url}/cases")
    manager.goto(live.url + _first_link(manager, "/cases/"))
    wait_for_diagram(manager)
    seen["case"] = violations(manager)
    manager.goto(f"{live.url}/start/referral_casework")
    seen["start"] = violations(manager)

    commissioner = page_as("commissioner1", width=width, bypass_csp=True)
    commissioner.goto(f"{live.url}/dashboard")
    seen["dashboard"] = violations(commissioner)
    commissioner.goto(f"{live.url}/supervision")
    seen["supervision calendar"] = violations(commissioner)
    manager.goto(f"{live.url}/supervision")
    seen["supervision calendar (manager)"] = violations(manager)

    auditor = page_as("auditor1", width=width, bypass_csp=True)
    auditor.goto(f"{live.url}/audit")
    seen["audit pick"] = violations(auditor)
    auditor.goto(live.url + _first_link(auditor, "/audit/"))
    seen["audit replay"] = violations(auditor)

    found = {name: problems for name, problems in seen.items() if problems}
    assert not found, found


def test_the_keyboard_alone_reaches_the_skip_link_the_menu_and_a_task(page_as, live):
    page = page_as("manager1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.goto(f"{live.url}/inbox?view=unclaimed")
    for _ in range(40):  # tab until the first task link of the table
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if re.match(r"^/inbox/[0-9a-f-]{36}$", href):
            break
    else:
        pytest.fail("no task link reached with the Tab key")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).backgroundColor"
    )
    assert outline != "none" + "rgba(0, 0, 0, 0)"  # focus is visible
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/inbox/[0-9a-f-]{36}$", page.url)
    page.get_by_role("button", name="Complete task").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "error-summary"
