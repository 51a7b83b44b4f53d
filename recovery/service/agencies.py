"""The agencies acting on an incident: its lead agency and the ones the lead grants."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from core.i18n import _
from core.models import Organization, OrgKind, Role, User
from recovery.models import Incident, IncidentAgency
from recovery.service.access import is_official
from recovery.service.lookup import get_incident


async def can_grant(session: AsyncSession, user: User | None, incident: Incident) -> bool:
    """Admins, and officials of the incident's lead agency."""
    if user is None or not user.is_active:
        return False
    if user.role == Role.admin:
        return True
    return (
        incident.lead_org_id is not None
        and user.organization_id == incident.lead_org_id
        and await is_official(session, user)
    )


async def _government_agency(session: AsyncSession, org_id: int) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organization."), fields={"organization_id": _("not found")})
    if org.kind != OrgKind.government or not org.is_verified():
        raise InvalidInput(
            _("Only a verified government agency may act on an incident."),
            fields={"organization_id": _("not a verified government agency")},
        )
    return org


async def grant_agency(
    session: AsyncSession, incident_id: int, org_id: int, *, actor: User | None
) -> dict:
    """Let a verified government agency act on the incident; granting it again changes nothing."""
    incident = await get_incident(session, incident_id)
    if actor is None:
        raise NotAuthenticated(_("Please sign in first."))
    if not await can_grant(session, actor, incident):
        raise Forbidden(_("Only officials of the lead agency and admins may grant agencies."))
    org = await _government_agency(session, org_id)
    if org.id == incident.lead_org_id:
        raise InvalidInput(
            _("This agency already leads the incident."),
            fields={"organization_id": _("already the lead agency")},
        )
    grant = await session.scalar(
        select(IncidentAgency).where(
            IncidentAgency.incident_id == incident.id, IncidentAgency.organization_id == org.id
        )
    )
    if grant is None:
        grant = IncidentAgency(
            incident_id=incident.id, organization_id=org.id, granted_by_id=actor.id
        )
        session.add(grant)
        await session.flush()
        await audit.record(
            session,
            actor=actor,
            action="incident.agency_grant",
            obj=grant,
            after=audit.snapshot(grant),
        )
    return _view(grant, org.name)


async def revoke_agency(
    session: AsyncSession, incident_id: int, org_id: int, *, actor: User | None
) -> None:
    """End a granted agency's right to act on the incident (the lead's officials, admins).

    A missing incident or an agency never granted is a 404; the lead agency cannot be
    revoked (409): an incident always has one agency answerable for it."""
    incident = await get_incident(session, incident_id)
    if actor is None:
        raise NotAuthenticated(_("Please sign in first."))
    if not await can_grant(session, actor, incident):
        raise Forbidden(_("Only officials of the lead agency and admins may revoke agencies."))
    if org_id == incident.lead_org_id:
        raise Conflict(
            _("The lead agency cannot be revoked."),
            fields={"organization_id": _("the lead agency")},
        )
    grant = await session.scalar(
        select(IncidentAgency).where(
            IncidentAgency.incident_id == incident.id, IncidentAgency.organization_id == org_id
        )
    )
    if grant is None:
        raise NotFound(
            _("This agency was not granted this incident."),
            fields={"organization_id": _("not granted")},
        )
    before = audit.snapshot(grant)
    await session.delete(grant)
    await session.flush()
    await audit.record(
        session, actor=actor, action="incident.agency_revoke", obj=grant, before=before
    )


def _view(grant: IncidentAgency, name: str) -> dict:
    return {
        "organization_id": grant.organization_id,
        "name": name,
        "lead": False,
        "granted_by_id": grant.granted_by_id,
        "granted_at": grant.granted_at,
    }


async def incident_agencies(session: AsyncSession, incident_id: int) -> list[dict]:
    """The lead agency first, then the granted ones in the order they were granted."""
    incident = await get_incident(session, incident_id)
    agencies = []
    if incident.lead_org_id is not None:
        lead = await session.get(Organization, incident.lead_org_id)
        if lead is not None:
            agencies.append({"organization_id": lead.id, "name": lead.name, "lead": True})
    rows = await session.execute(
        select(IncidentAgency, Organization.name)
        .join(Organization, Organization.id == IncidentAgency.organization_id)
        .where(IncidentAgency.incident_id == incident.id)
        .order_by(IncidentAgency.granted_at, IncidentAgency.id)
    )
    agencies.extend(_view(grant, name) for grant, name in rows.all())
    return agencies


async def grantable_agencies(session: AsyncSession, incident_id: int) -> list[Organization]:
    """Verified government agencies not yet acting on the incident, for the grant form."""
    acting = {a["organization_id"] for a in await incident_agencies(session, incident_id)}
    rows = await session.scalars(
        select(Organization)
        .where(Organization.kind == OrgKind.government)
        .order_by(Organization.name, Organization.id)
    )
    return [org for org in rows if org.is_verified() and org.id not in acting]
