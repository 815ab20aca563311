"""Stored quarterly returns per SLA and quarter, with a generation counter for the dirty mark; tasks by
activity (the dashboard's contract reviews read them without a scan of every task).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_returns",
        sa.Column("sla_key", sa.String(64), primary_key=True),
        sa.Column("quarter", sa.String(8), primary_key=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("sizes", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("computed_generation", sa.Integer(), nullable=True),
        sa.Column("dirty_since", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_tasks_activity_process", "tasks", ["activity_id", "process_key"])


def downgrade() -> None:
    op.drop_index("ix_tasks_activity_process", table_name="tasks")
    op.drop_table("stored_returns")
