"""Opening an account: volunteers and donors at once, officials and NGO members pending."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.errors import EmailTaken, OrganizationRequired
from core.accounts.schemas import RegisterRequest
from core.accounts.service.users import find_user
from core.auth import hash_password
from core.domain import Extensions
from core.i18n import _
from core.models import ORG_ROLES, Organization, OrgKind, Role, User

DEFAULT_KIND = {Role.official: OrgKind.government, Role.ngo: OrgKind.ngo}


async def register(
    session: AsyncSession, data: RegisterRequest, *, actor: User | None = None
) -> tuple[User, Organization | None]:
    """Create an account; officials and NGO members join (or found) a pending organization.

    Each domain's `after_register` hook then stores what it gathered (e.g. a volunteer's phone
    and contact consent) in the same transaction."""
    if await find_user(session, data.email) is not None:
        raise EmailTaken(
            _("An account with this email already exists."),
            fields={"email": _("already registered")},
        )
    org = None
    if data.role in ORG_ROLES:
        org = await _join_or_found(session, data, actor)
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


async def _join_or_found(
    session: AsyncSession, data: RegisterRequest, actor: User | None
) -> Organization:
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
        org = Organization(name=name, kind=kind, registration_number=data.registration_number)
        session.add(org)
        await session.flush()
        await audit.record(
            session, actor=actor, action="organization.create", obj=org, after=audit.snapshot(org)
        )
    return org


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
