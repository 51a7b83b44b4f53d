"""Residents test fixtures: an official's incident with areas, and helpers to ask for help."""

import pytest_asyncio

from core.models import Role
from tests.recovery.conftest import Setup


class Residents:
    """An incident (made by its official) and the calls an affected person or operator makes."""

    def __init__(self, client, setup, ngo_headers):
        self.client = client
        self.setup = setup
        self.official = setup.headers
        self.ngo = ngo_headers
        self.incident_id = setup.incident["id"]

    def body(self, **overrides) -> dict:
        body = {
            "incident_id": self.incident_id,
            "category": "food",
            "description": "Two elderly neighbours need food, they cannot leave the flat",
            "people_affected": 2,
            "vulnerable": ["elderly"],
            "area_id": self.setup.village["id"],
        }
        body.update(overrides)
        return body

    async def ask(self, status=201, **overrides) -> dict:
        response = await self.client.post("/api/v1/help-requests", json=self.body(**overrides))
        assert response.status_code == status, response.text
        return response.json()

    async def by_phone(self, **overrides) -> dict:
        response = await self.client.post(
            "/api/v1/help-requests/operator", json=self.body(**overrides), headers=self.ngo
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def track(self, receipt: dict, **headers) -> dict:
        response = await self.client.get(receipt["follow_up_url"], headers=headers)
        assert response.status_code == 200, response.text
        return response

    async def track_api(self, receipt: dict, **headers) -> dict:
        token = receipt["follow_up_url"].rsplit("/", 1)[-1]
        response = await self.client.get(f"/api/v1/help-requests/track/{token}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def confirm(self, receipt: dict, done: bool) -> dict:
        token = receipt["follow_up_url"].rsplit("/", 1)[-1]
        response = await self.client.post(
            f"/api/v1/help-requests/track/{token}/confirm", json={"done": done}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def queue(self, headers=None, **params) -> list[dict]:
        response = await self.client.get(
            "/api/v1/help-requests",
            params={"incident_id": self.incident_id, **params},
            headers=headers or self.official,
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    async def act(self, request_id: int, action: str, body: dict, status=200) -> dict:
        response = await self.client.post(
            f"/api/v1/help-requests/{request_id}/{action}", json=body, headers=self.official
        )
        assert response.status_code == status, response.text
        return response.json()


@pytest_asyncio.fixture
async def residents(client, factory) -> Residents:
    setup = await Setup(client, factory).start()
    ngo = await factory.user(Role.ngo, org="Riverside Red Cross")
    found = Residents(client, setup, await factory.token(ngo))
    found.ngo_user = ngo
    return found
