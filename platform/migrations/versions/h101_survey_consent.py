"""help requests' separate consent to be invited to surveys; survey invites keep only
whether they were answered, not when (the time would tie a requester to their answers); an
index for the requests that follow a need

Revision ID: h101_survey_consent
Revises: d006_fundraising_activities
Create Date: 2026-12-03 12:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

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
        batch_op.create_index("ix_help_requests_need", ["need_id"], unique=False)
    with op.batch_alter_table("survey_invites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE survey_invites SET answered = (answered_at IS NOT NULL)")
    with op.batch_alter_table("survey_invites", schema=None) as batch_op:
        batch_op.alter_column("answered", server_default=None)
        batch_op.drop_column("answered_at")


def downgrade() -> None:
    # The times were not kept; an answered invite gets the time of the downgrade.
    with op.batch_alter_table("survey_invites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE survey_invites SET answered_at = CURRENT_TIMESTAMP WHERE answered")
    with op.batch_alter_table("survey_invites", schema=None) as batch_op:
        batch_op.drop_column("answered")
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_help_requests_need")
        batch_op.drop_column("survey_consent")
