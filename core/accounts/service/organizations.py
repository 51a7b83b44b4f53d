"""Organizations: who may see which, and the administrator's verification or rejection."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.errors import AdminOnly, OrganizationNotFound
from core.accounts.service import verification
from core.clock import utcnow
from core.errors import InvalidInput
from core.i18n import _
from core.models import Organization, OrgStatus, Role, User


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


async def browse_organizations(
    session: AsyncSession, viewer: User | None, *, status: str | None, limit: int, offset: int
) -> tuple[list[Organization], int]:
    """The organizations `viewer` may list: verified ones, or any status for an administrator."""
    if viewer is None or viewer.role != Role.admin:
        if status not in (None, OrgStatus.verified):
            raise AdminOnly(
                _("Only an administrator may list unverified organizations."),
                fields={"status": _("admin only")},
            )
        status = OrgStatus.verified
    return await list_organizations(session, status=status, limit=limit, offset=offset)


async def verify_organization(
    session: AsyncSession, org_id: int, *, admin: User, valid_days: int, tell: bool = False
) -> Organization:
    """Verify (or renew); with `tell`, the members are mailed the outcome."""
    now = utcnow()
    return await _decide(
        session,
        org_id,
        admin,
        "organization.verify",
        tell,
        status=OrgStatus.verified,
        verified_at=now,
        verified_by_id=admin.id,
        verified_until=now + timedelta(days=valid_days),
        rejection_reason=None,
    )


async def reject_organization(
    session: AsyncSession, org_id: int, *, admin: User, reason: str | None, tell: bool = False
) -> Organization:
    """Refuse the verification; the reason is required, and mailed to the members."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Say why the organization is not verified: its members are told."),
            fields={"reason": _("required to reject")},
        )
    if len(reason) > 2000:
        raise InvalidInput(_("At most 2000 characters."), fields={"reason": _("too long")})
    return await _decide(
        session,
        org_id,
        admin,
        "organization.reject",
        tell,
        status=OrgStatus.rejected,
        verified_until=None,
        rejection_reason=reason,
    )


async def _decide(
    session: AsyncSession, org_id: int, admin: User, action: str, tell: bool, **changes
) -> Organization:
    org = await get_organization(session, org_id)
    before = audit.snapshot(org)
    for name, value in changes.items():
        setattr(org, name, value)
    await session.flush()
    await audit.record(
        session, actor=admin, action=action, obj=org, before=before, after=audit.snapshot(org)
    )
    if tell:
        await verification.tell_members(session, org)
    return org
