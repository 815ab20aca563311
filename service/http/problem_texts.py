"""Problem details in the caller's language: the titles, details and per-field messages of the service.

The use cases raise their problems in English (``service.base.problems``); the answer is translated here,
as it leaves, through the gettext catalogue.  A message with values in it is matched against the patterns
below (``{name}`` stands for a value), translated, and the values put back unchanged.  The ``type`` URI,
the ``status``, the field names in ``errors`` and any other member never change with the language; a
message the catalogue does not know stays in English.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _babel_gettext

from service.base.languages import N_

TITLES = (
    N_("Bad request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not found"),
    N_("Conflict"),
    N_("Payload too large"),
    N_("Unsupported media type"),
    N_("Validation failed"),
    N_("Locked"),
    N_("Too many requests"),
    N_("Something went wrong"),
    # werkzeug's names of the HTTP errors the framework raises itself
    N_("Bad Request"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Not Acceptable"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
)

# Details and field messages of the use cases, the API and the forms ({name}: a value kept as it is).
MESSAGES = (
    N_("no process instance {id}"),
    N_("no task {id}"),
    N_("no user '{username}'"),
    N_("no SLA '{key}'"),
    N_("no process definition '{key}'"),
    N_("no process definition '{key}' version {version}"),
    N_("no process definition {id}"),
    N_("no such resource"),
    N_("no instance with business key '{key}' is waiting for message '{name}'"),
    N_("instance {id} has no event {seq} (its history has events 1 to {last})"),
    N_("the admin role holds no casework content"),
    N_("only the {role} role may start '{process}'"),
    N_("the start variables do not match the start form"),
    N_("unknown SLA"),
    N_("task {id} is {status}, not open"),
    N_("task {id} is no longer open"),
    N_("the form data is not valid"),
    N_("the decision is not open here"),
    N_("the instance is in error; see its last history event"),
    N_("the instance is already {status}"),
    N_("the {role} role may not send messages to '{process}'"),
    N_("the {role} role may not do this"),
    N_("the {role} role may not {method} {path}"),
    N_("the {role} role may not see the commissioner dashboard"),
    N_("this task is for the {role} role"),
    N_("this task is assigned to {username}"),
    N_("no active user '{username}'"),
    N_("{username} is a {role}; this task is for the {task_role} role"),
    N_("the SLA cannot be recorded"),
    N_("an SLA needs a key, a provider, a commissioner and targets"),
    N_("the SLA targets are not valid"),
    N_("SLA '{key}' already exists"),
    N_("bad quarter"),
    N_("the deployment has {count} problem(s)"),
    N_("bad form name"),
    N_("a form is not JSON"),
    N_("no file in the upload"),
    N_("send at least one .bpmn file"),
    N_("send BPMN XML as application/xml, or multipart/form-data with 'file' parts"),
    N_("send the body as application/json, not {type}"),
    N_("the query string holds a NUL character"),
    N_("the body is nested too deeply"),
    N_("JSON values may be nested at most {depth} deep"),
    N_("the body holds a NUL character"),
    N_("must not contain NUL characters"),
    N_("send 'Authorization: Bearer <token>'"),
    N_("unknown role '{role}'"),
    N_("must be one of {choices}"),
    N_("bad username"),
    N_("letters, digits, '.', '_' or '-', at most 64"),
    N_("user '{username}' already exists"),
    N_("password too short"),
    N_("at least {count} characters"),
    N_("wrong username or password"),
    N_("too many failed logins; the account is locked for a while"),
    N_("unknown token"),
    N_("the token has expired or was revoked"),
    N_("you cannot deactivate your own account"),
    N_("unknown language '{language}'"),
    N_("unknown language"),
    N_("the record was changed by another request at the same time; try again"),
    N_("cross-origin form submissions are refused"),
    N_("the CSRF token is missing or invalid; reload the form and try again"),
    N_("the service failed; the error was logged"),
    N_("the service failed; the error was logged, and nothing was changed"),
    N_("the request does not match its schema"),
    N_("this case is not waiting for that message"),
    N_("not awaited"),
    N_("no process '{process}' that you may start"),
    N_("an event number is a whole number from 1"),
    N_("Enter a whole number from 1"),
    N_("log in to read the record"),
    N_("the export is JSON or CSV"),
    N_("Choose json or csv"),
    # migration (service.cases.migrations, workflows.migration): request checks and refused moves
    N_("the mapping must be an object of old id to new id"),
    N_("the mapping has more than {n} entries"),
    N_("each mapping entry must map an id (text) to an id (text)"),
    N_("'{source}' is not an element of the old version"),
    N_("'{source}' is mapped onto '{target}', which the new version lacks"),
    N_("'{source}' is mapped onto '{target}', which is mapped itself: no chains or cycles"),
    N_("'{source}' is mapped onto '{target}', which the old version already has"),
    N_("'{source}' and '{other}' are both mapped onto '{target}'"),
    N_("'{source}' ({was}) is mapped onto '{target}' ({becomes}): an element of another kind"),
    N_(
        "the new version's '{join}' ({name}) also waits for the branch from '{source}', which this case is not on: it would never pass it"
    ),
    N_("the new version's timer cannot be armed here: {detail}"),
    N_(
        "'{element}' is open or waiting here, and the new version has it in another scope ({scope}): an open activity cannot move into or out of a subprocess"
    ),
    N_("'{element}' is open or waiting here and has no counterpart in the new version"),
    N_("'{element}' was done here and has no counterpart in the new version: map it"),
    N_("'{element}' is a different kind of element in the new version"),
    N_(
        "'{element}' waits for {was}; in the new version it waits for {becomes}: what it waits for would be lost"
    ),
    N_(
        "'{element}' is open here and has boundary events only in the new version; they cannot be attached to it now"
    ),
    N_("the instance is of '{found}', not '{wanted}'"),
    N_("the instance is {status}: only running cases move"),
    N_("the instance is already on version {version}"),
    N_("the migration request is not valid"),
    N_("a process key (text) is required"),
    N_("a version number (a whole number from 1) is required"),
    N_("an object of old activity id to new activity id"),
    N_("at most {n} entries"),
    N_("each entry maps an activity id (text) to an activity id (text)"),
    N_("a list of instance ids (text)"),
    N_("at most {n} instances at a time"),
    N_("unknown process"),
    N_("no process '{key}'"),
    N_("unknown version"),
    N_("'{process}' has no version {version}"),
    N_("the mapping names elements the target version lacks"),
    N_("version {version} has no element '{id}'"),
    N_("bad period"),
    N_("a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])"),
    N_("must be after 'from'"),
    # the API's checks of a form's data (service.cases.instances, jsonschema)
    N_("this field is required"),
    N_("unknown field"),
    N_("{value} is not one of {choices}"),
    N_("{value} is not of type {type}"),
    N_("{value} is too long"),
    N_("{value} is too short"),
    N_("{value} should be non-empty"),
    N_("{value} does not match {pattern}"),
    N_("{value} is not a {format}"),
    N_("{value} is less than the minimum of {limit}"),
    N_("{value} is greater than the maximum of {limit}"),
    N_("{value} is not valid under any of the given schemas"),
    N_("{value} was expected"),
    N_("{value} has non-unique elements"),
    # marshmallow's messages for the API's schemas
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid UUID."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Invalid input type."),
    N_("Invalid value."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("String does not match expected pattern."),
)


def gettext(message: str) -> str:
    """The catalogue's translation; the message itself in an app without Flask-Babel (or outside one)."""
    if not has_app_context() or "babel" not in current_app.extensions:
        return message
    return _babel_gettext(message)


_FIELD = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """Each message with values as a regular expression (the longest first, so the most specific wins)."""
    found = []
    for message in sorted((m for m in MESSAGES if "{" in m), key=len, reverse=True):
        parts = _FIELD.split(message)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        found.append((re.compile(f"^{regex}$", re.DOTALL), message))
    return found


def translate(message: str) -> str:
    """One message in the request's language (unchanged when the catalogue does not know it)."""
    if not isinstance(message, str) or not message:
        return message
    translated = gettext(message)
    if translated != message or "{" in message:
        return translated
    for pattern, source in _patterns():
        match = pattern.match(message)
        if match:
            target = gettext(source)
            return target.format(**match.groupdict()) if target != source else message
    return message


def translate_problem(body: dict[str, Any]) -> dict[str, Any]:
    """A problem details body with its title, detail and field messages in the request's language."""
    out = dict(body)
    for key in ("title", "detail"):
        if isinstance(out.get(key), str):
            out[key] = translate(out[key])
    if isinstance(out.get("errors"), dict):
        out["errors"] = {
            name: [translate(m) if isinstance(m, str) else m for m in messages]
            if isinstance(messages, list)
            else messages
            for name, messages in out["errors"].items()
        }
    return out
