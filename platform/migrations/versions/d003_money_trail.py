"""money trail: received amounts, allocations of gifts to disbursements, unpledged receipts,
payment instructions

Revision ID: d003_money_trail
Revises: u001_public_versions
Create Date: 2026-12-02 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "d003_money_trail"
down_revision: str | Sequence[str] | None = "u001_public_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column("donor_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("donor_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "channel",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="pledge",
            )
        )
        batch_op.add_column(sa.Column("received_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("allocated_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("refunded_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "verification_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
    # Gifts received before this revision were received in full.
    op.execute(
        "UPDATE donations SET received_minor = amount_minor "
        "WHERE status IN ('received', 'reversed')"
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column("channel", server_default=None)
        batch_op.alter_column("allocated_minor", server_default=None)
        batch_op.alter_column("refunded_minor", server_default=None)
        batch_op.create_unique_constraint("uq_donations_verification_code", ["verification_code"])
        batch_op.create_check_constraint(
            "ck_donations_spent",
            "allocated_minor >= 0 AND refunded_minor >= 0 AND "
            "allocated_minor + refunded_minor <= COALESCE(received_minor, 0)",
        )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_general_fund", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.alter_column("allow_general_fund", server_default=None)
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("disbursement_id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_allocations_amount"),
        sa.ForeignKeyConstraint(["disbursement_id"], ["disbursements.id"]),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_disbursement_id"), ["disbursement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_donation_id"), ["donation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "payment_instructions",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("bank", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("account_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reference_hint", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )


def downgrade() -> None:
    op.drop_table("payment_instructions")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_incident_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_donation_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_disbursement_id"))
    op.drop_table("allocations")
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_column("allow_general_fund")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_constraint("ck_donations_spent", type_="check")
        batch_op.drop_constraint("uq_donations_verification_code", type_="unique")
        batch_op.drop_column("verification_code")
        batch_op.drop_column("refunded_minor")
        batch_op.drop_column("allocated_minor")
        batch_op.drop_column("received_minor")
        batch_op.drop_column("channel")
        batch_op.drop_column("donor_name")
    op.execute("DELETE FROM donations WHERE donor_id IS NULL")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column("donor_id", existing_type=sa.Integer(), nullable=False)
