"""The web interface: pages for managers, advocates, commissioners and auditors.

Served by the same Flask application as the API, calling the same use cases (``service.cases``) with the
same ``Actor``, so a page can never show or do more than the API would let that user.  One blueprint a
module: ``session`` (login), ``home`` (each role's start page and navigation), ``inbox``, ``cases``,
``dashboard``, ``audit_pages``; ``forms`` renders JSON Schema forms, ``charts`` draws SVG, ``record`` and
``listing`` prepare what pages show, ``filters`` are the templates' filters.  Templates are in
``templates/``, the style sheet and scripts in ``static/``; bpmn-js is copied into ``static/vendor/`` by
``make vendor`` from the npm registry (never fetched by the browser from elsewhere).

Imports ``service.base``, ``service.access``, ``service.cases``, ``service.http`` (CSRF, problem details) and
``workflows.calendar`` (the service's time zone); never ``service.store`` (``session`` holds the request's
unit of work).
"""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from service.base.problems import Problem
from service.http.problem_texts import translate
from service.web.filters import due_state, humanise, number, percent, shown, when
from service.web.session import web_actor


def _problem_page(err: Problem):
    """A problem raised by a page's use case, as a page (not JSON) with the same status."""
    if err.status == 401:
        return redirect(url_for("web_session.login", next=request.full_path.rstrip("?")))
    if request.method == "POST" and err.status == 409:
        detail = translate(err.detail)
        flash(f"{detail[:1].upper()}{detail[1:]}.", "error")
        return redirect(request.referrer or url_for("web.home"), code=303)
    return render_template("error.html", who=web_actor(), error=err), err.status


def _is_page() -> bool:
    return (request.blueprint or "").startswith("web")


def init_web(app: Flask) -> None:
    from service.http.errors import problem_response
    from service.web import (
        audit_pages,
        cases,
        casework,
        dashboard,
        home,
        inbox,
        migration_page,
        notices,
        session,
        supervision,
    )
    from service.web.language import init_language

    init_language(app)

    for module in (
        session,
        inbox,
        cases,
        casework,
        dashboard,
        audit_pages,
        supervision,
        notices,
        migration_page,
        home,
    ):
        app.register_blueprint(module.blp)
    unexpected = app.error_handler_spec[None][None][Exception]

    @app.errorhandler(Problem)
    def _problem(err: Problem):  # pages answer with a page, the API with problem details
        return _problem_page(err) if _is_page() else problem_response(err.to_json(), err.status)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if not _is_page() or isinstance(err, HTTPException):
            return unexpected(err)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        failed = Problem("the service failed; the error was logged, and nothing was changed")
        failed.status, failed.title = 500, "Something went wrong"
        return render_template("error.html", who=None, error=failed), 500

    app.jinja_env.filters.update(
        when=when,
        due_state=due_state,
        humanise=humanise,
        shown=shown,
        number=number,
        percent=percent,
        problem_text=translate,
    )
    app.jinja_env.globals.update(
        nav=home.NAV, web_actor=web_actor, unread_notifications=notices.unread_notifications
    )
