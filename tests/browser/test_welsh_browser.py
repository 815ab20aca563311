"""Each role's main pages in Welsh in Chromium (Accept-Language: cy), axe-core clean, with screenshots;
the language switch keeps the page, its address and a half-filled form."""

from __future__ import annotations

import re

from service.demo import DEMO_PASSWORD
from tests.browser.conftest import check_clean, screenshot, wait_for_diagram
from tests.browser.test_accessibility import _first_link, violations

WELSH = {"locale": "cy", "extra_http_headers": {"Accept-Language": "cy"}, "bypass_csp": True}


def welsh_as(page_as, user: str):
    """A Welsh browser (Accept-Language: cy) logged in through the login form, in Welsh."""
    page = page_as(None, **WELSH)
    page.goto(f"{_live_url(page_as)}/login")
    page.get_by_label("Enw defnyddiwr").fill(user)
    page.get_by_label("Cyfrinair").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Mewngofnodi").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
    return page


def _live_url(page_as) -> str:
    return LIVE["url"]


LIVE: dict[str, str] = {}
ENGLISH_CHROME = (">Inbox<", ">Log out<", "Skip to main content", ">Cases<", "There is a problem")


def _welsh_page(page, name: str, seen: dict[str, list[str]]) -> None:
    assert page.locator("html").get_attribute("lang") == "cy", name
    html = page.content()
    left = [e for e in ENGLISH_CHROME if e in html]
    assert not left, f"{name}: English left behind: {left}"
    seen[name] = violations(page)
    screenshot(page, f"cy-{name.replace(' ', '-')}")


def test_each_role_main_pages_in_welsh(page_as, live):
    LIVE["url"] = live.url
    seen: dict[str, list[str]] = {}
    anonymous = page_as(None, **WELSH)
    anonymous.goto(f"{live.url}/login")
    assert anonymous.get_by_role("button", name="Mewngofnodi").count() == 1
    _welsh_page(anonymous, "login", seen)

    manager = welsh_as(page_as, "manager2")
    manager.goto(f"{live.url}/inbox?view=unclaimed")
    assert manager.get_by_role("heading", name="Mewnflwch").count() == 1
    _welsh_page(manager, "manager inbox", seen)
    manager.goto(live.url + _first_link(manager, "/inbox/"))
    manager.get_by_role("button", name="Cwblhau'r dasg").click()  # comes back with errors, in Welsh
    assert "Mae problem" in manager.content()
    _welsh_page(manager, "manager task with errors", seen)
    manager.goto(f"{live.url}/cases")
    _welsh_page(manager, "manager cases", seen)
    manager.goto(live.url + _first_link(manager, "/cases/"))
    wait_for_diagram(manager)
    assert "Ble mae'r achos" in manager.content()
    _welsh_page(manager, "manager case", seen)
    manager.goto(f"{live.url}/start/referral_casework")
    assert "Atgyfeiriad newydd" in manager.content() and "Cyfeirnod yr unigolyn" in manager.content()
    _welsh_page(manager, "manager start referral", seen)

    advocate = welsh_as(page_as, "advocate2")
    advocate.goto(f"{live.url}/inbox")
    _welsh_page(advocate, "advocate inbox", seen)

    commissioner = welsh_as(page_as, "commissioner1")
    commissioner.goto(f"{live.url}/dashboard")
    assert "Dangosfwrdd y comisiynydd" in commissioner.content()
    _welsh_page(commissioner, "commissioner dashboard", seen)

    auditor = welsh_as(page_as, "auditor1")
    auditor.goto(f"{live.url}/audit")
    _welsh_page(auditor, "auditor audit", seen)
    auditor.goto(live.url + _first_link(auditor, "/audit/"))
    wait_for_diagram(auditor, "#audit-diagram")
    _welsh_page(auditor, "auditor replay", seen)

    found = {name: problems for name, problems in seen.items() if problems}
    assert not found, found


def test_the_switch_keeps_the_page_its_address_and_a_half_filled_form(page_as, live):
    page = page_as("manager2", extra_http_headers={"Accept-Language": "en"})
    try:
        page.goto(f"{live.url}/start/referral_casework")
        assert page.locator("html").get_attribute("lang") == "en-GB"
        page.fill("#business_key", "SWITCH-1")
        page.get_by_role("button", name="Cymraeg").click()
        page.wait_for_load_state()
        assert re.search(r"/start/referral_casework$", page.url)
        assert page.locator("html").get_attribute("lang") == "cy"
        assert page.input_value("#business_key") == "SWITCH-1"  # the form's state came across
        page.goto(f"{live.url}/cases?page=1")
        assert page.locator("html").get_attribute("lang") == "cy"  # remembered for the user
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.url.endswith("/cases?page=1")
        assert page.locator("html").get_attribute("lang") == "en-GB"
        check_clean(page)
    finally:
        page.goto(f"{live.url}/inbox")
        if page.locator("html").get_attribute("lang") == "cy":
            page.get_by_role("button", name="English").click()
