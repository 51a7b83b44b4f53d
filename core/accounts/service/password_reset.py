"""Password reset: a one-time link mailed to the account's address, then a new password."""

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, notifications
from core.accounts.errors import ResetTokenInvalid
from core.accounts.models import PasswordReset
from core.accounts.service.users import find_user
from core.auth import end_sessions, hash_password, hash_token
from core.clock import utcnow
from core.i18n import _, using_locale
from core.models import User

RESET_VALID_FOR = timedelta(hours=1)


async def request_reset(session: AsyncSession, email: str, *, base_url: str) -> None:
    """Mail a reset link if `email` is an active account's; say nothing either way, so the
    answer does not tell who has an account."""
    user = await find_user(session, email)
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + RESET_VALID_FOR,
        )
    )
    await session.flush()
    link = f"{base_url.rstrip('/')}/password-reset/{token}"
    with using_locale(user.locale):
        subject = _("Choose a new password")
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.name},
                _("Someone asked to reset the password of your Recovery Commons account."),
                _("Open this link within an hour to choose a new password:") + "\n" + link,
                _("If it was not you, ignore this mail: your password stays as it is."),
                _("Recovery Commons"),
            ]
        )
    await notifications.queue(
        session,
        kind="accounts.password_reset",
        to_email=user.email,
        subject=subject,
        body=body + "\n",
        user_id=user.id,
    )


def _invalid_link() -> ResetTokenInvalid:
    return ResetTokenInvalid(
        _("This password reset link is unknown, used or expired. Please ask for a new one."),
        fields={"token": _("unknown, used or expired")},
    )


async def reset_for_token(session: AsyncSession, token: str) -> PasswordReset:
    """The unused, unexpired reset a link's token stands for, or a refusal naming `token`."""
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise _invalid_link()
    return reset


async def confirm_reset(session: AsyncSession, token: str, password: str) -> User:
    """Set the new password, use up the link (and any other open one), and end every session
    and bearer token, so whoever knew the old password is signed out everywhere."""
    reset = await reset_for_token(session, token)
    user = await session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise _invalid_link()
    now = utcnow()
    user.password_hash = await hash_password(password)
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    await end_sessions(session, user.id)
    await session.flush()
    await audit.record(
        session, actor=user, action="user.password_reset", obj=user, after={"user_id": user.id}
    )
    return user
