"""disbursement payee: who received the money, an organization or a named payee

Revision ID: d101_disbursement_payee
Revises: h101_survey_consent
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d101_disbursement_payee"
down_revision: str | Sequence[str] | None = "h101_survey_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payee_organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("payee_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("payee_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_disbursements_payee_organization_id",
            "organizations",
            ["payee_organization_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "ck_disbursements_payee",
            "(payee_organization_id IS NULL OR payee_kind = 'organization') AND "
            "((payee_name IS NULL) = (payee_kind IS NULL))",
        )


def downgrade() -> None:
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_constraint("ck_disbursements_payee", type_="check")
        batch_op.drop_constraint("fk_disbursements_payee_organization_id", type_="foreignkey")
        batch_op.drop_column("payee_kind")
        batch_op.drop_column("payee_name")
        batch_op.drop_column("payee_organization_id")
