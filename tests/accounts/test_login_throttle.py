"""The sign-in throttle: per account and address, growing waits, Retry-After, shared by Redis."""

import os
import secrets
from datetime import timedelta

import httpx
import pytest
import redis.asyncio
import redis.exceptions

from core.auth import LoginThrottle
from core.errors import Throttled
from core.models import Role
from tests.conftest import PASSWORD, TEST_START, sign_in

pytestmark = pytest.mark.asyncio


def client_at(app, address: str) -> httpx.AsyncClient:
    """A client whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def token_status(client, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


@pytest.fixture
def frozen(test_clock):
    test_clock.set_clock(TEST_START)
    return test_clock


async def test_failures_from_one_address_do_not_lock_the_account_out_elsewhere(app, factory):
    user = await factory.user(Role.volunteer)
    async with client_at(app, "203.0.113.7") as guesser, client_at(app, "198.51.100.2") as owner:
        for _ in range(10):
            assert (await sign_in(guesser, user.email, "wrong password!")).status_code == 401
        refused = await sign_in(guesser, user.email, PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed sign-in attempts" in refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert (await sign_in(owner, user.email, PASSWORD)).status_code == 303


async def test_fuzzing_unknown_emails_does_not_refuse_a_known_account_behind_the_address(
    app, client, factory
):
    admin = await factory.user(Role.admin)
    for index in range(10):
        response = await token_status(client, f"nobody{index}@example.org", "wrong password!")
        assert response.status_code == 401
    # Unknown emails from this address now wait …
    assert (await token_status(client, "nobody99@example.org", "x" * 10)).status_code == 429
    # … but the administrator signing in from the same address is not refused for it.
    assert (await token_status(client, admin.email, PASSWORD)).status_code == 200


async def test_ten_wrong_passwords_do_not_refuse_another_account_from_the_address(client, factory):
    victim, other = await factory.user(Role.donor), await factory.user(Role.donor)
    for _ in range(10):
        await token_status(client, victim.email, "nope nope nope")
    assert (await token_status(client, victim.email, PASSWORD)).status_code == 429
    assert (await token_status(client, other.email, PASSWORD)).status_code == 200


async def test_each_further_attempt_waits_twice_as_long(client, factory, frozen):
    user = await factory.user(Role.donor)
    for _ in range(10):
        assert (await token_status(client, user.email, "nope nope nope")).status_code == 401
    for wait in (1, 2, 4, 8):
        refused = await token_status(client, user.email, PASSWORD)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == str(wait)
        frozen.advance(timedelta(seconds=wait - 0.5))
        assert (await token_status(client, user.email, PASSWORD)).status_code == 429
        frozen.advance(timedelta(seconds=0.5))
        assert (await token_status(client, user.email, "nope nope nope")).status_code == 401
    frozen.advance(timedelta(seconds=16))
    assert (await token_status(client, user.email, PASSWORD)).status_code == 200
    # A success forgets the failures: the next mistake is an ordinary 401.
    assert (await token_status(client, user.email, "nope nope nope")).status_code == 401
    assert (await token_status(client, user.email, PASSWORD)).status_code == 200


async def test_the_wait_is_capped(settings, frozen):
    throttle = LoginThrottle(
        settings.model_copy(update={"login_failures_allowed": 2, "login_delay_cap_seconds": 60})
    )
    for _ in range(20):
        await throttle.failed("a@example.org", "192.0.2.1", known=True)
    with pytest.raises(Throttled) as refused:
        await throttle.check("a@example.org", "192.0.2.1", known=True)
    assert refused.value.retry_after == 60
    frozen.advance(timedelta(seconds=60))
    await throttle.check("a@example.org", "192.0.2.1", known=True)


async def test_throttled_api_answer_is_the_error_shape_with_retry_after(client, factory):
    user = await factory.user(Role.donor)
    for _ in range(10):
        await token_status(client, user.email, "nope nope nope")
    response = await token_status(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and "email" in error["fields"]


async def test_throttled_sign_in_page_in_chinese_says_how_long(client, factory, frozen):
    user = await factory.user(Role.volunteer)
    client.headers["Accept-Language"] = "zh-CN"
    for _ in range(10):
        await sign_in(client, user.email, "wrong password!")
    frozen.advance(timedelta(seconds=1))
    assert (await sign_in(client, user.email, "wrong password!")).status_code == 401
    refused = await sign_in(client, user.email, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "登录失败次数过多，请 2 秒后再试。" in refused.text


async def test_login_throttle_is_shared_through_redis(settings):
    url = "redis://127.0.0.1:6379/15"
    try:
        async with redis.asyncio.from_url(url) as probe:
            await probe.ping()
    except (OSError, redis.exceptions.ConnectionError):
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = settings.model_copy(update={"rate_limit_storage": url})
    email, address = f"{secrets.token_hex(6)}@example.org", secrets.token_hex(6)
    first, second = LoginThrottle(shared), LoginThrottle(shared)  # as two worker processes
    try:
        for _ in range(10):
            await first.failed(email, address, known=True)
        with pytest.raises(Throttled) as refused:
            await second.check(email, address, known=True)
        assert refused.value.status_code == 429 and refused.value.retry_after == 1
        await second.check(email, secrets.token_hex(6), known=True)  # another address
        await second.succeeded(email, address)
        await first.check(email, address, known=True)
    finally:
        await first.close()
        await second.close()
