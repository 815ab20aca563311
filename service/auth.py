"""Users, passwords (Argon2) and bearer tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.model import ROLES

from .models import ApiToken, User
from .permissions import Actor
from .problems import Conflict, Invalid, Locked, Unauthorized

_hasher = PasswordHasher()
MAX_FAILURES = 5
LOCK_MINUTES = 15
_DUMMY_HASH = _hasher.hash("not a real password")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, username: str, role: str, password: str | None) -> tuple[User, str]:
    """Create a user; returns it and the password used (generated when none is given)."""
    if role not in ROLES:
        raise Invalid(f"unknown role '{role}'", errors={"role": [f"must be one of {', '.join(ROLES)}"]})
    if (
        not username
        or len(username) > 64
        or not username.replace("_", "").replace(".", "").replace("-", "").isalnum()
    ):
        raise Invalid("bad username", errors={"username": ["letters, digits, '.', '_' or '-', at most 64"]})
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user '{username}' already exists")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 8:
        raise Invalid("password too short", errors={"password": ["at least 8 characters"]})
    user = User(
        username=username,
        role=role,
        password_hash=_hasher.hash(password),
        active=True,
        failed_logins=0,
        created_at=datetime.now(UTC),
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
    """Check a password: repeated failures are slowed, then the account is locked for a while."""
    now = datetime.now(UTC)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)  # same work either way: no user enumeration by timing
        raise Unauthorized("wrong username or password")
    if user.locked_until is not None and user.locked_until > now:
        raise Locked("too many failed logins; the account is locked for a while")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        session.commit()
        time.sleep(min(0.1 * 2 ** min(user.failed_logins, 4), 1.0))
        raise Unauthorized("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    token, expires = issue_token(session, user, ttl_hours)
    return token, expires, user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, token: str) -> Actor:
    now = datetime.now(UTC)
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        raise Unauthorized("unknown token")
    api_token, user = row
    if api_token.revoked_at is not None or api_token.expires_at <= now or not user.active:
        raise Unauthorized("the token has expired or was revoked")
    return Actor(username=user.username, role=user.role)


def revoke(session: Session, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
