"""sign-ups: commons_waitlist_place(shift, seq), a waitlisted sign-up's place counted with a
snapshot of its own (PostgreSQL)

A sign-up takes its shift's row lock inside its one statement (volunteers/service/arrivals.py),
whose snapshot was taken before it waited for that lock: a count there would miss the sign-ups
committed meanwhile. A VOLATILE plpgsql function reads with a fresh snapshot per query, taken
when it runs, after the lock: every earlier change to the waitlist has committed by then.

Revision ID: x002_waitlist_place_function
Revises: x001_queue_wake_after_commit
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "x002_waitlist_place_function"
down_revision: str | Sequence[str] | None = "x001_queue_wake_after_commit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
CREATE FUNCTION commons_waitlist_place(shift integer, seq integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ahead integer;
BEGIN
  SELECT count(*) INTO ahead FROM shift_signups
  WHERE shift_id = shift AND status = 'waitlisted' AND waitlist_position < seq;
  RETURN ahead + 1;
END
$$
"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION commons_waitlist_place(integer, integer)")
