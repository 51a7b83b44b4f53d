"""The public help form and API refuse floods per address and per phone: 429 in the asker's
language with Retry-After, counted in the storage every worker shares."""

import os
import secrets

import pytest
import redis.asyncio
import redis.exceptions

from core.auth import LoginThrottle
from core.errors import Throttled
from residents.service.throttle import allow_request
from tests.conftest import csrf_token

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"help_requests_per_address": 5, "help_requests_per_phone": 2}
    )


async def test_one_phone_is_refused_after_its_limit_with_retry_after(residents):
    for _ in range(2):
        await residents.ask(contact_phone="+86 137 0000 1111", consent=True)
    # The same number written another way is the same phone.
    response = await residents.client.post(
        "/api/v1/help-requests",
        json=residents.body(contact_phone="137-0000-1111", consent=True),
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert "此电话号码" in error["message"] and "contact_phone" in error["fields"]
    # Another household behind the same address still gets through, up to the address's limit.
    await residents.ask(contact_phone="+86 137 0000 2222", consent=True)
    await residents.ask()


async def test_one_address_is_refused_after_its_limit_on_the_form_too(residents):
    for _ in range(5):
        await residents.ask()
    refused = await residents.ask(status=429)
    assert "connection" in refused["error"]["message"]
    client = residents.client
    page = await client.post(
        "/help",
        data={
            "csrftoken": await csrf_token(client, "/help"),
            "incident_id": str(residents.incident_id),
            "category": "food",
            "description": "Food for two",
        },
    )
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "Too many help requests from this connection" in page.text
    assert '<form method="post"' in page.text  # the form comes back, with what was typed
    assert "Food for two" in page.text
    assert len(await residents.queue()) == 5


async def test_the_counters_are_shared_by_every_worker_through_redis(settings):
    url = "redis://127.0.0.1:6379/14"
    try:
        async with redis.asyncio.from_url(url) as probe:
            await probe.ping()
    except (OSError, redis.exceptions.ConnectionError):
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = settings.model_copy(update={"rate_limit_storage": url})
    first, second = LoginThrottle(shared), LoginThrottle(shared)  # as two worker processes
    phone, other = (f"139{secrets.randbelow(10**8):08d}" for _ in range(2))
    try:
        await allow_request(first.limiter, shared, address=secrets.token_hex(6), phone=phone)
        await allow_request(second.limiter, shared, address=secrets.token_hex(6), phone=phone)
        with pytest.raises(Throttled) as refused:
            await allow_request(second.limiter, shared, address=secrets.token_hex(6), phone=phone)
        assert refused.value.status_code == 429 and refused.value.retry_after > 0
        # Another phone from the same worker is not held back.
        await allow_request(first.limiter, shared, address=secrets.token_hex(6), phone=other)
    finally:
        await first.close()
        await second.close()


async def test_an_ipv6_line_counts_as_one_address_and_ipv4_addresses_apart(settings):
    """Addresses in one /64 are one asker (a phone may take any of them); distinct IPv4
    addresses, and an IPv4 address written as IPv6, count as themselves."""
    from core.auth import address_key

    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::5") != address_key("2001:db8:1:3::5")
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1" != address_key("10.0.0.2")
    assert address_key("unknown") == "unknown"
    throttle = LoginThrottle(settings)
    for number in range(5):
        await allow_request(throttle.limiter, settings, address=f"2001:db8:7::{number}", phone=None)
    with pytest.raises(Throttled):
        await allow_request(throttle.limiter, settings, address="2001:db8:7::99", phone=None)
    await allow_request(throttle.limiter, settings, address="2001:db8:8::1", phone=None)


async def test_the_default_address_limit_leaves_room_for_a_shelter_behind_one_address():
    from core.settings import Settings

    default = {name: field.default for name, field in Settings.model_fields.items()}
    hourly = default["help_requests_per_address"] * 3600 / default["help_request_window_seconds"]
    assert hourly >= 300 and default["help_requests_per_phone"] <= 5
