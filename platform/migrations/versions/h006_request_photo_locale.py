"""help requests' photo, the requester's language, and a covering index of their words

Revision ID: h006_request_photo_locale
Revises: h005_duplicate_index
Create Date: 2026-12-03 09:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "h006_request_photo_locale"
down_revision: str | Sequence[str] | None = "h005_duplicate_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "locale",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="en",
            )
        )
        batch_op.add_column(
            sa.Column("photo_file", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.alter_column("locale", server_default=None)
    with op.batch_alter_table("help_request_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_help_request_tokens_incident_token")
        batch_op.create_index(
            "ix_help_request_tokens_lookup", ["incident_id", "token", "request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("help_request_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_help_request_tokens_lookup")
        batch_op.create_index(
            "ix_help_request_tokens_incident_token", ["incident_id", "token"], unique=False
        )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_column("photo_file")
        batch_op.drop_column("locale")
