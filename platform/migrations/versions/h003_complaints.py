"""complaints: complaints and feedback with a responsible organization and a due date

Revision ID: h003_complaints
Revises: h002_sms_messages
Create Date: 2026-12-02 20:27:17.191988
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "h003_complaints"
down_revision: str | Sequence[str] | None = "h002_sms_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("about_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("about_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("responsible_org_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("due_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["responsible_org_id"],
            ["organizations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_org_status", ["responsible_org_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_org_status")
        batch_op.drop_index(batch_op.f("ix_complaints_incident_id"))

    op.drop_table("complaints")
