"""disclosures: per-project public disclosures with frozen figures and corrections

Revision ID: d004_disclosures
Revises: m001_matching_run_status
Create Date: 2026-12-02 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "d004_disclosures"
down_revision: str | Sequence[str] | None = "m001_matching_run_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_start <= period_end", name="ck_disclosures_period"),
        sa.ForeignKeyConstraint(["corrects_id"], ["disclosures.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosures_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_disclosures_project_period", ["project_id", "period_end"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosures_project_period")
        batch_op.drop_index(batch_op.f("ix_disclosures_incident_id"))
    op.drop_table("disclosures")
