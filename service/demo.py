"""Demo data: one user per role, the default SLA, and instances of the deployed processes."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from . import auth, instances
from .models import User
from .permissions import Actor
from .uow import Database

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin1", "admin"),
    ("commissioner1", "commissioner"),
    ("manager1", "manager"),
    ("manager2", "manager"),
    ("advocate1", "advocate"),
    ("advocate2", "advocate"),
    ("auditor1", "auditor"),
]


def _users(session) -> list[str]:
    created = []
    for username, role in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            auth.create_user(session, username, role, DEMO_PASSWORD)
            created.append(username)
    return created


def _example_instances(session) -> int:
    from .definitions import latest_definition

    if latest_definition(session, "example_callback") is None:
        return 0
    manager = Actor("manager1", "manager")
    started = instances.start_instance(
        session, manager, "example_callback", {"caller_ref": "DEMO-001", "priority": "high"}
    )
    waiting = instances.start_instance(
        session,
        manager,
        "example_callback",
        {"caller_ref": "DEMO-002", "priority": "normal"},
        business_key="DEMO-002",
    )
    task = next(
        t for t in session.scalars(select(instances.Task).where(instances.Task.instance_id == waiting.id))
    )
    instances.complete_task(
        session, manager, task.id, {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": True}
    )
    del started
    return 2


def load(database: Database) -> Iterator[str]:
    created = database.run(_users)
    count = database.run(_example_instances)
    yield f"demo users ({len(created)} new), password '{DEMO_PASSWORD}':"
    for username, role in DEMO_USERS:
        yield f"  {username:<14} {role}"
    yield f"demo instances started: {count}"
