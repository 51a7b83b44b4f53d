"""A donor deleting their account: their own words go, the money trail's amounts stay."""

import pytest
from sqlalchemy import func, select

from core.domain import Extensions
from core.models import User
from donations.models import Donation, IdempotencyKey, Offer
from tests.donations.conftest import offer_body
from tests.donations.test_money import pledge, receive

pytestmark = pytest.mark.asyncio


async def test_deletion_hook_forgets_the_donor_but_keeps_the_amounts(client, world, app):
    named = (await pledge(client, world, key="gift-1", public_name="Ma Lin")).json()
    await receive(client, world, named["id"])
    in_kind = await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, category="shelter", unit="tents", quantity=10,
                        description="Tents from our garage at 12 Willow Lane"),
        headers=world.headers["donor"],
    )  # fmt: skip
    assert in_kind.json()["kind"] == "pledge"
    other = (await pledge(client, world, who="donor2", key="gift-1", public_name="E.T.")).json()
    funds_before = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()

    async with app.state.database.transaction() as session:
        hooks = Extensions.of(session).account_deletion
        donor = await session.get(User, world.donor.id)
        for hook in hooks:
            await hook(session, donor)

    async with app.state.database.session(write=False) as session:
        gift = await session.get(Donation, named["id"])
        offer = await session.get(Offer, in_kind.json()["id"])
        keys = await session.scalar(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(IdempotencyKey.user_id == world.donor.id)
        )
        untouched = await session.get(Donation, other["id"])
    assert gift.public_name is None
    assert (gift.amount_minor, gift.status) == (50_000, "received")
    assert offer.description == "" and offer.quantity == 10
    assert keys == 0
    assert untouched.public_name == "E.T."
    funds_after = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert funds_after == funds_before
    assert (await client.get("/api/v1/ledger/verify")).json()["ok"] is True
