"""The admin's migration page in Chromium: the dry run's table, keyboard only, and axe (WCAG 2.2 AA)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_clean
from tests.browser.test_accessibility import violations


@pytest.mark.parametrize("width", [1280, 820])
def test_the_migration_page_dry_run_passes_axe(page_as, live, width):
    page = page_as("admin1", width=width, bypass_csp=True)
    page.goto(f"{live.url}/migrations")
    assert violations(page) == []
    page.get_by_role("button", name="Dry run").click()  # no process chosen: comes back with errors
    assert page.locator("#error-summary").is_visible()
    assert violations(page) == []
    page.select_option("#process", "referral_casework")
    page.fill("#to_version", "1")
    page.get_by_role("button", name="Dry run").click()
    assert page.get_by_role("heading", name="Dry run: nothing was moved").is_visible()
    assert violations(page) == []


def test_the_form_works_from_the_keyboard(page_as, live):
    page = page_as("admin1")
    page.goto(f"{live.url}/migrations")
    page.focus("#process")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the dry run, the first button
    page.get_by_role("heading", name="Dry run: nothing was moved").wait_for()
    assert page.locator("table.results, p:has-text('No running case')").count() >= 1
    check_clean(page)
