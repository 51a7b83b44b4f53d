"""help requests' separate consent to be invited to surveys

Revision ID: h101_survey_consent
Revises: d006_fundraising_activities
Create Date: 2026-12-03 12:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h101_survey_consent"
down_revision: str | Sequence[str] | None = "d006_fundraising_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Requests taken before this consent existed were given for the request only: false.
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("survey_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.alter_column("survey_consent", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_column("survey_consent")
