"""Logging in and out of the web pages: session cookie, CSRF, the API's own tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.access import auth
from service.store.models import ApiToken, User


def test_a_page_sends_a_stranger_to_the_login_page_and_back(web):
    browser = web()
    response = browser.get("/inbox?view=all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/inbox?view%3Dall"
    response = browser.post(
        "/login",
        {"username": "manager1", "password": "correct-horse-battery", "next": "/inbox?view=all"},
        page="/login",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/inbox?view=all"
    assert browser.get("/inbox?view=all").status_code == 200
    assert "manager1" in browser.last and "Every task I may see" in browser.last


def test_each_role_s_menu_links_only_pages_it_may_open(web):
    menus = {
        "manager1": ["/inbox", "/cases", "/start", "/dashboard", "/supervision"],
        "advocate1": ["/inbox", "/cases"],
        "commissioner1": ["/dashboard", "/inbox", "/cases", "/start", "/supervision"],
        "auditor1": ["/audit", "/cases", "/dashboard"],
        "admin1": ["/cases", "/migrations"],
    }
    for user, links in menus.items():
        browser = web(user)
        page = browser.get(links[0]).get_data(as_text=True)
        nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
        assert re.findall(r'href="([^"]+)"', nav) == links, user
        for link in links:
            assert browser.get(link).status_code == 200, (user, link)


def test_each_role_lands_on_its_own_start_page(web):
    homes = {
        "manager1": "/inbox",
        "advocate1": "/inbox",
        "commissioner1": "/dashboard",
        "auditor1": "/audit",
        "admin1": "/cases",
    }
    for user, home in homes.items():
        browser = web(user)
        assert browser.get("/").headers["Location"] == home, user


def test_login_is_refused_without_the_forms_csrf_token_or_from_another_site(web, service):
    browser = web()
    browser.get("/login")
    no_token = browser.post(
        "/login", {"username": "manager1", "password": "correct-horse-battery"}, csrf=False
    )
    assert no_token.status_code == 403 and "The CSRF token is missing or invalid" in browser.last
    assert "<html" in browser.last  # a page, not JSON
    other_site = browser.post(
        "/login",
        {"username": "manager1", "password": "correct-horse-battery"},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403 and "Cross-origin form submissions are refused." in browser.last
    forged = browser.post(
        "/login", {"username": "manager1", "password": "correct-horse-battery"}, headers={"Origin": "null"}
    )
    assert forged.status_code == 403
    assert browser.get("/inbox").status_code == 302  # still not logged in


def test_a_wrong_password_says_so_and_logs_nobody_in(web, service):
    browser = web()
    response = browser.post("/login", {"username": "manager1", "password": "wrong password"}, page="/login")
    assert response.status_code == 401
    assert "Wrong username or password." in browser.last
    assert 'value="manager1"' in browser.last  # the name is kept, the password is not
    assert "wrong password" not in browser.last
    empty = browser.post("/login", {"username": "", "password": ""}, page="/login")
    assert empty.status_code == 422 and "Enter your username and your password." in browser.last
    assert browser.get("/inbox").status_code == 302


def test_repeated_failures_lock_the_account(web, service, monkeypatch):
    monkeypatch.setattr(auth, "_sleep", lambda _seconds: None)
    browser = web()
    for _ in range(auth.MAX_FAILURES):
        browser.post("/login", {"username": "advocate2", "password": "nope nope"}, page="/login")
    response = browser.post(
        "/login", {"username": "advocate2", "password": "correct-horse-battery"}, page="/login"
    )
    assert response.status_code == 423
    assert "locked" in browser.last


def test_only_a_path_of_this_site_is_followed_after_login(web):
    for target in (
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\r\nSet-Cookie:x",
        "/a\x00b",
    ):
        browser = web()
        response = browser.post(
            "/login",
            {"username": "manager1", "password": "correct-horse-battery", "next": target},
            page="/login",
        )
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target


def _live_tokens(service, username: str) -> int:
    def read(session):
        user = session.scalars(select(User).where(User.username == username)).one()
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
        return sum(1 for t in rows if t.revoked_at is None)

    return service.db.read(read)


def test_logout_revokes_the_sessions_token(web, service):
    before = _live_tokens(service, "manager2")
    browser = web("manager2")
    assert _live_tokens(service, "manager2") == before + 1
    response = browser.post("/logout", page="/inbox")
    assert response.status_code == 303 and response.headers["Location"] == "/login?out=1"
    assert _live_tokens(service, "manager2") == before
    assert browser.get("/inbox").status_code == 302
    refused = browser.post("/logout", page="/login")  # logging out twice is harmless
    assert refused.status_code == 303


def test_logout_needs_the_csrf_token(web, service):
    browser = web("manager2")
    browser.get("/inbox")
    response = browser.post("/logout", csrf=False)
    assert response.status_code == 403
    assert browser.get("/inbox").status_code == 200  # still logged in


def test_a_deactivated_user_is_logged_out_on_the_next_page(web, service):
    browser = web("advocate1")
    assert browser.get("/inbox").status_code == 200
    response = service.post("/users/advocate1/deactivate", "admin1")
    assert response.status_code == 200, response.get_json()
    assert browser.get("/inbox").status_code == 302


def test_the_session_cookie_and_page_headers(web):
    browser = web()
    browser.get("/login")
    response = browser.post(
        "/login", {"username": "manager1", "password": "correct-horse-battery"}, page="/login"
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-advocacy_flow_session=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert attribute in cookie
    assert "Domain" not in cookie
    page = browser.get("/inbox")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    api = browser.client.get("/api/v1/health")
    assert api.headers["Referrer-Policy"] == "no-referrer"


def test_a_session_cookie_is_not_a_bearer_token_for_the_api(web):
    browser = web("manager1")
    response = browser.client.get("/api/v1/tasks")
    assert response.status_code == 401


def test_a_nul_character_in_a_login_is_refused_plainly(web):
    browser = web()
    for username, password in (("manager1\x00", "correct-horse-battery"), ("manager1", "correct\x00horse")):
        response = browser.post("/login", {"username": username, "password": password}, page="/login")
        assert response.status_code == 422
        assert "holds a character that is not allowed" in browser.last
    assert browser.get("/inbox").status_code == 302
