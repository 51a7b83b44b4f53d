"""Sign-in and sign-out, bearer tokens, CSRF on forms, and the sign-in throttle."""

import pytest

from core.models import Role
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
