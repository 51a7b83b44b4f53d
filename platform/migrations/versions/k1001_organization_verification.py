"""organization verification details: registration number, documents, a reason to reject

Revision ID: k1001_organization_verification
Revises: d006_fundraising_activities
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "k1001_organization_verification"
down_revision: str | Sequence[str] | None = "d006_fundraising_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column(
                "registration_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )
        batch.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
    op.create_table(
        "organization_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name", name="uq_organization_documents_stored_name"),
    )
    op.create_index(
        "ix_organization_documents_organization_id",
        "organization_documents",
        ["organization_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_organization_documents_organization_id", "organization_documents")
    op.drop_table("organization_documents")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("rejection_reason")
        batch.drop_column("registration_number")
