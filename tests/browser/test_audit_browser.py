"""The auditor in Chromium: pick a record, step through its history with the keyboard, verify it."""

from __future__ import annotations

import re

from tests.browser.conftest import check_clean, screenshot, wait_for_diagram

DIAGRAM = "#audit-diagram"


def _seq(page) -> int:
    return int(page.get_attribute(DIAGRAM, "data-seq") or 0)


def _ids(page, name: str) -> set[str]:
    return set((page.get_attribute(DIAGRAM, name) or "").split())


def _step_to(page, key: str, seq: int) -> None:
    page.keyboard.press(key)
    page.wait_for_selector(f"{DIAGRAM}[data-seq='{seq}']")
    page.wait_for_function("n => document.getElementById('seq-range').value === String(n)", arg=seq)


def _open_finished_referral(page, base: str) -> int:
    page.get_by_label("Process").select_option("referral_casework")
    page.get_by_label("Status").select_option("completed")
    page.get_by_role("button", name="Find").click()
    page.locator("table tbody a").first.click()
    assert re.search(r"/audit/[0-9a-f-]{36}$", page.url), page.url
    wait_for_diagram(page, DIAGRAM)
    return _seq(page)


def test_auditor_steps_through_a_history_with_the_keyboard_and_verifies_it(page_as, live):
    page = page_as("auditor1")
    assert page.url == f"{live.url}/audit"
    assert page.get_by_text("Your views of a record are themselves recorded").is_visible()
    screenshot(page, "audit-pick")
    last = _open_finished_referral(page, live.url)
    assert page.locator("#state-status").text_content() == "completed"
    assert page.get_by_text("Your views of this record are themselves recorded").is_visible()
    rows = page.locator("#history-rows tr").count()
    completed_at_end = _ids(page, "data-completed")
    assert completed_at_end and not _ids(page, "data-active")

    slider = page.locator("#seq-range")
    slider.focus()
    _step_to(page, "Home", 1)  # the start: nothing waiting yet, the case not completed
    assert page.locator("#state-status").text_content() != "completed"
    assert _ids(page, "data-completed") < completed_at_end
    assert page.url.endswith("?seq=1")
    assert page.locator("#step-status").inner_text().startswith("Event 1 of ")

    _step_to(page, "ArrowRight", 2)  # the first task is ready: the diagram and the panel show it
    active = _ids(page, "data-active")
    assert active, "a task is waiting after event 2"
    assert page.locator("#state-status").text_content() == "running"
    assert page.locator("#state-tasks li code").first.inner_text() in active
    assert page.locator(f"{DIAGRAM} .djs-element.hl-active").count() >= 1
    assert re.match(r"Event 2 of \d+: Task ready", page.locator("#step-status").inner_text())
    assert page.locator("#event-type").inner_text() == "task_ready"
    assert page.locator("#history-rows tr.current").get_attribute("data-seq") == "2"

    _step_to(page, "ArrowRight", 3)
    _step_to(page, "ArrowLeft", 2)
    assert _ids(page, "data-active") == active
    # every step was a recorded read, each appended to the table as it happened
    assert page.locator("#history-rows tr").count() == rows + 4
    assert page.locator("#history-rows tr").last.inner_text().count("Record read by an auditor") == 1
    assert int(page.locator("#seq-range").get_attribute("max")) == last + 1 + 4

    page.get_by_role("button", name="Verify the chain").click()
    page.wait_for_selector("#verify-result[data-verified='ok']")
    assert "Chain verified" in page.locator("#verify-result").inner_text()
    assert page.url.endswith("?seq=2"), "verifying in place keeps the event shown"
    screenshot(page, "audit-replay")
    check_clean(page)

    page.reload()  # the URL the steps left is the page itself, without JavaScript's help
    wait_for_diagram(page, DIAGRAM)
    assert _seq(page) == 2 and _ids(page, "data-active") == active


def test_auditor_replay_on_a_tablet(page_as, live):
    page = page_as("auditor1", width=820, height=1180)
    _open_finished_referral(page, live.url)
    page.get_by_role("link", name="Previous event").click()
    page.wait_for_function("() => /[?]seq=\\d+$/.test(location.href)")
    screenshot(page, "audit-replay-tablet")
    check_clean(page)
