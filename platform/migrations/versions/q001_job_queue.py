"""job queue: pgqueuer's tables on PostgreSQL; the SQLite queue, failed jobs and schedules

Revision ID: q001_job_queue
Revises: h003_complaints
Create Date: 2026-12-02 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment
from sqlalchemy.util import await_

import core.db

revision: str = "q001_job_queue"
down_revision: str | Sequence[str] | None = "h003_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_script(script: str) -> None:
    """Several statements at once: asyncpg's simple query protocol, in Alembic's transaction."""
    await_(op.get_bind().connection.driver_connection.execute(script))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # pgqueuer's own schema for its pinned version (pyproject), installed like any table.
        _run_script(QueryBuilderEnvironment().build_install_query())
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "run_after"], unique=False)
    op.create_table(
        "failed_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retried_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retried_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["retried_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_failed_jobs_name"), "failed_jobs", ["name"], unique=False)
    op.create_table(
        "job_schedules",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("next_run_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_schedules")
    op.drop_index(op.f("ix_failed_jobs_name"), table_name="failed_jobs")
    op.drop_table("failed_jobs")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
    if op.get_bind().dialect.name == "postgresql":
        _run_script(QueryBuilderEnvironment().build_uninstall_query())
