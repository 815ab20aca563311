"""Logging in and out of the web interface, and who the caller of a page is.

A web session holds one bearer token of the API (issued at login, revoked at
logout), so the pages obey exactly the permissions of the API: a deactivated
user or a revoked token is logged out on the next page, and the admin's
``POST /users/{name}/deactivate`` ends every session of that user.  The session
cookie is signed, HttpOnly and SameSite=Lax (``service.security``); every form
that changes something carries the session's CSRF token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from service.access import auth
from service.access.permissions import Actor
from service.base.problems import Locked, Problem, Unauthorized
from service.http.csrf import csrf_protect, rotate_csrf_token
from service.store.uow import Database

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_KEY = "token"

blp = Blueprint("web_session", __name__)


def database() -> Database:
    return current_app.extensions["advocacy_flow.db"]


def web_actor() -> Actor | None:
    """The logged-in user of this request, or None (no session, or its token no longer works)."""
    if "web_actor" in g:
        return g.web_actor
    token = session.get(TOKEN_KEY)
    who = None
    if isinstance(token, str):
        try:
            who = database().peek(auth.authenticate, token)
        except Unauthorized:
            session.pop(TOKEN_KEY, None)
    g.web_actor = who
    return who


def login_required(view: F) -> F:
    """A page for logged-in users: others are sent to the login page, and come back after."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = web_actor()
        if who is None:
            return redirect(url_for("web_session.login", next=request.full_path.rstrip("?")))
        return view(who, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _local(target: str | None) -> str | None:
    """Only a path of this site is followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@blp.route("/login", methods=["GET"])
def login():
    if web_actor() is not None:
        return redirect(_local(request.args.get("next")) or url_for("web.home"))
    return render_template("login.html", next=_local(request.args.get("next")) or "", error=None)


@blp.route("/login", methods=["POST"])
@csrf_protect
def login_post():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = _local(request.form.get("next"))
    if not username or not password:
        return _login_failed("Enter your username and your password.", username, target, 422)
    if "\x00" in username + password:
        return _login_failed(
            "The username or password holds a character that is not allowed.", "", target, 422
        )
    settings = current_app.config["SETTINGS"]
    try:
        token, _expires, _user = database().run(auth.login, username, password, settings.token_ttl_hours)
    except Locked as err:
        return _login_failed(_sentence(err), username, target, 423)
    except Problem as err:
        return _login_failed(_sentence(err), username, target, err.status)
    old = session.get(TOKEN_KEY)
    language = session.get("language")
    session.clear()  # a fresh session at login: nothing of an earlier one carries over but its language
    if language is not None:
        session["language"] = language
    if isinstance(old, str):
        database().run(auth.revoke, old)
    session[TOKEN_KEY] = token
    session.permanent = True
    rotate_csrf_token()
    return redirect(target or url_for("web.home"), code=303)


def _sentence(err: Problem) -> str:
    from service.http.problem_texts import translate

    detail = translate(err.detail)
    return detail[:1].upper() + detail[1:] + "."


def _login_failed(message: str, username: str, target: str | None, status: int):
    page = render_template("login.html", next=target or "", error=message, username=username)
    return page, status


@blp.route("/logout", methods=["POST"])
@csrf_protect
def logout():
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        database().run(auth.revoke, token)
    session.clear()
    rotate_csrf_token()
    return redirect(url_for("web_session.login", out=1), code=303)
