"""Who may change what in the recovery domain, checked in the services themselves."""

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from core.auth import current_user, require
from core.db import get_session
from core.errors import Forbidden, InvalidInput, NotAuthenticated
from core.i18n import _
from core.models import Organization, OrgKind, Role, User
from recovery.models import Incident, IncidentAgency, Project, Task
from recovery.service.lookup import get_incident


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


async def acts_for(session: AsyncSession, incident: Incident, org_id: int | None) -> bool:
    """Whether an organization is the incident's lead agency or one the lead granted."""
    if org_id is None:
        return False
    if incident.lead_org_id == org_id:
        return True
    granted = await session.scalar(
        select(IncidentAgency.id).where(
            IncidentAgency.incident_id == incident.id, IncidentAgency.organization_id == org_id
        )
    )
    return granted is not None


def acting_incident_ids(user: User) -> Select:
    """The ids of the incidents `user`'s agency leads or was granted, as a subquery to filter
    what only the officials acting on an incident may read (drafts, desks, donations)."""
    granted = select(IncidentAgency.incident_id).where(
        IncidentAgency.organization_id == user.organization_id
    )
    return select(Incident.id).where(
        or_(Incident.lead_org_id == user.organization_id, Incident.id.in_(granted))
    )


async def can_act(session: AsyncSession, user: User | None, incident_id: int) -> bool:
    """An official whose agency leads the incident or was granted it; the one rule for every
    official's change to an incident and what belongs to it."""
    if not await is_official(session, user):
        return False
    incident = await session.get(Incident, incident_id)
    return incident is not None and await acts_for(session, incident, user.organization_id)


async def ensure_can_act(session: AsyncSession, user: User | None, incident_id: int) -> Incident:
    """The incident, if `user` may act on it (see `can_act`); else 401, 403 or 404."""
    await ensure_official(session, user)
    incident = await get_incident(session, incident_id)
    if not await acts_for(session, incident, user.organization_id):
        raise Forbidden(_("Only officials of an agency acting on this incident may do this."))
    return incident


async def viewer_can_act(conn: HTTPConnection, incident_id: int) -> bool:
    """Whether the one asking may change this incident, to show or hide the officials' controls."""
    return await can_act(get_session(conn), await current_user(conn), incident_id)


async def task_incident_id(session: AsyncSession, task: Task) -> int | None:
    project = await session.get(Project, task.project_id)
    return None if project is None else project.incident_id


async def can_update_task(session: AsyncSession, user: User | None, task: Task) -> bool:
    """Officials acting on the task's incident, and the members of the task's responsible
    organization once it is verified."""
    if user is None or not user.is_active:
        return False
    incident_id = await task_incident_id(session, task)
    if incident_id is not None and await can_act(session, user, incident_id):
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
