"""Registration, sign-in, verification, roles, CSRF, throttling and audit, over HTML and the API."""

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Organization, Role, User
from tests.conftest import PASSWORD, csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def register_api(client, **overrides):
    body = {
        "email": "ngo@example.org",
        "password": PASSWORD,
        "name": "Li Na",
        "role": "ngo",
        "organization": "Blue Sky Rescue",
    }
    body.update(overrides)
    return await client.post("/api/v1/auth/register", json=body)


async def test_api_register_ngo_starts_pending(client):
    response = await register_api(client)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ngo@example.org"
    assert body["role"] == "ngo"
    assert body["status"] == "pending"
    assert isinstance(body["organization_id"], int)


async def test_api_token_then_pending_until_admin_verifies(client, factory):
    registered = (await register_api(client)).json()
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


async def test_public_cannot_list_pending_organizations(client):
    await register_api(client)
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


async def test_revoked_token_is_refused(client, factory):
    user = await factory.user(Role.donor)
    token = (
        await client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401


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
async def test_bad_registration_names_the_field(client, overrides, field):
    response = await register_api(client, **overrides)
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]


async def test_duplicate_email_is_a_conflict(client):
    await register_api(client)
    response = await register_api(client, email="NGO@example.org", organization="Other")
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


async def test_browser_register_invalid_form_is_422_with_field_message(client):
    token = await csrf_token(client, "/register")
    response = await client.post(
        "/register",
        data={
            "csrftoken": token,
            "role": "volunteer",
            "name": "A",
            "email": "a@example.org",
            "password": "short",
        },
    )
    assert response.status_code == 422
    assert 'id="e-password"' in response.text


async def test_sign_in_rotates_session_and_sign_out(client, factory):
    user = await factory.user(Role.volunteer)
    await client.get("/login")
    before = client.cookies.get("commons_session")
    response = await sign_in(client, user.email)
    assert response.status_code == 303
    after = client.cookies.get("commons_session")
    assert after and after != before
    assert user.name in (await client.get("/account")).text
    token = client.cookies["csrftoken"]
    await client.post("/logout", data={"csrftoken": token})
    assert (await client.get("/account")).status_code == 303


async def test_session_cookie_flags(client, factory):
    user = await factory.user(Role.volunteer)
    response = await sign_in(client, user.email)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_form_post_without_csrf_token_is_rejected(client, factory):
    user = await factory.user(Role.volunteer)
    await client.get("/login")
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    response = await client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrftoken": "forged"}
    )
    assert response.status_code == 403


async def test_htmx_request_with_csrf_header_is_accepted(client, factory):
    user = await factory.user(Role.volunteer)
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"x-csrftoken": token, "HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "http://testserver/account"


async def test_login_is_rate_limited_per_account(client, factory):
    user = await factory.user(Role.volunteer)
    for _ in range(10):
        response = await sign_in(client, user.email, "wrong password!")
        assert response.status_code == 401
    response = await sign_in(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text


async def test_api_token_is_rate_limited(client, factory):
    user = await factory.user(Role.donor)
    for _ in range(10):
        await client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope!"})
    response = await client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


async def test_admin_pages_need_admin_role(client, factory):
    volunteer = await factory.user(Role.volunteer)
    await sign_in(client, volunteer.email)
    for path in ("/admin/organizations", "/admin/users", "/admin/audit"):
        assert (await client.get(path)).status_code == 403
    client.cookies.clear()
    assert (await client.get("/admin/users")).status_code == 303
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    for path in ("/admin/organizations", "/admin/users", "/admin/audit"):
        assert (await client.get(path)).status_code == 200


async def test_admin_verifies_in_browser_and_deactivates_user(client, factory):
    member = await factory.user(Role.ngo, verified=False, org="Mountain Aid")
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    page = await client.get("/admin/organizations")
    assert "Mountain Aid" in page.text
    token = client.cookies["csrftoken"]
    response = await client.post(
        f"/admin/organizations/{member.organization_id}/verify",
        data={"csrftoken": token, "action": "verify"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Renew verification" in response.text
    response = await client.post(
        f"/admin/users/{member.id}/active", data={"csrftoken": token, "active": "0"}
    )
    assert response.status_code == 303
    client.cookies.clear()
    other = await client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": PASSWORD}
    )
    assert other.status_code == 401
    async with factory.app.state.database.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "organization.verify" in actions and "user.deactivate" in actions


async def test_mutations_write_audit_rows_in_the_same_transaction(client):
    response = await register_api(client)
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


async def test_htmx_invalid_form_returns_only_the_form_block(client):
    token = await csrf_token(client, "/register")
    response = await client.post(
        "/register",
        data={
            "csrftoken": token,
            "role": "volunteer",
            "name": "A",
            "email": "a@example.org",
            "password": "short",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert 'id="e-password"' in response.text
    assert "<html" not in response.text


async def test_login_is_rate_limited_per_address_across_accounts(client, factory):
    for index in range(10):
        response = await sign_in(client, f"nobody{index}@example.org", "wrong password!")
        assert response.status_code == 401
    user = await factory.user(Role.volunteer)
    response = await sign_in(client, user.email, PASSWORD)
    assert response.status_code == 429


async def test_login_throttle_can_be_shared_through_redis(settings):
    import os
    import secrets

    import redis.asyncio

    from core.auth import LoginThrottle
    from core.errors import DomainError

    url = "redis://127.0.0.1:6379/15"
    try:
        async with redis.asyncio.from_url(url) as probe:
            await probe.ping()
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = settings.model_copy(update={"rate_limit_storage": url})
    email, address = f"{secrets.token_hex(6)}@example.org", secrets.token_hex(6)
    first, second = LoginThrottle(shared), LoginThrottle(shared)  # as two worker processes
    for _ in range(10):
        await first.failed(email, address)
    try:
        with pytest.raises(DomainError) as refused:
            await second.check(email, address)
        assert refused.value.status_code == 429
    finally:
        await first.close()
        await second.close()
