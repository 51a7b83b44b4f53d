"""volunteer certificates: issued certificates of service hours with a verification code

Revision ID: w001_volunteer_certificates
Revises: t001_money_bigint
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "w001_volunteer_certificates"
down_revision: str | Sequence[str] | None = "t001_money_bigint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("issued_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("total_minutes", sa.Integer(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.CheckConstraint("total_minutes > 0", name="ck_certificates_minutes"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("volunteer_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_certificates_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_certificates_volunteer_id"))
    op.drop_table("volunteer_certificates")
