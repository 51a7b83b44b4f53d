"""A registration over the API, which several accounts tests start from."""

import pytest

from tests.conftest import PASSWORD


async def _register(client, **overrides):
    body = {
        "email": "ngo@example.org",
        "password": PASSWORD,
        "name": "Li Na",
        "role": "ngo",
        "organization": "Blue Sky Rescue",
    }
    body.update(overrides)
    return await client.post("/api/v1/auth/register", json=body)


@pytest.fixture
def register():
    return _register
