"""public dashboard indexes: covering figures, urgent needs

Revision ID: p001
Revises: 0002
Create Date: 2026-11-22 08:16:23.414204
"""

from collections.abc import Sequence

from alembic import op

revision: str = "p001"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The dashboard counts needs per category and status and sums the share met from this
    # index alone (an index-only scan), never touching the table rows.
    op.create_index(
        "ix_needs_public_figures",
        "needs",
        ["incident_id", "category", "status", "quantity", "quantity_met"],
        unique=False,
    )
    # The most urgent unmet needs: per priority, the earliest deadlines first.
    op.create_index(
        "ix_needs_incident_priority_due",
        "needs",
        ["incident_id", "priority", "needed_by"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_needs_incident_priority_due", table_name="needs")
    op.drop_index("ix_needs_public_figures", table_name="needs")
