"""The case page's Reassign control (managers only): it calls the same use case as POST /tasks/{id}/assign."""

from __future__ import annotations

from tests.web.test_tasks import start_referral


def test_a_manager_reassigns_from_the_case_page(all_deployed, web):
    referral = start_referral(all_deployed)
    [task] = referral["active_tasks"]
    manager = web("manager1")
    path = f"/cases/{referral['id']}"
    page = manager.get(path).get_data(as_text=True)
    assert (
        "Reassign" in page and '<option value="manager2"' in page and '<option value="advocate1"' not in page
    )
    done = manager.post(f"{path}/assign", {"task_id": task["id"], "assignee": "manager2"}, page=path)
    assert done.status_code == 303
    assert "Reassigned to manager2." in manager.get(path).get_data(as_text=True)
    got = all_deployed.get(f"/tasks/{task['id']}", "manager1").get_json()
    assert got["assignee"] == "manager2"
    history = all_deployed.get(f"/process-instances/{referral['id']}/history", "manager1").get_json()["items"]
    assert history[-1]["data"] == {"assignee": "manager2", "reassigned_from": None}


def test_a_refused_assignee_is_explained_and_nothing_changes(all_deployed, web):
    referral = start_referral(all_deployed)
    [task] = referral["active_tasks"]
    manager = web("manager1")
    path = f"/cases/{referral['id']}"
    refused = manager.post(f"{path}/assign", {"task_id": task["id"], "assignee": "advocate1"}, page=path)
    assert refused.status_code == 303
    assert "Not reassigned" in manager.get(path).get_data(as_text=True)
    assert all_deployed.get(f"/tasks/{task['id']}", "manager1").get_json()["assignee"] is None


def test_no_reassign_control_for_other_roles(all_deployed, web):
    referral = start_referral(all_deployed)
    path = f"/cases/{referral['id']}"
    auditor = web("auditor1")
    assert "Reassign to" not in auditor.get(path).get_data(as_text=True)
