"""Tasks and deadlines by instance and status: a step closes the rest of its instance's open rows.

Each step runs ``UPDATE tasks|deadlines ... WHERE instance_id = ? AND status = 'open'|'pending' AND ...``.
With an index on ``instance_id`` alone, SQLite searched every open task (every pending deadline) of
every instance through the status indexes, so a step grew slower with the size of the whole case
load.  The two-column index serves that statement and everything the one-column index served.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_instance_status", "tasks", ["instance_id", "status"])
    op.drop_index("ix_tasks_instance_id", table_name="tasks")
    op.create_index("ix_deadlines_instance_status", "deadlines", ["instance_id", "status"])
    op.drop_index("ix_deadlines_instance_id", table_name="deadlines")


def downgrade() -> None:
    op.create_index("ix_deadlines_instance_id", "deadlines", ["instance_id"])
    op.drop_index("ix_deadlines_instance_status", table_name="deadlines")
    op.create_index("ix_tasks_instance_id", "tasks", ["instance_id"])
    op.drop_index("ix_tasks_instance_status", table_name="tasks")
