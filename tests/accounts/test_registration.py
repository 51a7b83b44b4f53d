"""Registration over the API and the browser form, its refusals and its audit rows."""

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Organization, Role, User
from tests.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.asyncio


async def test_api_register_ngo_starts_pending(client, register):
    response = await register(client)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ngo@example.org"
    assert body["role"] == "ngo"
    assert body["status"] == "pending"
    assert isinstance(body["organization_id"], int)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "pirate"}, "role"),
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"name": 42}, "name"),
        ({"organization": None}, "organization"),
    ],
)
async def test_bad_registration_names_the_field(client, overrides, field, register):
    response = await register(client, **overrides)
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]


async def test_duplicate_email_is_a_conflict(client, register):
    await register(client)
    response = await register(client, email="NGO@example.org", organization="Other")
    assert response.status_code == 409
    assert response.json()["error"]["fields"]["email"]


async def test_malformed_json_and_oversized_body(client):
    response = await client.post(
        "/api/v1/auth/register", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    response = await client.post(
        "/api/v1/auth/register", content=b"[1, 2]", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await client.post(
        "/api/v1/auth/register", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_unknown_api_path_is_json_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_browser_register_ngo_shows_pending_then_verified_area(client, factory):
    token = await csrf_token(client, "/register")
    response = await client.post(
        "/register",
        data={
            "csrftoken": token,
            "role": "ngo",
            "name": "Wang Fang",
            "email": "wf@example.org",
            "password": PASSWORD,
            "organization": "Harbour Relief",
            "organization_kind": "ngo",
        },
    )
    assert response.status_code == 303
    page = await client.get("/account")
    assert "Pending verification" in page.text

    admin = await factory.user(Role.admin)
    admin_client_token = await factory.token(admin)
    async with factory.app.state.database.session() as session:
        org = await session.scalar(
            select(Organization).where(Organization.name == "Harbour Relief")
        )
    await client.post(f"/api/v1/organizations/{org.id}/verify", headers=admin_client_token)
    page = await client.get("/account")
    assert "Pending verification" not in page.text
    assert "Harbour Relief" in page.text


async def register_in_browser(client, headers=None, **fields):
    token = await csrf_token(client, "/register")
    data = {"csrftoken": token, "role": "volunteer", "name": "A", "email": "a@example.org"}
    return await client.post("/register", data={**data, **fields}, headers=headers)


async def test_browser_register_invalid_form_is_422_with_field_message(client):
    response = await register_in_browser(client, password="short")
    assert response.status_code == 422
    assert 'id="e-password"' in response.text


async def test_htmx_invalid_form_returns_only_the_form_block(client):
    response = await register_in_browser(client, {"HX-Request": "true"}, password="short")
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert 'id="e-password"' in response.text
    assert "<html" not in response.text


async def test_mutations_write_audit_rows_in_the_same_transaction(client, register):
    response = await register(client)
    user_id = response.json()["id"]
    app = client._transport.app
    async with app.state.database.session() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        user = await session.get(User, user_id)
    actions = [e.action for e in entries]
    assert actions == ["organization.create", "user.register"]
    registered = entries[1]
    assert registered.actor_id == user.id and registered.object_id == user.id
    assert registered.after["email"] == "ngo@example.org"
    assert "password_hash" not in registered.after


async def test_browser_register_with_a_taken_email_names_the_field(client, factory):
    user = await factory.user(Role.volunteer)
    response = await register_in_browser(client, email=user.email, password=PASSWORD)
    assert response.status_code == 422
    assert 'id="e-email"' in response.text and "already registered" in response.text
