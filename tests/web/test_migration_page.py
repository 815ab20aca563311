"""The admin's migration page: a dry run first, then the move; the result table; CSRF; Welsh; admin only."""

from __future__ import annotations

from tests.api.test_migrations import PROCESS, Walk, _deploy_v2
from tests.scenarios.migration_check import rows

MAPPING = "call_back = return_call\nwait_documents = documents_in\n"


def test_dry_run_then_migrate_from_the_page(deployed, web) -> None:
    service = deployed
    walk = Walk(service)
    iid = walk.start("CB-0200")
    _deploy_v2(service)
    admin = web("admin1")
    page = admin.get("/migrations")
    assert page.status_code == 200 and "Move running cases to another version" in admin.last
    assert f'<option value="{PROCESS}"' in admin.last
    before = rows(service.db, iid)

    refused = admin.post(
        "/migrations", {"process": PROCESS, "to_version": "2", "mapping": "", "action": "dry_run"}
    )
    assert refused.status_code == 200 and "Refused" in admin.last and "call_back" in admin.last
    dry = admin.post(
        "/migrations", {"process": PROCESS, "to_version": "2", "mapping": MAPPING, "action": "dry_run"}
    )
    assert dry.status_code == 200 and "Dry run: nothing was moved" in admin.last and "Can move" in admin.last
    assert rows(service.db, iid) == before

    moved = admin.post(
        "/migrations", {"process": PROCESS, "to_version": "2", "mapping": MAPPING, "action": "migrate"}
    )
    assert moved.status_code == 200 and "Moved" in admin.last and iid in admin.last
    assert service.get(f"/process-instances/{iid}", "manager1").get_json()["version"] == 2


def test_bad_lines_and_versions_are_shown_beside_their_fields_and_change_nothing(deployed, web) -> None:
    service = deployed
    iid = Walk(service).start("CB-0201")
    _deploy_v2(service)
    admin = web("admin1")
    before = rows(service.db, iid)
    for data, says in (
        (
            {"process": PROCESS, "to_version": "2", "mapping": "call_back return_call"},
            "Line 1 is not of the form",
        ),
        ({"process": PROCESS, "to_version": "two", "mapping": ""}, "whole number"),
        ({"process": PROCESS, "to_version": "7", "mapping": ""}, "has no version 7"),
        ({"process": "", "to_version": "2", "mapping": ""}, "Choose a process"),
        ({"process": PROCESS, "to_version": "2", "mapping": "a = b\na = c"}, "a second time"),
    ):
        response = admin.post("/migrations", {**data, "action": "migrate"})
        assert response.status_code == 422, data
        assert says in admin.last and "There is a problem" in admin.last, data
    assert rows(service.db, iid) == before


def test_only_the_admin_and_only_with_the_forms_csrf_token(deployed, web) -> None:
    service = deployed
    iid = Walk(service).start("CB-0202")
    _deploy_v2(service)
    before = rows(service.db, iid)
    for user in ("manager1", "auditor1", "commissioner1", "advocate1"):
        browser = web(user)
        assert browser.get("/migrations").status_code == 403, user
    admin = web("admin1")
    body = {"process": PROCESS, "to_version": "2", "mapping": MAPPING, "action": "migrate"}
    assert admin.post("/migrations", body, csrf=False).status_code in (400, 403)
    assert web().get("/migrations").status_code == 302
    assert rows(service.db, iid) == before


def test_the_page_in_welsh(deployed, web) -> None:
    admin = web("admin1")
    admin.get("/migrations", headers={"Accept-Language": "cy"})
    assert "Symud achosion sy'n rhedeg i fersiwn arall" in admin.last
    assert "Rhediad prawf" in admin.last


def test_refusals_and_field_problems_in_welsh(deployed, web) -> None:
    service = deployed
    Walk(service).start("CB-0203")
    _deploy_v2(service)
    admin = web("admin1")
    welsh = {"headers": {"Accept-Language": "cy"}}
    admin.post(
        "/migrations", {"process": PROCESS, "to_version": "2", "mapping": "", "action": "dry_run"}, **welsh
    )
    assert "Gwrthodwyd" in admin.last
    assert "ar agor neu&#39;n aros yma ac nid oes ganddo gyfatebiaeth yn y fersiwn newydd" in admin.last
    admin.post(
        "/migrations", {"process": PROCESS, "to_version": "7", "mapping": "", "action": "dry_run"}, **welsh
    )
    assert "nid oes gan &#39;example_callback&#39; fersiwn 7" in admin.last
