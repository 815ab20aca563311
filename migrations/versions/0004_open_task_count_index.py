"""An index for counting the open tasks a role may see (the inbox's ``total``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every inbox answer counts the open tasks its caller may see; the roles' filters read only
    # process_key, role and assignee.  A partial index of those columns over open tasks lets the
    # count read the index alone, however many finished tasks the table holds.
    op.create_index(
        "ix_tasks_open_visibility",
        "tasks",
        ["process_key", "role", "assignee"],
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_open_visibility", table_name="tasks")
