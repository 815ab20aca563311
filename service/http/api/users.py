"""Users (admin) and token revocation (anyone, for their own token).

Password hashes never leave the service: no schema here has a field for one.
"""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.access import auth
from service.access.permissions import ROLES, require_role
from service.base.languages import LANGUAGES
from service.base.problems import Invalid
from service.http.context import actor, db
from service.http.schemas import Page, Strict

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users and tokens")

USERNAME = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$", error="letters, digits, '.', '_' or '-', at most 64")


class UserOut(Schema):
    username = fields.String()
    role = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    locked_until = fields.DateTime(allow_none=True)
    languages = fields.List(fields.String(), allow_none=True)
    language = fields.String(allow_none=True, metadata={"description": "cy or en; null: the browser's"})


class UserCreated(UserOut):
    password = fields.String(
        metadata={"description": "the generated password, shown once; absent when one was given"}
    )


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))
    total = fields.Integer()


class UserCreate(Strict):
    username = fields.String(required=True, validate=USERNAME)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(
        validate=validate.Length(min=auth.MIN_PASSWORD, max=1024),
        metadata={"description": "generated (and returned once) when absent"},
    )
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$", error="a language code such as 'cy'")),
        validate=validate.Length(max=10),
        metadata={"description": 'language codes the user works in, e.g. ["en", "cy"]'},
    )
    language = fields.String(validate=validate.OneOf(LANGUAGES), allow_none=True)
    email = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "optional: reminders are e-mailed here when ADVOCACY_FLOW_SMTP_URL is set"},
    )


class UserPatch(Strict):
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$", error="a language code such as 'cy'")),
        validate=validate.Length(max=10),
        metadata={"description": 'language codes the user works in, e.g. ["en", "cy"]'},
    )
    language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        allow_none=True,
        metadata={
            "description": "the user's pages, forms and problem details: cy or en (null: the browser's)"
        },
    )
    email = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "optional: reminders are e-mailed here when ADVOCACY_FLOW_SMTP_URL is set"},
    )


class UserQuery(Page):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


@blp.route("/auth/revoke", methods=["POST"])
@blp.response(204)
def revoke():
    """Revoke the token this request carries (log out)."""
    actor()
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    db().run(auth.revoke, token)
    return ""


@blp.route("/users")
@blp.arguments(UserQuery, location="query")
@blp.response(200, UserList)
def list_users(query):
    require_role(actor(), "admin")
    items, total = db().read(
        lambda session: auth.list_users(
            session,
            role=query.get("role"),
            active=query.get("active"),
            limit=query["limit"],
            offset=query["offset"],
        )
    )
    return {"items": items, "total": total}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreate)
@blp.response(201, UserCreated)
def create_user(body):
    require_role(actor(), "admin")

    def run(session):
        user, password = auth.create_user(
            session,
            body["username"],
            body["role"],
            body.get("password"),
            languages=body.get("languages"),
            language=body.get("language"),
        )
        if body.get("email"):
            user.email = body["email"]
        out = {c: getattr(user, c) for c in _SHOWN}
        if not body.get("password"):
            out["password"] = password
        return out

    return db().run(run)


_SHOWN = ("username", "role", "active", "created_at", "locked_until", "language", "languages")


@blp.route("/users/<string:username>", methods=["PATCH"])
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
def update_user(body, username):
    """Change a user's language (``"cy"`` or ``"en"``), the languages they work in (Welsh-medium
    allocation) or their e-mail address (reminders)."""
    require_role(actor(), "admin")
    if not body:
        raise Invalid("nothing to change", errors={"language": ["give language, languages or email"]})

    def run(session):
        if "languages" in body:
            auth.set_languages(session, username, body["languages"])
        if "language" in body:
            auth.set_language(session, username, body["language"])
        user = auth.get_user(session, username)
        if "email" in body:
            user.email = body["email"]
        return user

    return db().run(run)


@blp.route("/users/<string:username>/deactivate", methods=["POST"])
@blp.response(200, UserOut)
def deactivate(username):
    """Deactivate a user: their tokens are revoked and they can no longer log in."""
    who = actor()
    require_role(who, "admin")
    return db().run(auth.deactivate_user, who, username)
