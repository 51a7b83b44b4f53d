"""Donations fixtures: an incident with needs and a project, and the people who act on them."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest_asyncio

from core.db import utcnow
from core.models import Role, User
from recovery.models import Area, Incident, Need, Project


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


@pytest_asyncio.fixture
async def world(app, factory) -> World:
    official = await factory.user(Role.official, org="Recovery Office", org_kind="government")
    ngo = await factory.user(Role.ngo, org="Red Cross Riverside", org_kind="ngo")
    ngo2 = await factory.user(Role.ngo, org="Blue Sky Rescue", org_kind="ngo")
    donor = await factory.user(Role.donor, email="ma.lin@example.org", name="Ma Lin")
    donor2 = await factory.user(Role.donor, email="give@textiles.example", name="Eastern Textiles")
    async with app.state.database.transaction() as session:
        incident = Incident(name="Riverside flood", started_on=date(2026, 11, 1))
        other = Incident(name="Hill fire", started_on=date(2026, 10, 1))
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
