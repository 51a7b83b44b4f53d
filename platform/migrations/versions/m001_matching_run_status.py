"""matching runs off the request path: status, progress, error, fairness bound and summary

Revision ID: m001_matching_run_status
Revises: p104_plans
Create Date: 2026-12-02 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "m001_matching_run_status"
down_revision: str | Sequence[str] | None = "p104_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('queued', 'running')"
COLUMNS = ("updated_at", "finished_at", "summary", "max_area_gap_pct", "error", "percent", "phase",
           "status")  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("matching_runs") as batch:
        # Runs made before this revision ran inside their request: they are done.
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="done"))
        batch.add_column(sa.Column("phase", sa.String(20), nullable=False, server_default="done"))
        batch.add_column(sa.Column("percent", sa.Integer(), nullable=False, server_default="100"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("max_area_gap_pct", sa.Float(), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=True))
    # At most one queued or running run per incident: the database refuses the second.
    op.create_index(
        "ux_matching_runs_active",
        "matching_runs",
        ["incident_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ux_matching_runs_active", table_name="matching_runs")
    with op.batch_alter_table("matching_runs") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
