"""Notifications: reminders before an SLA target is missed, and the messages of BPMN send tasks.

A send task (``notification_templates``) notifies its template's recipients when the engine runs it,
in the step's own transaction: ``send_task`` writes the rows and their ``notification_sent`` events
after the step's events, and the e-mails go after the commit, as a reminder's do.

A reminder is due at ``ADVOCACY_FLOW_REMINDER_AT`` of a target's time (``deadlines.remind_at``,
set when the deadline is written).  The scheduler calls ``remind`` at that moment; the deadline's
row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and marked ``reminded_at`` in the same
transaction that writes the notifications and their ``notification_sent`` events, so with several
enforcers, and across restarts, a reminder is sent once.  E-mail (``ADVOCACY_FLOW_SMTP_URL``) goes
after the commit, and carries only the task's name and a link to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.base import mail
from service.base.config import public_url, smtp_url
from service.base.languages import N_, gettext_in
from service.base.overlays import diagram_names
from service.base.problems import NotFound
from service.cases.notification_templates import TEMPLATES
from service.store import persist
from service.store.models import Deadline, Notification, ProcessInstance, Task, User
from workflows.engine import EventDraft
from workflows.model import ProcessModel

REMINDER_SUBJECT = N_("Reminder: %(task)s")
MAIL_BODY = N_("%(subject)s\n\nOpen it in Advocacy Flow: %(link)s\n")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def managers(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == "manager", User.active.is_(True)).order_by(User.username)
        )
    )


def recipients_for(session: Session, task: Task) -> list[User]:
    """The assignee (or, for an unclaimed task, the role's managers) and the managers, once each."""
    people: dict[str, User] = {}
    if task.assignee:
        user = session.scalars(select(User).where(User.username == task.assignee)).first()
        if user is not None and user.active:
            people[user.username] = user
    for manager in managers(session):
        people.setdefault(manager.username, manager)
    return list(people.values())


def notify(
    session: Session,
    instance: ProcessInstance,
    people: list[User],
    *,
    kind: str,
    now: datetime,
    task: Task | None = None,
    activity_id: str | None = None,
    deadline: Deadline | None = None,
    template: str | None = None,
    subject: str,
    subject_values: dict[str, object] | None = None,
    values_in: Callable[[str | None], dict[str, object]] | None = None,
) -> list[Notification]:
    """Write one notification per person and its ``notification_sent`` event; e-mail after the commit.

    ``subject`` is a catalogue message (``N_``) filled with ``subject_values`` (or ``values_in(language)``):
    each e-mail is in its recipient's language (``users.language``), English when the user has none.
    """
    made = []
    drafts = []
    mails = []
    for person in people:
        row = Notification(
            recipient=person.username,
            kind=kind,
            instance_id=instance.id,
            task_id=task.id if task else None,
            deadline_id=deadline.id if deadline else None,
            template=template,
            due_at=deadline.due_at if deadline else (task.due_at if task else None),
            created_at=now,
            read_at=None,
        )
        session.add(row)
        made.append(row)
        data: dict[str, Any] = {"kind": kind, "recipient": person.username, "recipient_role": person.role}
        if template:
            data["template"] = template
        drafts.append(
            EventDraft(
                "notification_sent",
                activity_id=task.activity_id if task else activity_id,
                task_id=task.id if task else None,
                data=data,
            )
        )
        if person.email:
            link = f"{public_url()}/inbox/{task.id}" if task else f"{public_url()}/notifications"
            values = values_in(person.language) if values_in else subject_values
            title = gettext_in(person.language, subject, **(values or {}))
            body = gettext_in(person.language, MAIL_BODY, subject=title, link=link)
            mails.append(mail.Mail(person.email, title, body))
    if drafts:
        persist.append_events(session, instance, drafts, now)
        session.flush()
    url = smtp_url()
    if url and mails:
        session.info.setdefault("after_commit", []).append(lambda: mail.send(url, mails))
    return made


def send_task(
    session: Session, instance: ProcessInstance, model: ProcessModel, element_id: str, now: datetime
) -> list[Notification]:
    """The send task ``element_id`` ran: notify its template's recipients (kind ``send_task``).

    The e-mail's subject is the template's text around the send task's name in the recipient's
    language (the diagram's Welsh names when it has them), with a link: nothing of the case."""
    template = TEMPLATES[model.send_tasks[element_id]]
    english = model.names.get(element_id) or element_id

    def values_in(language: str | None) -> dict[str, object]:
        return {"task": diagram_names(model.key, language or "en").get(element_id) or english}

    return notify(
        session,
        instance,
        template.recipients(session, instance),
        kind="send_task",
        now=now,
        activity_id=element_id,
        template=template.name,
        subject=template.subject,
        values_in=values_in,
    )


def due_reminders(connection: Any) -> list[tuple[int, datetime]]:
    """(deadline id, remind_at) of every reminder still to send (the scheduler's look-up)."""
    return connection.execute(
        select(Deadline.id, Deadline.remind_at).where(
            Deadline.status == "pending", Deadline.remind_at.is_not(None), Deadline.reminded_at.is_(None)
        )
    ).all()


def remind(session: Session, deadline_id: int, now: datetime | None = None) -> list[Notification]:
    """Send the reminder of one deadline if it is due and not sent yet; returns the notifications."""
    now = _now(now)
    query = select(Deadline).where(
        Deadline.id == deadline_id,
        Deadline.status == "pending",
        Deadline.remind_at.is_not(None),
        Deadline.reminded_at.is_(None),
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    deadline = session.scalars(query).first()
    if deadline is None or deadline.remind_at > now:
        return []
    deadline.reminded_at = now
    task = None
    if deadline.attached_to:
        task = session.scalars(
            select(Task).where(
                Task.instance_id == deadline.instance_id,
                Task.activity_id == deadline.attached_to,
                Task.status == "open",
            )
        ).first()
    if task is None:  # the task is done (or there is none): nothing to remind anyone of
        session.flush()
        return []
    instance = session.get(ProcessInstance, deadline.instance_id)
    if instance is None or instance.status not in ("running", "waiting"):
        session.flush()
        return []
    return notify(
        session,
        instance,
        recipients_for(session, task),
        kind="reminder",
        now=now,
        task=task,
        deadline=deadline,
        subject=REMINDER_SUBJECT,
        subject_values={"task": task.name},
    )


def as_json(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "template": row.template,
        "due_at": row.due_at,
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


def list_notifications(
    session: Session, actor: Actor, *, unread: bool | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The caller's own notifications, newest first."""
    where = [Notification.recipient == actor.username]
    if unread is True:
        where.append(Notification.read_at.is_(None))
    elif unread is False:
        where.append(Notification.read_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = session.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [as_json(r) for r in rows], total


def unread_count(session: Session, actor: Actor) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient == actor.username, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, actor: Actor, notification_id: int, now: datetime | None = None) -> dict:
    """Mark the caller's notification read; another person's is not found (404)."""
    # an id beyond the column's integer range names no row (and would overflow PostgreSQL's integer)
    row = session.get(Notification, notification_id) if 0 < notification_id < 2**31 else None
    if row is None or row.recipient != actor.username:
        raise NotFound(f"no notification {notification_id}")
    if row.read_at is None:
        row.read_at = _now(now)
        session.flush()
    return as_json(row)
