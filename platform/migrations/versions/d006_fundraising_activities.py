"""fundraising activities: appeals that gifts come through and that disclose like projects

Revision ID: d006_fundraising_activities
Revises: k001_user_time_zone
Create Date: 2026-12-03 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "d006_fundraising_activities"
down_revision: str | Sequence[str] | None = "k001_user_time_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fundraising_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("record_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("goal_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name="ck_fundraising_period"),
        sa.CheckConstraint(
            "goal_minor IS NULL OR (goal_minor > 0 AND goal_minor <= 1000000000000)",
            name="ck_fundraising_goal",
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fundraising_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fundraising_activities_incident_id"), ["incident_id"], unique=False
        )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fundraising_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_donations_fundraising_id"), ["fundraising_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_donations_fundraising_id",
            "fundraising_activities",
            ["fundraising_id"],
            ["id"],
        )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("fundraising_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_disclosures_fundraising_id",
            "fundraising_activities",
            ["fundraising_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_disclosures_fundraising_period", ["fundraising_id", "period_end"], unique=False
        )
        batch_op.create_check_constraint(
            "ck_disclosures_subject", "(project_id IS NULL) <> (fundraising_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM disclosures WHERE fundraising_id IS NOT NULL")
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_constraint("ck_disclosures_subject", type_="check")
        batch_op.drop_index("ix_disclosures_fundraising_period")
        batch_op.drop_constraint("fk_disclosures_fundraising_id", type_="foreignkey")
        batch_op.drop_column("fundraising_id")
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_donations_fundraising_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_donations_fundraising_id"))
        batch_op.drop_column("fundraising_id")
    with op.batch_alter_table("fundraising_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fundraising_activities_incident_id"))
    op.drop_table("fundraising_activities")
