"""Tables of the accounts feature; identity itself (users, organizations, tokens) is core.models."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class PasswordReset(SQLModel, table=True):
    """A one-time link to choose a new password; only the token's SHA-256 hash is kept."""

    __tablename__ = "password_resets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
