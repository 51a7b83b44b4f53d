"""The signed-in person's page and the language choice."""

import pytest

from core.models import Role, User
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_language_choice_is_kept_for_the_session_and_the_account(client, factory):
    user = await factory.user(Role.donor)
    await sign_in(client, user.email)
    response = await client.post(
        "/language",
        data={"csrftoken": client.cookies["csrftoken"], "locale": "zh_Hans", "next": "/account"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert 'lang="zh-Hans"' in (await client.get("/account")).text
    async with factory.app.state.database.session() as session:
        assert (await session.get(User, user.id)).locale == "zh_Hans"


async def test_unknown_language_and_foreign_next_are_ignored(client):
    token = await csrf_token(client)
    response = await client.post(
        "/language", data={"csrftoken": token, "locale": "xx", "next": "//evil.example"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/"
    assert 'lang="en"' in (await client.get("/login")).text
