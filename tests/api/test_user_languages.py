"""Users' languages over HTTP (POST and PATCH /users): what Welsh-medium allocation reads."""

from __future__ import annotations

import pytest


def patch(service, user: str, username: str, body):
    return service.client.patch(f"/api/v1/users/{username}", json=body, headers=service.headers(user))


def test_admin_creates_an_advocate_with_languages_and_changes_them(service) -> None:
    body = {"username": "cerys", "role": "advocate", "password": "a-long-password", "languages": ["cy", "en"]}
    created = service.post("/users", "admin1", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["languages"] == ["cy", "en"]
    changed = patch(service, "admin1", "cerys", {"languages": ["en"]})
    assert changed.status_code == 200 and changed.get_json()["languages"] == ["en"]
    listed = service.get("/users?role=advocate", "admin1").get_json()["items"]
    assert {u["username"]: u["languages"] for u in listed}["cerys"] == ["en"]


@pytest.mark.parametrize(
    "languages",
    [["Welsh"], ["cy", "cy"], "cy", [1], ["c"], ["en"] * 11, None],
)
def test_bad_languages_are_refused_naming_the_field(service, languages) -> None:
    r = patch(service, "admin1", "advocate1", {"languages": languages})
    assert r.status_code == 422 and "languages" in str(r.get_json().get("errors")), r.get_json()
    body = {"username": "dai", "role": "advocate", "password": "a-long-password", "languages": languages}
    assert service.post("/users", "admin1", body).status_code == 422
    users = {u["username"]: u for u in service.get("/users", "admin1").get_json()["items"]}
    assert "dai" not in users and users["advocate1"]["languages"] is None


def test_patch_needs_languages_and_a_known_user_and_the_admin(service) -> None:
    assert patch(service, "admin1", "advocate1", {}).status_code == 422
    assert patch(service, "admin1", "advocate1", {"role": "admin"}).status_code == 422
    assert patch(service, "admin1", "nobody", {"languages": ["cy"]}).status_code == 404
    assert patch(service, "manager1", "advocate1", {"languages": ["cy"]}).status_code == 403
