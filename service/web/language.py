"""The language of a request, the language switch (``POST /language``) and the gettext catalogues.

A request is answered in its caller's ``language`` (the user's column), else in the language chosen with
the switch before logging in (kept in the session), else in the best of ``Accept-Language`` (``cy``,
``en``), else in English.  The switch is a form on every page: it remembers the choice for the user (or
the session) and returns to the same URL, so the page and the state its address holds (filters, the
audit step, the page of a list) stay as they were; ``static/language.js`` carries a half-filled form over.

The catalogues are ``service/translations/<lang>/LC_MESSAGES/messages.po`` (under version control); their
compiled ``.mo`` files are built by ``make setup`` and, when missing or older than their ``.po``, here at
start-up, so a fresh clone serves Welsh without a build step.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, has_request_context, redirect, request, session, url_for
from flask_babel import Babel, get_locale

from service.access import auth
from service.base.languages import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES
from service.base.problems import Invalid, Problem
from service.http.csrf import csrf_protect
from service.web.session import _local, database, web_actor

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGE_KEY = "language"  # the session's choice, before (or without) a user

blp = Blueprint("web_language", __name__)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older; returns the files written."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo)
    return written


def _caller():
    """The user of this request (bearer token or web session), or None; never raises."""
    try:
        if request.headers.get("Authorization"):
            from service.http.context import actor

            return actor()
        return web_actor()
    except Problem:
        return None


def select_language() -> str:
    who = _caller()
    if who is not None and who.language in LANGUAGES:
        return who.language
    chosen = session.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this request ('en' outside one)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    locale = get_locale()
    return str(locale) if locale is not None and str(locale) in LANGUAGES else DEFAULT_LANGUAGE


def html_lang() -> str:
    return HTML_LANG[current_language()]


def return_to() -> str:
    """Where the switch returns: this page's address (a page shown after a POST: the page it came from)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = request.referrer or ""
    base = request.host_url.rstrip("/")
    return referrer[len(base) :] if referrer.startswith(base) else url_for("web.home")


@blp.route("/language", methods=["POST"])
@csrf_protect
def switch():
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        raise Invalid("unknown language", errors={"language": [f"must be one of {', '.join(LANGUAGES)}"]})
    session[LANGUAGE_KEY] = language
    who = web_actor()
    if who is not None:
        database().run(auth.set_language, who.username, language)
    return redirect(_local(request.form.get("next")) or url_for("web.home"), code=303)


def init_language(app: Flask) -> None:
    try:
        compile_catalogues()
    except OSError:  # a read-only install: the .mo files came with it (make setup)
        app.logger.warning("could not compile the translation catalogues in %s", TRANSLATIONS)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_language)
    app.register_blueprint(blp)
    app.jinja_env.globals.update(html_lang=html_lang, current_language=current_language, return_to=return_to)
