"""incident agencies: an incident's lead agency and the agencies it lets act on the incident

Revision ID: s001_incident_agencies
Revises: a001
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "s001_incident_agencies"
down_revision: str | Sequence[str] | None = "a001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_org_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_incidents_lead_org_id"), ["lead_org_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_incidents_lead_org_id_organizations", "organizations", ["lead_org_id"], ["id"]
        )
    # The lead agency of an existing incident is the organization of the official who opened it.
    op.execute(
        "UPDATE incidents SET lead_org_id = "
        "(SELECT users.organization_id FROM users WHERE users.id = incidents.created_by_id)"
    )
    op.create_table(
        "incident_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "organization_id", name="uq_incident_agencies_pair"),
    )
    with op.batch_alter_table("incident_agencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_agencies_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_agencies_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_agencies_organization_id"))
        batch_op.drop_index(batch_op.f("ix_incident_agencies_incident_id"))
    op.drop_table("incident_agencies")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_incidents_lead_org_id_organizations", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_incidents_lead_org_id"))
        batch_op.drop_column("lead_org_id")
