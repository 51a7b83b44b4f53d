"""job queue: pgqueuer's change trigger no longer notifies on INSERT (core.jobs wakes the
workers after the commit), so a transaction that queues a job holds no NOTIFY

PostgreSQL commits transactions that NOTIFY one at a time, fsync included: a job queued by
every sign-up made a storm of sign-ups commit one after another. UPDATE, DELETE and TRUNCATE
(workers taking and finishing jobs) still notify as pgqueuer installed it.

Revision ID: x001_queue_wake_after_commit
Revises: m1301_area_outlines
Create Date: 2026-12-07 16:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "x001_queue_wake_after_commit"
down_revision: str | Sequence[str] | None = "m1301_area_outlines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _trigger(events: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # DROP and CREATE rather than CREATE OR REPLACE TRIGGER, which needs PostgreSQL 14.
    op.execute("DROP TRIGGER IF EXISTS tg_pgqueuer_changed ON pgqueuer")
    op.execute(
        f"CREATE TRIGGER tg_pgqueuer_changed AFTER {events} ON pgqueuer "
        "FOR EACH STATEMENT EXECUTE FUNCTION fn_pgqueuer_changed()"
    )


def upgrade() -> None:
    _trigger("UPDATE OR DELETE OR TRUNCATE")


def downgrade() -> None:
    _trigger("INSERT OR UPDATE OR DELETE OR TRUNCATE")
