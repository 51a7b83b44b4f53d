"""Donations fixtures: an incident with needs and a project, and the people who act on them."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest_asyncio

from core import jobs
from core.auth import hash_password
from core.clock import utcnow
from core.models import Organization, OrgStatus, Role, User
from recovery.models import Area, Incident, Need, Project
from tests.conftest import PASSWORD


@dataclass
class World:
    incident: Incident
    other_incident: Incident
    area: Area
    needs: list[Need]
    project: Project
    official: User
    ngo: User
    ngo2: User
    donor: User
    donor2: User
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    database: Any = None


TODAY = utcnow().date()


def need_row(incident_id: int, **overrides) -> Need:
    values = dict(
        incident_id=incident_id,
        title="Hot meals",
        category="food",
        quantity=300,
        unit="meals",
        priority="high",
        needed_by=TODAY + timedelta(days=10),
        lat=30.0,
        lon=120.0,
    )
    values.update(overrides)
    return Need(**values)


_HASHES: dict[str, str] = {}


async def _password_hash() -> str:
    if PASSWORD not in _HASHES:
        _HASHES[PASSWORD] = await hash_password(PASSWORD)
    return _HASHES[PASSWORD]


async def _person(session, role, name, org=None, kind=None, email=None) -> User:
    organization = None
    if org is not None:
        now = utcnow()
        organization = Organization(
            name=org,
            kind=kind,
            status=OrgStatus.verified,
            verified_at=now,
            verified_until=now + timedelta(days=365),
        )
        session.add(organization)
        await session.flush()
    user = User(
        email=email or f"{role}.{name.split()[0].lower()}@example.org",
        name=name,
        password_hash=await _password_hash(),
        role=role,
        organization_id=organization.id if organization else None,
    )
    session.add(user)
    await session.flush()
    return user


@pytest_asyncio.fixture
async def world(app, factory) -> World:
    async with app.state.database.transaction() as session:
        # Direct rows with one cached password hash: argon2 per user would dominate test time.
        official = await _person(
            session, Role.official, "Chen Wei", "Recovery Office", "government"
        )
        ngo = await _person(session, Role.ngo, "Liu Yang", "Red Cross Riverside", "ngo")
        ngo2 = await _person(session, Role.ngo, "Sun Li", "Blue Sky Rescue", "ngo")
        donor = await _person(session, Role.donor, "Ma Lin", email="ma.lin@example.org")
        donor2 = await _person(
            session, Role.donor, "Eastern Textiles", email="give@textiles.example"
        )
        # The official's agency leads both incidents, so the official may act on them.
        lead = official.organization_id
        incident = Incident(name="Riverside flood", started_on=date(2026, 11, 1), lead_org_id=lead)
        other = Incident(name="Hill fire", started_on=date(2026, 10, 1), lead_org_id=lead)
        session.add_all([incident, other])
        await session.flush()
        area = Area(incident_id=incident.id, name="Willow village", lat=30.01, lon=120.01)
        session.add(area)
        await session.flush()
        needs = [
            need_row(incident.id, area_id=area.id),
            need_row(
                incident.id,
                title="Tents",
                category="shelter",
                quantity=40,
                unit="tents",
                priority="critical",
                needed_by=TODAY + timedelta(days=3),
            ),
            need_row(
                incident.id,
                title="Excavators",
                category="debris_removal",
                quantity=2,
                unit="excavators",
                priority="medium",
            ),
        ]
        session.add_all(needs)
        project = Project(
            incident_id=incident.id,
            area_id=area.id,
            title="Rebuild Willow school",
            description="Repair the flooded primary school.",
            lead_org_id=ngo.organization_id,
            budget_minor=50_000_000,
            currency="CNY",
            starts_on=TODAY - timedelta(days=5),
            due_on=TODAY + timedelta(days=120),
            created_by_id=official.id,
        )
        session.add(project)
        await session.flush()
    w = World(incident, other, area, needs, project, official, ngo, ngo2, donor, donor2)
    w.database = app.state.database
    for name in ("official", "ngo", "ngo2", "donor", "donor2"):
        w.headers[name] = await factory.token(getattr(w, name))
    return w


def offer_body(incident_id: int, **overrides) -> dict:
    body = {
        "incident_id": incident_id,
        "category": "food",
        "quantity": 300,
        "unit": "meals",
        "lat": 30.02,
        "lon": 120.02,
        "radius_km": 25,
        "available_from": TODAY.isoformat(),
        "available_until": (TODAY + timedelta(days=30)).isoformat(),
        "description": "Hot meals from our field kitchen",
    }
    body.update(overrides)
    return body


async def run_matching(client, world, *, who: str = "official", **body) -> dict:
    """POST a matching run (202), run its job as a worker would, answer the finished run."""
    response = await client.post(
        "/api/v1/matching/runs",
        json={"incident_id": world.incident.id, **body},
        headers=world.headers[who],
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "queued"
    await jobs.run_job(world.database, "matching.run", {"run_id": queued["id"]})
    done = await client.get(response.headers["location"], headers=world.headers[who])
    assert done.status_code == 200
    return done.json()
