"""Recovery test fixtures: an official with a verified agency, an incident with areas, helpers."""

from datetime import timedelta

import pytest
import pytest_asyncio

from core import clock
from core.models import OrgKind, Role
from core.pages import SharedFront
from tests.recovery.seed import seeded  # noqa: F401  (the public pages' fixture)


class Setup:
    """An official's API session with an incident and a county → township → village tree."""

    def __init__(self, client, factory):
        self.client = client
        self.factory = factory

    async def start(self):
        self.official = await self.factory.user(
            Role.official, org="Recovery Office", org_kind=OrgKind.government
        )
        self.headers = await self.factory.token(self.official)
        incident = await self.post(
            "/api/v1/incidents",
            {
                "name": "River Floods",
                "started_on": (clock.today("Asia/Shanghai") - timedelta(days=30)).isoformat(),
                "description": "Floods along the river",
                "status": "recovery",
                "time_zone": "Asia/Shanghai",
            },
        )
        self.incident = incident
        self.county = await self.area("Riverside County", None, 30.6, 114.3)
        self.township = await self.area("Willow Township", self.county["id"], 30.62, 114.32)
        self.village = await self.area("Willow Village", self.township["id"], 30.63, 114.33)
        return self

    async def post(self, path, body, headers=None, status=201):
        response = await self.client.post(path, json=body, headers=headers or self.headers)
        assert response.status_code == status, response.text
        return response.json()

    async def area(self, name, parent_id, lat, lon):
        return await self.post(
            "/api/v1/areas",
            {
                "incident_id": self.incident["id"],
                "name": name,
                "parent_id": parent_id,
                "lat": lat,
                "lon": lon,
            },
        )

    def need_body(self, **overrides):
        body = {
            "incident_id": self.incident["id"],
            "area_id": self.village["id"],
            "title": "Family tents",
            "category": "shelter",
            "quantity": 40,
            "unit": "tents",
            "priority": "high",
            "needed_by": (clock.today("Asia/Shanghai") + timedelta(days=10)).isoformat(),
            "lat": 30.63,
            "lon": 114.33,
        }
        body.update(overrides)
        return body

    async def need(self, **overrides):
        return await self.post("/api/v1/needs", self.need_body(**overrides))

    async def project(self, lead_org_id=None, **overrides):
        body = {
            "incident_id": self.incident["id"],
            "area_id": self.township["id"],
            "title": "Rebuild Willow school",
            "lead_org_id": lead_org_id or self.official.organization_id,
            "budget_minor": 120_000_000,
            "currency": "CNY",
            "starts_on": (clock.today("Asia/Shanghai") - timedelta(days=20)).isoformat(),
            "due_on": (clock.today("Asia/Shanghai") + timedelta(days=90)).isoformat(),
        }
        body.update(overrides)
        return await self.post("/api/v1/projects", body)

    async def task(self, project_id, org_id, due_in_days=30, **overrides):
        body = {
            "title": "Clear the site",
            "responsible_org_id": org_id,
            "due_on": (clock.today("Asia/Shanghai") + timedelta(days=due_in_days)).isoformat(),
        }
        body.update(overrides)
        return await self.post(f"/api/v1/projects/{project_id}/tasks", body)


@pytest_asyncio.fixture
async def setup(client, factory) -> Setup:
    return await Setup(client, factory).start()


@pytest.fixture
def lanes(monkeypatch):
    """What each signed-out lane attempt returned (True: the lane answered, core/pages.py
    SharedFront._take_lane); `lanes.off` sends every request the normal way."""
    taken: list[bool] = []
    original = SharedFront._take_lane

    async def spy(self, scope, receive, send):
        if spy.off:
            return False
        answered = await original(self, scope, receive, send)
        taken.append(answered)
        return answered

    spy.off = False
    spy.taken = taken
    monkeypatch.setattr(SharedFront, "_take_lane", spy)
    return spy


def forget_pages(app, cache_name: str) -> None:
    """Empty the page cache `cache_name` and the front, so the next view is a miss."""
    for name in (cache_name, "front", "built_lately"):
        found = app.state.database.caches.get(name)
        if found is not None:
            found.clear()


def headers_of(response) -> dict:
    """The response's headers but its request id, which is each answer's own."""
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}
