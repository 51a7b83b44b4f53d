"""Accounts logic: register, authenticate, tokens, organization verification, deactivation."""

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.errors import (
    BadCredentials,
    EmailTaken,
    OrganizationNotFound,
    OrganizationRequired,
    UserNotFound,
)
from core.accounts.schemas import RegisterRequest, UserPublic
from core.auth import check_password_timing_safe, hash_password, new_token
from core.clock import utcnow
from core.domain import Extensions
from core.i18n import _
from core.models import ORG_ROLES, ApiToken, Organization, OrgKind, OrgStatus, Role, User

DEFAULT_KIND = {Role.official: OrgKind.government, Role.ngo: OrgKind.ngo}

# Domains append hooks at import time to store what registration gathered for them (e.g. a
# volunteer's phone and contact consent); each runs in the registering transaction.


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


async def register(
    session: AsyncSession, data: RegisterRequest, *, actor: User | None = None
) -> tuple[User, Organization | None]:
    """Create an account; officials and NGO members join (or found) a pending organization."""
    if await find_user(session, data.email) is not None:
        raise EmailTaken(
            _("An account with this email already exists."),
            fields={"email": _("already registered")},
        )
    org = None
    if data.role in ORG_ROLES:
        name = (data.organization or "").strip()
        if not name:
            raise OrganizationRequired(
                _("Officials and NGO members must name their organization."),
                fields={"organization": _("required for this role")},
            )
        org = await session.scalar(
            select(Organization).where(func.lower(Organization.name) == name.lower())
        )
        if org is None:
            kind = data.organization_kind or DEFAULT_KIND[Role(data.role)]
            org = Organization(name=name, kind=kind)
            session.add(org)
            await session.flush()
            await audit.record(
                session,
                actor=actor,
                action="organization.create",
                obj=org,
                after=audit.snapshot(org),
            )
    user = User(
        email=data.email,
        name=data.name,
        password_hash=await hash_password(data.password),
        role=data.role,
        organization_id=org.id if org else None,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session, actor=actor or user, action="user.register", obj=user, after=audit.snapshot(user)
    )
    for hook in Extensions.of(session).after_register:
        await hook(session, user, data)
    return user, org


async def create_admin(session: AsyncSession, email: str, password: str, name: str) -> User:
    if await find_user(session, email) is not None:
        raise EmailTaken(_("An account with this email already exists."), fields={"email": email})
    user = User(
        email=email.strip().lower(),
        name=name,
        password_hash=await hash_password(password),
        role=Role.admin,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session, actor=None, action="user.create_admin", obj=user, after=audit.snapshot(user)
    )
    return user


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


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id)
        .values(revoked_at=utcnow())
    )
    await audit.record(
        session, actor=user, action="token.revoke", object_type="api_tokens", object_id=token_id
    )


async def get_organization(session: AsyncSession, org_id: int) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:
        raise OrganizationNotFound(_("No such organization."))
    return org


async def list_organizations(
    session: AsyncSession, *, status: str | None, limit: int = 50, offset: int = 0
) -> tuple[list[Organization], int]:
    query = select(Organization)
    count = select(func.count()).select_from(Organization)
    if status:
        query = query.where(Organization.status == status)
        count = count.where(Organization.status == status)
    rows = await session.scalars(query.order_by(Organization.name).limit(limit).offset(offset))
    return list(rows), (await session.scalar(count)) or 0


async def verify_organization(
    session: AsyncSession, org_id: int, *, admin: User, valid_days: int
) -> Organization:
    org = await get_organization(session, org_id)
    before = audit.snapshot(org)
    now = utcnow()
    org.status = OrgStatus.verified
    org.verified_at = now
    org.verified_by_id = admin.id
    org.verified_until = now + timedelta(days=valid_days)
    await session.flush()
    await audit.record(
        session,
        actor=admin,
        action="organization.verify",
        obj=org,
        before=before,
        after=audit.snapshot(org),
    )
    return org


async def reject_organization(session: AsyncSession, org_id: int, *, admin: User) -> Organization:
    org = await get_organization(session, org_id)
    before = audit.snapshot(org)
    org.status = OrgStatus.rejected
    org.verified_until = None
    await session.flush()
    await audit.record(
        session,
        actor=admin,
        action="organization.reject",
        obj=org,
        before=before,
        after=audit.snapshot(org),
    )
    return org


async def set_user_active(
    session: AsyncSession, user_id: int, *, active: bool, admin: User
) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(_("No such user."))
    before = audit.snapshot(user)
    user.is_active = active
    if not active:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    await session.flush()
    await audit.record(
        session,
        actor=admin,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        before=before,
        after=audit.snapshot(user),
    )
    return user


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


async def members(session: AsyncSession, org_id: int) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.organization_id == org_id).order_by(User.name)
    )
    return list(rows)
