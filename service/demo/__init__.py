"""Demo data, loaded through the use cases the API calls: users, SLAs, and instances at every step.

``advocacy-flow demo`` (after ``advocacy-flow deploy``) creates one user per role, two negotiated
SLAs besides the default, a commissioning cycle in each stage, referrals at each step of
``referral_casework`` (some overdue, some escalated) and on each of the second edition's paths,
complaints resolved and escalated, and candidates at each check of ``recruitment_vetting``.  Person and candidate references are pseudonymous.  A story that took
months is replayed at the moments it happened: the loader keeps its own clock, and fires each
deadline due on the way at its due moment, as the scheduler would have.  Referrals received
days ago whose targets have passed are left for the scheduler, which escalates them when it runs.

Running it again changes nothing: if the demo users exist, it says so and stops.

``people`` (users, SLAs), ``loader`` (the use cases on the demo's own clock), ``commissioning``,
``casework``, ``second_edition``, ``complaints``, ``recruitment``: one story each. Imports the use cases (``service.cases``), ``service.access``,
``service.scheduler`` and, to look, ``service.store``; nothing imports it but the CLI and the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select

from service.cases.definitions import latest_definition
from service.demo.casework import referrals
from service.demo.commissioning import cycle
from service.demo.complaints import complaints
from service.demo.loader import Loader
from service.demo.people import DEMO_PASSWORD, DEMO_USERS, ROLES, create_slas, create_users
from service.demo.recruitment import candidates
from service.demo.second_edition import second_edition
from service.store.models import User
from service.store.uow import Database

PROCESSES = (
    "referral_casework",
    "sla_escalation",
    "recruitment_vetting",
    "commissioning_cycle",
    "advocate_supervision",
    "complaint",
)


def _instances(database: Database, now: datetime) -> dict[str, dict[str, list[str]]]:
    load = Loader(database, now)
    cycles = {
        stage: [cycle(load, now, name, authority, months, stage)]
        for stage, name, authority, months in (
            ("analyse", "Advocacy, East Riding", "East Riding Council", 0),
            ("plan", "Advocacy, South Vale", "South Vale Council", 2),
            ("deliver", "Advocacy, West Vale", "West Vale Health Board", 4),
            ("review", "Advocacy, North Borough", "North Borough Council", 16),
        )
    }
    casework = referrals(load, now)

    def add(step: str, iid: str) -> None:
        casework.setdefault(step, []).append(iid)

    second_edition(load, now, add, at_work=casework["advocacy_work"][0])
    return {
        "commissioning_cycle": cycles,
        "referral_casework": casework,
        "complaint": complaints(load, now),
        "recruitment_vetting": candidates(load, now),
    }


def load(database: Database, now: datetime | None = None) -> Iterator[str]:
    """Load the demo; yields the lines to print."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    logins = [f"  {username:<14} {role}" for username, role in DEMO_USERS]
    with database.sessions() as session:
        existing = session.scalars(select(User.username).where(User.username.in_(ROLES))).all()
        missing = [p for p in PROCESSES if latest_definition(session, p) is None]
    if existing:
        yield f"demo already loaded (demo users exist: {', '.join(sorted(existing))}): nothing changed."
        yield f"demo logins, password '{DEMO_PASSWORD}':"
        yield from logins
        return
    if missing:
        yield f"deploy the processes first ('advocacy-flow deploy'); missing: {', '.join(missing)}"
        return
    database.run(create_users)
    new_slas = database.run(create_slas)
    yield f"demo users created, password '{DEMO_PASSWORD}':"
    yield from logins
    yield f"SLAs added: {', '.join(new_slas) or 'none'}"
    made = _instances(database, now)
    for process, by_step in made.items():
        steps = ", ".join(f"{step} {len(ids)}" for step, ids in by_step.items())
        yield f"{process}: {sum(len(ids) for ids in by_step.values())} instances ({steps})"
    first_manager = next(username for username, role in DEMO_USERS if role == "manager")
    claimed = database.run(_assign_work, first_manager, now)
    yield f"{first_manager} holds {claimed} task(s): log in as {first_manager} to start working"


def _assign_work(session, username: str, now: datetime, count: int = 3) -> int:
    """The first manager printed gets work to do: a few open, unclaimed manager tasks, claimed."""
    from service.access.permissions import Actor
    from service.cases import instances
    from service.store.models import Task

    open_tasks = session.scalars(
        select(Task)
        .where(Task.status == "open", Task.role == "manager", Task.assignee.is_(None))
        .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
        .limit(count)
    ).all()
    for task in open_tasks:
        instances.claim_task(session, Actor(username, "manager"), task.id, now)
    return len(open_tasks)
