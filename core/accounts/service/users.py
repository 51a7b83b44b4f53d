"""Accounts as people: their status, finding them, the admin's list, deactivation, language."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.errors import SelfDeactivation, UserNotFound
from core.accounts.schemas import UserPublic
from core.auth import end_sessions
from core.i18n import LOCALES, _
from core.models import ORG_ROLES, Organization, User


def user_status(user: User, org: Organization | None) -> str:
    if not user.is_active:
        return "deactivated"
    if user.role in ORG_ROLES and (org is None or not org.is_verified()):
        return "pending"
    return "active"


def public_user(user: User, org: Organization | None) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        status=user_status(user, org),
        organization_id=user.organization_id,
    )


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def set_user_active(
    session: AsyncSession, user_id: int, *, active: bool, admin: User
) -> tuple[User, Organization | None]:
    """Deactivate (ending the user's sessions and tokens) or reactivate an account; not one's
    own."""
    if user_id == admin.id and not active:
        raise SelfDeactivation(_("You cannot deactivate yourself."))
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(_("No such user."))
    before = audit.snapshot(user)
    user.is_active = active
    if not active:
        await end_sessions(session, user.id)
    await session.flush()
    await audit.record(
        session,
        actor=admin,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        before=before,
        after=audit.snapshot(user),
    )
    org = await session.get(Organization, user.organization_id) if user.organization_id else None
    return user, org


async def list_users(
    session: AsyncSession, *, limit: int = 50, offset: int = 0, q: str | None = None
) -> tuple[list[tuple[User, Organization | None]], int]:
    query = select(User, Organization).outerjoin(
        Organization, Organization.id == User.organization_id
    )
    count = select(func.count()).select_from(User)
    if q:
        pattern = f"%{q.lower()}%"
        cond = func.lower(User.email).like(pattern) | func.lower(User.name).like(pattern)
        query, count = query.where(cond), count.where(cond)
    rows = await session.execute(query.order_by(User.id).limit(limit).offset(offset))
    return [(u, o) for u, o in rows.all()], (await session.scalar(count)) or 0


async def set_locale(session: AsyncSession, user: User | None, locale: str) -> bool:
    """Remember a signed-in user's language (mail is written in it); False if unsupported."""
    if locale not in LOCALES:
        return False
    if user is not None:
        user.locale = locale
        await session.flush()
    return True


async def set_time_zone(session: AsyncSession, user: User, time_zone: str) -> User:
    """Remember the zone the user reads times not tied to an incident in."""
    before = {"time_zone": user.time_zone}
    user.time_zone = time_zone
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="user.time_zone",
        obj=user,
        before=before,
        after={"time_zone": time_zone},
    )
    return user
