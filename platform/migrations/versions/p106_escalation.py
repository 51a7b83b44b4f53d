"""escalation by territory: areas.responsible_org_id and the escalations table

Revision ID: p106_escalation
Revises: p105_drills
Create Date: 2026-12-03 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "p106_escalation"
down_revision: str | Sequence[str] | None = "p105_drills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responsible_org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_areas_responsible_org_id_organizations",
            "organizations",
            ["responsible_org_id"],
            ["id"],
        )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("escalated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "object_id", "level", name="uq_escalations_step"),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_object", ["kind", "object_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_escalations_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_incident_id"))
        batch_op.drop_index("ix_escalations_object")
    op.drop_table("escalations")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_constraint("fk_areas_responsible_org_id_organizations", type_="foreignkey")
        batch_op.drop_column("responsible_org_id")
