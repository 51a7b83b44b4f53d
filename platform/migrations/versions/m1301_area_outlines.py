"""area outlines: an optional GeoJSON polygon per area

Revision ID: m1301_area_outlines
Revises: k1001_organization_verification
Create Date: 2026-12-04 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "m1301_area_outlines"
down_revision: str | Sequence[str] | None = "k1001_organization_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("outline", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("outline")
