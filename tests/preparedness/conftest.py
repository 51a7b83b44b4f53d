"""Preparedness test fixtures: an official's incident with areas, and teams that keep profiles."""

from datetime import timedelta

import pytest_asyncio

from core import clock
from core.models import OrgKind, Role
from tests.recovery.conftest import Setup

TODAY = clock.today("Asia/Shanghai")


def team_body(**overrides) -> dict:
    body = {
        "capabilities": ["collapsed_structure_sar", "medical_first_aid"],
        "members": 24,
        "equipment": [{"name": "hydraulic cutter", "quantity": 2}],
        "certifications": [
            {
                "name": "Collapsed-structure rescue level 2",
                "issuer": "Provincial Emergency Management Department",
                "expires_on": (TODAY + timedelta(days=200)).isoformat(),
                "capability": "collapsed_structure_sar",
            }
        ],
        "base_lat": 30.7,
        "base_lon": 114.4,
        "response_radius_km": 150,
    }
    body.update(overrides)
    return body


class Prep:
    """An incident (made by its official) and the calls teams and officials make."""

    def __init__(self, client, factory, setup):
        self.client = client
        self.factory = factory
        self.setup = setup
        self.official = setup.headers
        self.incident_id = setup.incident["id"]

    async def call(self, method, path, body=None, headers=None, status=200, **params):
        response = await self.client.request(
            method,
            path,
            json=body,
            params=params or None,
            headers=self.official if headers is None else headers,
        )
        assert response.status_code == status, response.text
        return response.json()

    async def team(self, name, **overrides):
        """A verified NGO with a team profile: (member user, headers, organization id)."""
        user = await self.factory.user(Role.ngo, org=name, org_kind=OrgKind.ngo)
        headers = await self.factory.token(user)
        await self.call(
            "PUT",
            f"/api/v1/organizations/{user.organization_id}/team",
            team_body(**overrides),
            headers=headers,
        )
        return user, headers, user.organization_id

    def deployment_body(self, team_org_id, **overrides):
        body = {
            "incident_id": self.incident_id,
            "team_org_id": team_org_id,
            "area_id": self.setup.village["id"],
            "capability": "collapsed_structure_sar",
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=5)).isoformat(),
        }
        body.update(overrides)
        return body


@pytest_asyncio.fixture
async def prep(client, factory) -> Prep:
    setup = await Setup(client, factory).start()
    return Prep(client, factory, setup)
