"""merge the domain branches (recovery imports, public indexes, volunteers, donations)

Revision ID: 0003
Revises: d002, p001, r001, v001
Create Date: 2026-11-22 09:22:47.664261
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = ("d002", "p001", "r001", "v001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
