"""drills: incidents.exercise (a drill stays one when it closes), exercise stock holds

Revision ID: p105_drills
Revises: d004_disclosures
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p105_drills"
down_revision: str | Sequence[str] | None = "d004_disclosures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_incidents_exercise"), ["exercise"], unique=False)
    op.execute("UPDATE incidents SET exercise = TRUE WHERE status = 'exercise'")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column("exercise", server_default=None)
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.alter_column("exercise", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.drop_column("exercise")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_exercise"))
        batch_op.drop_column("exercise")
