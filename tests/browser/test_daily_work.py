"""Each role's daily work in Chromium: log in, the inbox, a task's form, a case's diagram."""

from __future__ import annotations

import re
import uuid

import pytest

from service.demo import DEMO_USERS
from tests.browser.conftest import check_clean, login, screenshot, wait_for_diagram

HOMES = {
    "manager": ("/inbox", "Inbox"),
    "advocate": ("/inbox", "Inbox"),
    "commissioner": ("/dashboard", None),
    "auditor": ("/audit", None),
    "admin": ("/cases", "Instances"),
}


@pytest.mark.parametrize("user,role", DEMO_USERS[:2] + DEMO_USERS[2:3] + DEMO_USERS[4:5] + DEMO_USERS[6:])
def test_each_role_logs_in_to_its_start_page_and_out(page_as, live, user, role):
    page = page_as(user)
    path, heading = HOMES[role]
    assert page.url == live.url + path
    if heading:
        assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_text(f"{user} ({role})").is_visible()
    screenshot(page, f"home-{role}")
    check_clean(page)
    page.get_by_role("button", name="Log out").click()
    assert "/login" in page.url and page.get_by_text("You have logged out.").is_visible()
    page.goto(live.url + path)  # the session is gone: back to the login page
    assert "/login" in page.url


def test_a_wrong_password_is_refused_with_a_message(page_as, live):
    page = page_as(None)
    login(page, live.url, "manager1", "not-the-password")
    assert "/login" in page.url
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")
    assert page.get_by_label("Username").input_value() == "manager1"
    screenshot(page, "login-refused")


def _active(page) -> set[str]:
    return set((page.get_attribute("#diagram", "data-active") or "").split())


def _completed(page) -> set[str]:
    return set((page.get_attribute("#diagram", "data-completed") or "").split())


def test_manager_starts_a_referral_completes_a_task_and_the_diagram_moves(page_as, live):
    reference = f"WEB-{uuid.uuid4().hex[:6]}"
    page = page_as("manager1")
    page.get_by_role("link", name="Start").click()
    page.get_by_role("link", name="Referral to closure").click()
    page.get_by_role("button", name="Start").click()  # nothing filled in: every required field is named
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    assert "Person reference: This field is required" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    screenshot(page, "start-referral-errors")

    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Person reference").fill("Jane Smith")  # a name, refused by the pattern
    page.get_by_label("Social worker").check()
    page.get_by_label("Care Act advocacy (England)").check()
    page.get_by_label("Standard").check()
    page.get_by_role("button", name="Start").click()
    assert "Person reference: This is not in the expected format" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Social worker").is_checked()  # what was entered is kept
    page.get_by_label("Person reference").fill("ADV-2026-0999")
    page.get_by_role("button", name="Start").click()

    assert re.search(r"/cases/[0-9a-f-]{36}$", page.url), page.url
    wait_for_diagram(page)
    assert _active(page) == {"assess_eligibility"}
    assert "referral_received" in _completed(page)
    screenshot(page, "case-referral-started")

    page.get_by_role("link", name="Assess eligibility").click()
    assert page.get_by_label("Care Act advocacy (England)").is_checked()  # the case's value, to confirm
    page.get_by_role("button", name="Complete task").click()
    errors = page.get_by_role("alert").inner_text()
    assert "Substantial difficulty understanding" in errors or "Choose an answer" in errors, errors
    screenshot(page, "task-form-errors")
    for question in (
        "difficulty_understanding",
        "difficulty_retaining",
        "difficulty_weighing",
        "difficulty_communicating",
    ):
        page.locator(f"#field-{question} input[value=true]").check()
    page.locator("#field-appropriate_individual_available input[value=false]").check()
    page.get_by_role("button", name="Complete task").click()

    assert page.get_by_text("Done: the task is complete.").is_visible()
    wait_for_diagram(page)
    assert "assess_eligibility" in _completed(page)
    assert {"allocate_advocate", "allocation_sla"} == _active(page)  # the task, and its SLA timer
    assert page.locator(".djs-element.hl-active").count() == 2
    assert page.locator(".djs-connection.hl-flow").count() >= 2
    screenshot(page, "case-referral-after-eligibility")
    check_clean(page, expected=("status of 422",))  # the two forms sent back with errors


def test_advocate_sees_only_their_own_tasks_and_works_one(page_as, live):
    page = page_as("advocate1")
    rows = page.locator("table.tasks tbody tr")
    assert rows.count() >= 1
    assert all(
        text == "advocate1" for text in page.locator("table.tasks tbody tr td:nth-child(5)").all_inner_texts()
    )
    page.locator("table.tasks tbody tr td:first-child a").first.click()
    assert page.get_by_role("button", name="Complete task").is_visible()
    screenshot(page, "advocate-task")
    check_clean(page)


def test_the_inbox_on_a_tablet(page_as):
    page = page_as("manager1", width=820, height=1180)
    page.get_by_label("Unclaimed, for my role").check()
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Show tasks").click()
    assert "view=unclaimed" in page.url and "overdue=1" in page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "inbox-tablet")
    check_clean(page)
