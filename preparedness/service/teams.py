"""Team profiles: capabilities, equipment, certifications, base; officials search them."""

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock, notifications
from core.errors import InvalidInput
from core.geo import haversine_km
from core.i18n import _
from core.models import Organization, User
from preparedness.errors import NotTeamMember, TeamNotFound
from preparedness.labels import CAPABILITIES
from preparedness.models import Certification, Team
from preparedness.schemas import CertificationOut, TeamMatch, TeamOut, TeamProfile
from recovery.service import area_choices, ensure_can_act, get_area

# Days before a certification expires that its team is reminded.
REMIND_DAYS_BEFORE = 30


def ensure_member(user: User, org_id: int) -> None:
    if user.organization_id != org_id:
        raise NotTeamMember(_("Only members of this organization may do this."))


async def get_team(session: AsyncSession, org_id: int) -> Team:
    team = await session.scalar(select(Team).where(Team.organization_id == org_id))
    if team is None:
        raise TeamNotFound(
            _("This organization has no team profile."), fields={"team_org_id": _("not a team")}
        )
    return team


async def certifications(session: AsyncSession, team_id: int) -> list[Certification]:
    rows = await session.scalars(
        select(Certification)
        .where(Certification.team_id == team_id)
        .order_by(Certification.expires_on, Certification.id)
    )
    return list(rows)


def certified_capabilities(team: Team, certs: list[Certification], today: date) -> set[str]:
    """The team's capabilities covered by a certification that has not expired."""
    covered: set[str] = set()
    for cert in certs:
        if cert.expires_on < today:
            continue
        if cert.capability is None:
            covered.update(team.capabilities)
        elif cert.capability in team.capabilities:
            covered.add(cert.capability)
    return covered


async def save_team(
    session: AsyncSession, org_id: int, data: TeamProfile, *, actor: User
) -> TeamOut:
    """Create or replace the organization's team profile."""
    ensure_member(actor, org_id)
    org = await session.get(Organization, org_id)
    if org is None:
        raise TeamNotFound(_("No such organization."), fields={"id": _("not found")})
    team = await session.scalar(select(Team).where(Team.organization_id == org_id))
    before = audit.snapshot(team) if team else None
    fields = data.model_dump(exclude={"certifications"}, mode="json")
    if team is None:
        team = Team(organization_id=org_id, **fields)
        session.add(team)
    else:
        for key, value in fields.items():
            setattr(team, key, value)
        team.updated_at = clock.utcnow()
    await session.flush()
    await session.execute(delete(Certification).where(Certification.team_id == team.id))
    session.add_all(
        Certification(
            team_id=team.id,
            name=c.name,
            issuer=c.issuer,
            capability=c.capability,
            expires_on=c.expires_on,
        )
        for c in data.certifications
    )
    await session.flush()
    after = audit.snapshot(team) | {
        "certifications": [c.model_dump(mode="json") for c in data.certifications]
    }
    await audit.record(
        session, actor=actor, action="team.save", obj=team, before=before, after=after
    )
    return await team_view(session, org_id)


async def team_view(session: AsyncSession, org_id: int) -> TeamOut:
    team = await get_team(session, org_id)
    org = await session.get(Organization, org_id)
    return TeamOut(
        organization_id=org_id,
        name=org.name,
        capabilities=team.capabilities,
        members=team.members,
        equipment=team.equipment,
        certifications=[
            CertificationOut.model_validate(c, from_attributes=True)
            for c in await certifications(session, team.id)
        ],
        base_lat=team.base_lat,
        base_lon=team.base_lon,
        response_radius_km=team.response_radius_km,
    )


async def _search_point(
    session: AsyncSession, incident_id: int | None, area_id: int | None
) -> tuple[int, float | None, float | None]:
    if area_id is not None:
        area = await get_area(session, area_id)
        if incident_id is not None and area.incident_id != incident_id:
            raise InvalidInput(
                _("The area is not in this incident."), fields={"area_id": _("not in incident")}
            )
        return area.incident_id, area.lat, area.lon
    if incident_id is None:
        raise InvalidInput(
            _("Name an incident or an area to search near."),
            fields={"incident_id": _("This field is required")},
        )
    areas = await area_choices(session, incident_id)
    first = areas[0][0] if areas else None
    return incident_id, (first.lat if first else None), (first.lon if first else None)


async def search_teams(
    session: AsyncSession,
    *,
    capability: str,
    incident_id: int | None,
    area_id: int | None,
    actor: User,
) -> list[TeamMatch]:
    """Verified teams with a current certification for `capability`, nearest first."""
    incident_id, lat, lon = await _search_point(session, incident_id, area_id)
    await ensure_can_act(session, actor, incident_id)
    today = clock.today()
    rows = await session.execute(
        select(Team, Organization).join(Organization, Organization.id == Team.organization_id)
    )
    found = []
    for team, org in rows.all():
        if capability not in team.capabilities or not org.is_verified():
            continue
        certs = await certifications(session, team.id)
        if capability not in certified_capabilities(team, certs, today):
            continue
        distance = (
            round(haversine_km(lat, lon, team.base_lat, team.base_lon), 1)
            if lat is not None
            else None
        )
        found.append(
            TeamMatch(
                organization_id=org.id,
                name=org.name,
                capabilities=team.capabilities,
                members=team.members,
                distance_km=distance,
                within_radius=distance is None or distance <= team.response_radius_km,
            )
        )
    found.sort(key=lambda t: (t.distance_km is None, t.distance_km or 0, t.organization_id))
    return found


async def is_certified(session: AsyncSession, org_id: int, capability: str, today: date) -> bool:
    team = await get_team(session, org_id)
    certs = await certifications(session, team.id)
    return capability in certified_capabilities(team, certs, today)


async def remind_certifications(session: AsyncSession, payload: dict) -> None:
    """Job: remind each team once of every certification expiring within 30 days."""
    today = clock.today()
    due = await session.scalars(
        select(Certification).where(
            Certification.expires_on >= today,
            Certification.expires_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
            Certification.reminded_on.is_(None),
        )
    )
    for cert in list(due):
        team = await session.get(Team, cert.team_id)

        def compose(cert=cert):
            label = str(CAPABILITIES[cert.capability]) if cert.capability in CAPABILITIES else ""
            subject = _("Certification %(name)s expires on %(date)s") % {
                "name": cert.name,
                "date": cert.expires_on.isoformat(),
            }
            body = _(
                "Your team's certification %(name)s (issued by %(issuer)s) expires on %(date)s. "
                "Renew it: once it has expired the team is no longer proposed for %(what)s."
            ) % {
                "name": cert.name,
                "issuer": cert.issuer,
                "date": cert.expires_on.isoformat(),
                "what": label or _("its capabilities"),
            }
            return subject, body

        await notifications.queue_for_organization(
            session,
            organization_id=team.organization_id,
            kind="team.certification_expiring",
            compose=compose,
        )
        cert.reminded_on = today
    await session.flush()
