"""The database: SQLAlchemy 2.0 typed models.

One row per instance holds its serialized engine state, with a version column
for optimistic locking; open tasks and deadlines are indexed in their own
tables so lists never load the engine; history is append-only, one row per
event, stored exactly as it was hashed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # language codes the user works in, e.g. ["en", "cy"] (Welsh-medium allocation); None: not said
    languages: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)  # "cy" or "en"; None: the browser's
    email: Mapped[str | None] = mapped_column(String(254), default=None)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_definition_key_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)  # large: read once per process
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(64))


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_instances_process_status", "process_key", "status"),
        Index("ix_instances_business_key", "business_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64))
    end_state: Mapped[str | None] = mapped_column(String(128))
    variables: Mapped[dict[str, Any]]
    waiting_messages: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": row_version}


class Task(Base):
    """Index of user tasks: open ones for inboxes, finished ones for the record."""

    __tablename__ = "tasks"
    __table_args__ = (
        # An instance's open tasks (a step closes "the rest"): without it SQLite searches every open
        # task of every instance through ix_tasks_status_role.
        Index("ix_tasks_instance_status", "instance_id", "status"),
        Index("ix_tasks_status_role", "status", "role"),
        Index("ix_tasks_status_assignee", "status", "assignee"),
        Index("ix_tasks_status_due", "status", "due_at"),
        Index(
            "ix_tasks_open_inbox",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # A step of a process, e.g. every contract review (the commissioner dashboard): without it, a
        # scan of every task row (190 ms at 1,000,000 referrals).
        Index("ix_tasks_activity_process", "activity_id", "process_key"),
        Index(  # the inbox's count: the columns of every role's filter, over open tasks only
            "ix_tasks_open_visibility",
            "process_key",
            "role",
            "assignee",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(128))
    activity_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | completed | cancelled
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))


class Deadline(Base):
    """Every pending timer of every instance; the database is the source of truth."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_status_due", "status", "due_at"),
        Index("ix_deadlines_instance_status", "instance_id", "status"),  # as ix_tasks_instance_status
        UniqueConstraint("instance_id", "task_id", name="uq_deadline_instance_task"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str] = mapped_column(String(128))
    attached_to: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # timer | sla
    milestone: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # pending | fired | cancelled
    fired_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # An SLA target's reminder: due at ADVOCACY_FLOW_REMINDER_AT of its time; set once it was sent.
    remind_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)


class HistoryEvent(Base):
    """Append-only: never updated or deleted. ``at`` and ``data`` are kept as the exact text hashed."""

    __tablename__ = "history_events"
    __table_args__ = (UniqueConstraint("instance_id", "seq", name="uq_history_instance_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    activity_id: Mapped[str | None] = mapped_column(String(128))
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Sla(Base):
    __tablename__ = "slas"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(255))
    commissioner: Mapped[str] = mapped_column(String(255))
    targets: Mapped[dict[str, Any]]
    urgent: Mapped[dict[str, Any]]
    calendar: Mapped[str] = mapped_column(String(16))
    breach_threshold: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Notification(Base):
    """A reminder or alert for one person; it names the case and task, never their content."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_created", "recipient", "created_at"),
        Index("uq_notifications_deadline_recipient", "deadline_id", "recipient", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # reminder | send_task
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    deadline_id: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class StoredReturn(Base):
    """A quarterly return computed once and kept (``service.cases.reports.stored``), per SLA and quarter.

    ``report`` and ``sizes`` are what ``compute_return`` gave, unsuppressed, with the most stories the
    API allows.  Every change to something a return reads moves ``generation`` in the changing step's
    own transaction; the stored copy is clean while ``computed_generation`` equals it.
    """

    __tablename__ = "stored_returns"

    sla_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(8), primary_key=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    sizes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    computed_at: Mapped[datetime | None] = mapped_column(default=None)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    computed_generation: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    dirty_since: Mapped[datetime | None] = mapped_column(default=None)  # first change not in the copy
