"""Signing in: checking a password, and the bearer tokens the API is called with."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.errors import BadCredentials, NoBearerToken
from core.accounts.service.users import find_user
from core.auth import check_password_timing_safe, new_token
from core.clock import utcnow
from core.i18n import _
from core.models import ApiToken, User


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await find_user(session, email)
    if not await check_password_timing_safe(user, password) or user is None:
        raise BadCredentials(
            _("The email or password is not right."), fields={"password": _("not right")}
        )
    if not user.is_active:
        raise BadCredentials(
            _("This account has been deactivated."), fields={"email": _("deactivated")}
        )
    user.last_login_at = utcnow()
    await session.flush()
    return user


async def issue_token(session: AsyncSession, user: User) -> str:
    token, token_hash = new_token()
    row = ApiToken(user_id=user.id, token_hash=token_hash)
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor=user, action="token.issue", obj=row, after={"user_id": user.id}
    )
    return token


async def revoke_token(session: AsyncSession, user: User, token_id: int | None) -> None:
    """Revoke the bearer token a request was made with (None: it came with a cookie)."""
    if token_id is None:
        raise NoBearerToken(_("Only a bearer token can revoke itself."))
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id)
        .values(revoked_at=utcnow())
    )
    await audit.record(
        session, actor=user, action="token.revoke", object_type="api_tokens", object_id=token_id
    )
