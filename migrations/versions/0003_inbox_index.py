"""An index for the task inbox: open tasks in due order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only open tasks are listed in inboxes; a partial index in the inbox's own order (ascending
    # due time, which on PostgreSQL puts tasks without one last) lets the database read the first
    # page without sorting every open task.
    op.create_index(
        "ix_tasks_open_inbox",
        "tasks",
        ["due_at", "created_at", "id"],
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_open_inbox", table_name="tasks")
