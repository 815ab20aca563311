"""retention: chained retention log; history DELETE allowed only while retention_unlock holds a row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_HISTORY_PG = """
CREATE OR REPLACE FUNCTION history_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM retention_unlock) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'history_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_HISTORY_PG_0001 = """
CREATE OR REPLACE FUNCTION history_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_SQLITE_REFUSE = "BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "retention_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq", name="uq_retention_log_seq"),
    )
    op.create_table(
        "retention_unlock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_retention_unlock_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    if _postgres():
        op.execute(_HISTORY_PG)  # the 0001 trigger history_events_no_change keeps calling it
        op.execute(
            """
            CREATE FUNCTION retention_log_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'retention_log is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER retention_log_no_change BEFORE UPDATE OR DELETE ON retention_log "
            "FOR EACH ROW EXECUTE FUNCTION retention_log_append_only()"
        )
        return
    op.execute("DROP TRIGGER IF EXISTS history_events_no_delete")
    op.execute(
        "CREATE TRIGGER history_events_no_delete BEFORE DELETE ON history_events "
        "WHEN NOT EXISTS (SELECT 1 FROM retention_unlock) "
        + _SQLITE_REFUSE.format(table="history_events", action="DELETE")
    )
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER retention_log_no_{action.lower()} BEFORE {action} ON retention_log "
            + _SQLITE_REFUSE.format(table="retention_log", action=action)
        )


def downgrade() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS retention_log_no_change ON retention_log")
        op.execute("DROP FUNCTION IF EXISTS retention_log_append_only()")
        op.execute(_HISTORY_PG_0001)
    else:
        op.execute("DROP TRIGGER IF EXISTS retention_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS retention_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS history_events_no_delete")
        op.execute(
            "CREATE TRIGGER history_events_no_delete BEFORE DELETE ON history_events "
            + _SQLITE_REFUSE.format(table="history_events", action="DELETE")
        )
    op.drop_table("retention_unlock")
    op.drop_table("retention_log")
