"""in-kind values: an offer's estimated value and the value delivered on each match

Revision ID: d005_in_kind_values
Revises: p106_escalation
Create Date: 2026-12-03 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d005_in_kind_values"
down_revision: str | Sequence[str] | None = "p106_escalation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("value_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )
        batch_op.create_check_constraint(
            "ck_offers_value",
            "(value_minor IS NULL AND value_currency IS NULL) OR "
            "(value_minor > 0 AND value_minor <= 1000000000000 AND value_currency IS NOT NULL)",
        )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("value_delivered_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("value_delivered_minor", server_default=None)
        batch_op.create_check_constraint("ck_matches_value_delivered", "value_delivered_minor >= 0")


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint("ck_matches_value_delivered", type_="check")
        batch_op.drop_column("value_delivered_minor")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint("ck_offers_value", type_="check")
        batch_op.drop_column("value_currency")
        batch_op.drop_column("value_minor")
