"""The notifications badge on every page and the list page: the logged-in user's own only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.cases import notifications
from tests.service.reminders_support import PERSON, deadline_of, deploy, start

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _remind(service) -> str:
    deploy(service)
    instance_id = start(service, T0, T0 + timedelta(hours=4), now=T0, advocate="advocate1")
    deadline = deadline_of(service, instance_id)
    service.db.run(notifications.remind, deadline.id, T0 + timedelta(hours=3))
    return instance_id


def test_the_badge_counts_the_users_unread_on_every_page(service, web):
    _remind(service)
    browser = web("advocate1")
    for page in ("/inbox", "/cases", "/notifications"):
        assert browser.get(page).status_code == 200
        assert 'aria-label="1 unread"' in browser.last, page
    other = web("advocate2")
    other.get("/inbox")
    assert "Notifications" in other.last and "unread" not in other.last


def test_the_list_shows_a_link_to_the_task_and_no_case_content(service, web):
    instance_id = _remind(service)
    browser = web("advocate1")
    browser.get("/notifications")
    assert "Reminder: a target is near" in browser.last
    assert "/inbox/" in browser.last
    assert PERSON not in browser.last
    assert instance_id  # the case is reached through the task link


def test_marking_read_clears_the_badge_and_needs_the_csrf_token(service, web):
    _remind(service)
    browser = web("manager1")
    (item,) = service.get("/notifications", "manager1").get_json()["items"]
    refused = browser.post(f"/notifications/{item['id']}/read", csrf=False)
    assert refused.status_code in (400, 403)
    done = browser.post(f"/notifications/{item['id']}/read", page="/notifications")
    assert done.status_code == 303
    browser.get("/notifications")
    assert "unread" not in browser.last.split("</header>")[0]
    # another user's notification is not found for this user
    (theirs,) = service.get("/notifications", "advocate1").get_json()["items"]
    assert browser.post(f"/notifications/{theirs['id']}/read", page="/notifications").status_code == 404
    assert service.get("/notifications", "advocate1").get_json()["unread"] == 1


def test_the_list_needs_a_login(web):
    response = web().get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_inbox_shows_the_roles_queue_when_nothing_is_assigned(service, web):
    deploy(service)
    start(service, T0, T0 + timedelta(hours=4), now=T0)  # unassigned, for the advocate role
    browser = web("manager1")
    browser.get("/inbox")
    # nothing assigned to manager1 and no manager task: still the (empty) manager queue, chosen
    assert 'value="unclaimed" checked' in browser.last
    mine = browser.get("/inbox?view=mine")
    assert mine.status_code == 200 and 'value="mine" checked' in browser.last
