"""Users, passwords (Argon2) and bearer tokens (stored as SHA-256 hashes).

Logins resist guessing without telling who exists:

* every attempt costs one Argon2 verification, for unknown and deactivated
  users too (against a dummy hash);
* every failure waits a delay that doubles with the failures of that user
  name (known or not) in the last ``LOCK_MINUTES``, up to ``MAX_DELAY``;
* ``MAX_FAILURES`` failures in a row lock the name for ``LOCK_MINUTES``: the
  database locks a real account, this process locks a name that has none, so
  both answer 423 alike; a locked name answers 423 whether or not the password
  is right, after the same verification and delay.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from service.access.permissions import ROLES, Actor
from service.base.languages import LANGUAGES
from service.base.problems import Conflict, Invalid, Locked, NotFound, Unauthorized
from service.store import direct
from service.store.models import ApiToken, User

_hasher = PasswordHasher()
MAX_FAILURES = 5
LOCK_MINUTES = 15
BASE_DELAY = 0.1  # seconds after the first failure; doubles with each further one
MAX_DELAY = 1.0
MIN_PASSWORD = 8
_DUMMY_HASH = _hasher.hash("not a real password")
_WRONG = "wrong username or password"
_LOCKED = "too many failed logins; the account is locked for a while"
_sleep = time.sleep  # the slow-down (tests replace it to read the delays)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class _Attempts:
    """Failed logins per user name in this process: the delay for all, the lock for unknown names."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, tuple[int, float, float]] = OrderedDict()  # count, last, locked_until

    def _row(self, name: str, now: float) -> tuple[int, float, float]:
        count, last, locked_until = self._rows.get(name, (0, 0.0, 0.0))
        if now - last > LOCK_MINUTES * 60:
            count = 0
        return count, last, locked_until

    def locked(self, name: str) -> bool:
        with self._lock:
            return self._row(name, time.monotonic())[2] > time.monotonic()

    def fail(self, name: str, *, lock: bool) -> float:
        """Count a failure; returns the delay to wait before answering."""
        now = time.monotonic()
        with self._lock:
            count, _, locked_until = self._row(name, now)
            count += 1
            if lock and count >= MAX_FAILURES and locked_until <= now:
                locked_until = now + LOCK_MINUTES * 60
            self._rows[name] = (count, now, locked_until)
            self._rows.move_to_end(name)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
        return min(BASE_DELAY * 2 ** (count - 1), MAX_DELAY)

    def clear(self, name: str) -> None:
        with self._lock:
            self._rows.pop(name, None)


attempts = _Attempts()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def check_languages(languages: Any) -> list[str]:
    """A user's languages: a list of distinct ISO 639 codes (e.g. ["en", "cy"]), at most 10."""
    if (
        not isinstance(languages, list)
        or len(languages) > 10
        or not all(isinstance(code, str) and LANGUAGE_CODE.match(code) for code in languages)
        or len(set(languages)) != len(languages)
    ):
        raise Invalid(
            "bad languages",
            errors={"languages": ['a list of distinct language codes such as ["en", "cy"], at most 10']},
        )
    return list(languages)


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str | None,
    *,
    password_hash: str | None = None,
    languages: list[str] | None = None,
    language: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns it and the password used (generated when none is given).

    ``password_hash``, when given, must be the Argon2 hash of ``password`` (saves hashing again).
    """
    if role not in ROLES:
        raise Invalid(f"unknown role '{role}'", errors={"role": [f"must be one of {', '.join(ROLES)}"]})
    if (
        not username
        or len(username) > 64
        or not username.isascii()
        or not username.replace("_", "").replace(".", "").replace("-", "").isalnum()
    ):
        raise Invalid("bad username", errors={"username": ["letters, digits, '.', '_' or '-', at most 64"]})
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user '{username}' already exists")
    _check_language(language)
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise Invalid("password too short", errors={"password": [f"at least {MIN_PASSWORD} characters"]})
    user = User(
        username=username,
        role=role,
        password_hash=password_hash or hash_password(password),
        active=True,
        failed_logins=0,
        created_at=datetime.now(UTC),
        languages=check_languages(languages) if languages is not None else None,
        language=language,
    )
    session.add(user)
    session.flush()
    return user, password


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=ttl_hours)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=expires))
    session.flush()
    return token, expires


def login(session: Session, username: str, password: str, ttl_hours: int) -> tuple[str, datetime, User]:
    """Check a password: repeated failures are slowed, then the name is locked for a while."""
    now = datetime.now(UTC)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)  # the same work as for a real account
        if attempts.locked(username):
            _fail(username, lock=False, locked=True)
        _fail(username, lock=True)
    correct = _verify(user.password_hash, password)  # verified even when locked: the same time either way
    if user.locked_until is not None and user.locked_until > now:
        _fail(username, lock=False, locked=True)
    if not correct:
        session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        session.refresh(user)
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        session.commit()  # the failure counts although the request fails
        _fail(username, lock=False)
    user.failed_logins = 0
    user.locked_until = None
    attempts.clear(username)
    token, expires = issue_token(session, user, ttl_hours)
    return token, expires, user


def _fail(username: str, *, lock: bool, locked: bool = False) -> NoReturn:
    _sleep(attempts.fail(username, lock=lock))
    if locked:
        raise Locked(_LOCKED)
    raise Unauthorized(_WRONG)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session | Connection, token: str) -> Actor:
    return authenticate_with(session, token, TOKEN_CHECK, {})[0]


def authenticate_with(
    session: Session | Connection, token: str, statement: Select, params: dict[str, Any]
) -> tuple[Actor, tuple[Any, ...]]:
    """``authenticate`` by ``statement``: ``TOKEN_CHECK``, or a SELECT of columns whose first columns are
    its columns and whose others read what the caller's request needs next, in the same round trip
    (both run as ``direct.first``: every request runs one).

    Returns the caller and the row (401 when the token is unknown, expired or revoked, or its user
    inactive).
    """
    now = datetime.now(UTC)
    if len(token) > 256:
        raise Unauthorized("unknown token")
    connection = session.connection() if isinstance(session, Session) else session
    row = direct.first(connection, statement, {**params, "token_hash": _token_hash(token)})
    if row is None:
        raise Unauthorized("unknown token")
    revoked_at, expires_at, active, username, role, language = row[:6]
    if revoked_at is not None or expires_at <= now or not active:
        raise Unauthorized("the token has expired or was revoked")
    return Actor(username=username, role=role, language=language), row


# One statement, built once, reading only the columns the check needs (every request runs it).
TOKEN_CHECK = (
    select(ApiToken.revoked_at, ApiToken.expires_at, User.active, User.username, User.role, User.language)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def revoke(session: Session, token: str) -> bool:
    """Revoke one token; True when it was live."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = datetime.now(UTC)
    return True


def revoke_all(session: Session, user: User) -> int:
    """Revoke every live token of ``user``; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return result.rowcount or 0


# -- user management (admin) ---------------------------------------------------------------


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise Invalid(
            f"unknown language '{language}'", errors={"language": [f"must be one of {', '.join(LANGUAGES)}"]}
        )


def set_language(session: Session, username: str, language: str | None) -> User:
    """The language of a user's pages, forms and problem details (None: the browser's Accept-Language)."""
    _check_language(language)
    user = get_user(session, username)
    user.language = language
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def list_users(
    session: Session, *, role: str | None = None, active: bool | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset)).all()
    return list(rows), total


def set_languages(session: Session, username: str, languages: Any) -> User:
    """Record the languages a user works in (Welsh-medium allocation reads an advocate's)."""
    user = get_user(session, username)
    user.languages = check_languages(languages)
    session.flush()
    return user


def deactivate_user(session: Session, actor: Actor, username: str) -> User:
    """Deactivate a user and revoke their tokens (not oneself: an admin cannot lock themselves out)."""
    user = get_user(session, username)
    if user.username == actor.username:
        raise Conflict("you cannot deactivate your own account")
    user.active = False
    revoke_all(session, user)
    session.flush()
    return user
