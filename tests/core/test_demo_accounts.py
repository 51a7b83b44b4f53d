"""The demo's accounts have addresses that pass email validation, so they can reset passwords."""

import pytest
from pydantic import EmailStr, TypeAdapter
from sqlalchemy import select

from core.cli import load_demo as load
from core.demo import DEMO_DOMAIN, LEGACY_DOMAIN, PEOPLE
from core.models import OutboxMessage, User


def test_every_demo_address_is_a_valid_email():
    adapter = TypeAdapter(EmailStr)
    for _key, email, *_rest in PEOPLE:
        assert adapter.validate_python(email) == email


@pytest.mark.asyncio
async def test_a_demo_account_can_ask_for_a_password_reset(settings, client, app):
    assert await load(settings) is True
    email = next(email for key, email, *_rest in PEOPLE if key == "volunteer")
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202, response.text
    async with app.state.database.session() as session:
        mails = list(await session.scalars(select(OutboxMessage.to_email)))
    assert mails == [email]


@pytest.mark.asyncio
async def test_an_older_demo_load_gets_the_valid_addresses(settings, app):
    """A database loaded with the old `.local` addresses is moved, not loaded twice."""
    assert await load(settings) is True
    async with app.state.database.transaction() as session:
        for user in await session.scalars(select(User)):
            user.email = user.email.removesuffix(DEMO_DOMAIN) + LEGACY_DOMAIN
    assert await load(settings) is False
    async with app.state.database.session() as session:
        emails = sorted(await session.scalars(select(User.email)))
    assert emails == sorted(email for _key, email, *_rest in PEOPLE)
