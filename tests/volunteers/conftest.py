"""Fixtures for the volunteers tests: an incident, an organizer and shifts made over the API."""

from datetime import date, timedelta

import pytest_asyncio

from core.clock import utcnow
from core.models import Role
from recovery.models import Incident


@pytest_asyncio.fixture
async def incident(app):
    async with app.state.database.transaction() as session:
        row = Incident(name="Riverside flood", started_on=date(2026, 7, 1), time_zone="UTC")
        session.add(row)
        await session.flush()
    return row


@pytest_asyncio.fixture
async def organizer(factory):
    user = await factory.user(Role.ngo, org="Riverside Red Cross")
    return user, await factory.token(user)


class Shifts:
    """Makes shifts over the API as the organizer, starting `days` from now."""

    def __init__(self, client, incident, organizer):
        self.client = client
        self.incident = incident
        self.headers = organizer[1]

    def body(self, *, days: float = 2, hours: float = 4, capacity: int = 2, **extra) -> dict:
        start = utcnow().replace(microsecond=0) + timedelta(days=days)
        return {
            "incident_id": self.incident.id,
            "title": extra.pop("title", "Sandbag filling"),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(),
            "lat": 30.0,
            "lon": 114.0,
            "capacity": capacity,
            "skills": extra.pop("skills", []),
            **extra,
        }

    async def make(self, **kwargs) -> dict:
        response = await self.client.post(
            "/api/v1/shifts", json=self.body(**kwargs), headers=self.headers
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest_asyncio.fixture
async def shifts(client, incident, organizer) -> Shifts:
    return Shifts(client, incident, organizer)


@pytest_asyncio.fixture
async def volunteer(factory):
    user = await factory.user(Role.volunteer)
    return user, await factory.token(user)
