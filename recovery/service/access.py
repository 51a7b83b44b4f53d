"""Who may change what in the recovery domain, checked in the services themselves."""

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from core.auth import current_user, require
from core.db import get_session
from core.errors import Forbidden, InvalidInput, NotAuthenticated
from core.i18n import _
from core.models import Organization, OrgKind, Role, User
from recovery.models import Task


async def _organization(session: AsyncSession, user: User) -> Organization | None:
    if user.organization_id is None:
        return None
    return await session.get(Organization, user.organization_id)


async def is_official(session: AsyncSession, user: User | None) -> bool:
    """An official of a verified government organization: the recovery office's staff."""
    if user is None or user.role != Role.official or not user.is_active:
        return False
    org = await _organization(session, user)
    return org is not None and org.is_verified() and org.kind == OrgKind.government


async def ensure_official(session: AsyncSession, user: User | None) -> User:
    if user is None:
        raise NotAuthenticated(_("Please sign in first."))
    if not await is_official(session, user):
        raise Forbidden(_("Only officials of a verified government organization may do this."))
    return user


async def require_official(conn: HTTPConnection) -> User:
    """The request's official of a verified government organization, else 401/403."""
    user = await require(conn, Role.official)
    return await ensure_official(get_session(conn), user)


async def viewer_is_official(conn: HTTPConnection) -> bool:
    """Whether the one asking may edit, to show or hide the officials' controls."""
    return await is_official(get_session(conn), await current_user(conn))


async def can_update_task(session: AsyncSession, user: User | None, task: Task) -> bool:
    """Officials, and the members of the task's responsible organization once it is verified."""
    if user is None or not user.is_active:
        return False
    if await is_official(session, user):
        return True
    if user.role not in (Role.ngo, Role.official) or user.organization_id is None:
        return False
    if user.organization_id != task.responsible_org_id:
        return False
    org = await _organization(session, user)
    return org is not None and org.is_verified()


async def verified_organization(session: AsyncSession, org_id: int, field: str) -> Organization:
    """An organization that may be given responsibility: it exists and is verified."""
    org = await session.get(Organization, org_id)
    if org is None or not org.is_verified():
        raise InvalidInput(
            _("Choose a verified organization."), fields={field: _("not a verified organization")}
        )
    return org
