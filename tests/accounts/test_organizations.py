"""Organizations: pending until an administrator verifies them, who may list which."""

import pytest

from core.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.asyncio


async def test_api_token_then_pending_until_admin_verifies(client, factory, register):
    registered = (await register(client)).json()
    token = (
        await client.post(
            "/api/v1/auth/token", json={"email": "ngo@example.org", "password": PASSWORD}
        )
    ).json()
    assert token["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["status"] == "pending"

    admin = await factory.user(Role.admin)
    admin_headers = await factory.token(admin)
    pending = await client.get("/api/v1/organizations?status=pending", headers=admin_headers)
    assert [o["name"] for o in pending.json()["items"]] == ["Blue Sky Rescue"]
    verified = await client.post(
        f"/api/v1/organizations/{registered['organization_id']}/verify", headers=admin_headers
    )
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert verified.json()["verified_at"]
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["status"] == "active"


async def test_public_cannot_list_pending_organizations(client, register):
    await register(client)
    assert (await client.get("/api/v1/organizations")).json()["total"] == 0
    response = await client.get("/api/v1/organizations?status=pending")
    assert response.status_code == 403
    assert response.json()["error"]["fields"] == {"status": "admin only"}


async def test_non_admin_cannot_verify(client, factory):
    official = await factory.user(Role.official)
    headers = await factory.token(official)
    response = await client.post(
        f"/api/v1/organizations/{official.organization_id}/verify", headers=headers
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
