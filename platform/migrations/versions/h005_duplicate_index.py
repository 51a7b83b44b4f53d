"""help requests' word index and kept likely duplicates

Revision ID: h005_duplicate_index
Revises: h004_surveys
Create Date: 2026-12-03 09:00:00.000000

Requests already in are indexed here; likely duplicates are kept from now on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from residents.service.duplicates import phone_key, tokens

revision: str = "h005_duplicate_index"
down_revision: str | Sequence[str] | None = "h004_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_request_duplicates",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["help_requests.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
        ),
        sa.PrimaryKeyConstraint("request_id", "other_id"),
    )
    op.create_table(
        "help_request_tokens",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
        ),
        sa.PrimaryKeyConstraint("request_id", "token"),
    )
    with op.batch_alter_table("help_request_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_help_request_tokens_incident_token", ["incident_id", "token"], unique=False
        )

    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_key", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True)
        )
        batch_op.add_column(
            sa.Column("token_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_help_requests_incident_phone", ["incident_id", "phone_key"], unique=False
        )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.alter_column("token_count", server_default=None)
    _index_existing()


def _index_existing() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, incident_id, description, contact_phone FROM help_requests")
    ).all()
    for request_id, incident_id, description, phone in rows:
        words = sorted(tokens(description or ""))
        bind.execute(
            sa.text("UPDATE help_requests SET token_count = :n, phone_key = :key WHERE id = :id"),
            {"n": len(words), "key": phone_key(phone), "id": request_id},
        )
        if words:
            bind.execute(
                sa.text(
                    "INSERT INTO help_request_tokens (request_id, token, incident_id)"
                    " VALUES (:request_id, :token, :incident_id)"
                ),
                [{"request_id": request_id, "token": t, "incident_id": incident_id} for t in words],
            )


def downgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_help_requests_incident_phone")
        batch_op.drop_column("token_count")
        batch_op.drop_column("phone_key")

    with op.batch_alter_table("help_request_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_help_request_tokens_incident_token")

    op.drop_table("help_request_tokens")
    op.drop_table("help_request_duplicates")
