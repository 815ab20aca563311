"""Reminders before a deadline: notifications, the reminder mark on deadlines, users' e-mail.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_recipient_created", "notifications", ["recipient", "created_at"])
    # One reminder per deadline and person, whatever races: the database refuses a second.
    op.create_index(
        "uq_notifications_deadline_recipient",
        "notifications",
        ["deadline_id", "recipient", "kind"],
        unique=True,
    )
    with op.batch_alter_table("deadlines") as batch:
        batch.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("deadlines") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("remind_at")
    op.drop_index("uq_notifications_deadline_recipient", table_name="notifications")
    op.drop_index("ix_notifications_recipient_created", table_name="notifications")
    op.drop_table("notifications")
