"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("activity_id", sa.String(length=128), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "seq", name="uq_history_instance_seq"),
    )
    with op.batch_alter_table("history_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_events_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "process_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version", name="uq_definition_key_version"),
    )
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_definitions_checksum"), ["checksum"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_definitions_key"), ["key"], unique=False)

    op.create_table(
        "slas",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("commissioner", sa.String(length=255), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.JSON(), nullable=False),
        sa.Column("calendar", sa.String(length=16), nullable=False),
        sa.Column("breach_threshold", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "process_instances",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("end_state", sa.String(length=128), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("waiting_messages", sa.JSON(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definitions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.create_index("ix_instances_business_key", ["business_key"], unique=False)
        batch_op.create_index("ix_instances_process_status", ["process_key", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_process_instances_definition_id"), ["definition_id"], unique=False
        )

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("activity_id", sa.String(length=128), nullable=False),
        sa.Column("attached_to", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("milestone", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "task_id", name="uq_deadline_instance_task"),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadlines_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_deadlines_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("process_key", sa.String(length=128), nullable=False),
        sa.Column("activity_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_tasks_status_assignee", ["status", "assignee"], unique=False)
        batch_op.create_index("ix_tasks_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_tasks_status_role", ["status", "role"], unique=False)

    _history_append_only()


def _history_append_only() -> None:
    """History is append-only: the database itself refuses UPDATE and DELETE on it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION history_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'history_events is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER history_events_no_change BEFORE UPDATE OR DELETE ON history_events "
            "FOR EACH ROW EXECUTE FUNCTION history_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER history_events_no_{action.lower()} BEFORE {action} ON history_events "
                f"BEGIN SELECT RAISE(ABORT, 'history_events is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_events_no_change ON history_events")
        op.execute("DROP FUNCTION IF EXISTS history_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS history_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS history_events_no_delete")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_role")
        batch_op.drop_index("ix_tasks_status_due")
        batch_op.drop_index("ix_tasks_status_assignee")
        batch_op.drop_index(batch_op.f("ix_tasks_instance_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_status_due")
        batch_op.drop_index(batch_op.f("ix_deadlines_instance_id"))

    op.drop_table("deadlines")
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instances_definition_id"))
        batch_op.drop_index("ix_instances_process_status")
        batch_op.drop_index("ix_instances_business_key")

    op.drop_table("process_instances")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("slas")
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_definitions_key"))
        batch_op.drop_index(batch_op.f("ix_process_definitions_checksum"))

    op.drop_table("process_definitions")
    with op.batch_alter_table("history_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_events_instance_id"))

    op.drop_table("history_events")
