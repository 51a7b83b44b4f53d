"""Sign-in and sign-out, sessions that end on the server, bearer tokens, CSRF on forms."""

import base64
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from core.accounts.models import PasswordReset
from core.auth import hash_token
from core.clock import utcnow
from core.models import Role, UserSession
from tests.conftest import PASSWORD, csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_revoked_token_is_refused(client, factory):
    user = await factory.user(Role.donor)
    token = (
        await client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401


async def test_bearer_api_call_needs_no_csrf_token_even_beside_a_session_cookie(client, factory):
    user = await factory.user(Role.volunteer)
    token = (
        await client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    ).json()
    await sign_in(client, user.email)
    assert client.cookies.get("commons_session")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    response = await client.delete("/api/v1/auth/token", headers=headers)
    assert response.status_code == 204
    assert "csrftoken" not in response.headers.get("set-cookie", "")
    # The same session cookie without a bearer token still needs the form's token.
    refused = await client.post("/logout")
    assert refused.status_code == 403


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
    assert response.headers["HX-Redirect"] == "http://testserver/home"


async def _opens_account(app, cookie: str) -> bool:
    """Whether a saved session cookie, sent from another browser, still opens /account."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        other.cookies.set("commons_session", cookie)
        return (await other.get("/account")).status_code == 200


async def _signed_in_cookie(client, user) -> str:
    assert (await sign_in(client, user.email)).status_code == 303
    return client.cookies["commons_session"]


async def test_logout_ends_the_session_for_a_saved_copy_of_the_cookie(app, client, factory):
    user = await factory.user(Role.volunteer)
    saved = await _signed_in_cookie(client, user)
    assert await _opens_account(app, saved)
    await client.post("/logout", data={"csrftoken": client.cookies["csrftoken"]})
    assert not await _opens_account(app, saved)
    async with app.state.database.session() as session:
        rows = list(await session.scalars(select(UserSession)))
    assert len(rows) == 1 and rows[0].revoked_at is not None and rows[0].user_id == user.id


async def test_a_session_is_stored_only_as_a_hash_with_the_browser(app, client, factory):
    user = await factory.user(Role.volunteer)
    await csrf_token(client)
    await client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrftoken": client.cookies["csrftoken"]},
        headers={"User-Agent": "Firefox/140"},
    )
    async with app.state.database.session() as session:
        row = await session.scalar(select(UserSession))
    payload = client.cookies["commons_session"].split(".")[0]
    sid = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["sid"]
    assert row.sid_hash == hash_token(sid) != sid
    assert row.user_agent == "Firefox/140"
    assert row.created_at == row.last_seen_at and row.revoked_at is None


async def test_signing_in_again_ends_the_session_it_replaces(app, client, factory):
    first, second = await factory.user(Role.volunteer), await factory.user(Role.donor)
    saved = await _signed_in_cookie(client, first)
    await _signed_in_cookie(client, second)
    assert not await _opens_account(app, saved)
    assert await _opens_account(app, client.cookies["commons_session"])


async def test_password_reset_ends_every_session_of_the_user(app, client, factory):
    user, bystander = await factory.user(Role.volunteer), await factory.user(Role.volunteer)
    saved = await _signed_in_cookie(client, user)
    client.cookies.clear()
    kept = await _signed_in_cookie(client, bystander)
    async with app.state.database.transaction() as session:
        reset = PasswordReset(
            user_id=user.id,
            token_hash=hash_token("reset-token"),
            expires_at=utcnow() + timedelta(hours=1),
        )
        session.add(reset)
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "reset-token", "password": "a brand new password"},
    )
    assert response.status_code == 204
    assert not await _opens_account(app, saved)
    assert await _opens_account(app, kept)


async def test_deactivation_ends_sessions_for_good(app, client, factory):
    member = await factory.user(Role.volunteer)
    saved = await _signed_in_cookie(client, member)
    client.cookies.clear()
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    for active in ("0", "1"):
        response = await client.post(
            f"/admin/users/{member.id}/active",
            data={"csrftoken": client.cookies["csrftoken"], "active": active},
        )
        assert response.status_code == 303
    # Reactivated, the account signs in afresh; the session from before stays ended.
    assert not await _opens_account(app, saved)


async def test_last_seen_is_noted_by_requests_that_write(app, client, factory, test_clock):
    user = await factory.user(Role.volunteer)
    await _signed_in_cookie(client, user)
    async with app.state.database.session() as session:
        signed_in_at = (await session.scalar(select(UserSession))).last_seen_at
    test_clock.advance(timedelta(minutes=10))
    await client.get("/account")
    async with app.state.database.session() as session:
        assert (await session.scalar(select(UserSession))).last_seen_at == signed_in_at
    await client.post("/language", data={"csrftoken": client.cookies["csrftoken"], "locale": "en"})
    async with app.state.database.session() as session:
        seen = (await session.scalar(select(UserSession))).last_seen_at
    assert seen - signed_in_at >= timedelta(minutes=10)
