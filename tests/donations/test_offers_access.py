"""Who may open an offer: its edit page and the API answer only the offering side."""

import pytest

from tests.conftest import sign_in
from tests.donations.conftest import offer_body

pytestmark = pytest.mark.asyncio


async def test_another_ngo_cannot_open_an_offers_edit_page(client, world):
    posted = await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, description="Field kitchen at the east gate"),
        headers=world.headers["ngo"],
    )
    offer_id = posted.json()["id"]
    await sign_in(client, world.ngo2.email)
    page = await client.get(f"/offers/{offer_id}/edit")
    assert page.status_code == 403
    assert "Field kitchen at the east gate" not in page.text
    assert "30.02" not in page.text


async def test_another_donor_or_an_ngo_cannot_open_a_donors_pledge(client, world):
    posted = await client.post(
        "/api/v1/offers",
        json=offer_body(
            world.incident.id,
            category="shelter",
            unit="tents",
            quantity=5,
            lat=30.0456,
            lon=120.0789,
            description="Tents in my garage",
        ),
        headers=world.headers["donor"],
    )
    assert posted.status_code == 201, posted.text
    offer_id = posted.json()["id"]
    for intruder in (world.donor2, world.ngo):
        client.cookies.clear()
        await sign_in(client, intruder.email)
        page = await client.get(f"/offers/{offer_id}/edit")
        assert page.status_code == 403
        assert "Tents in my garage" not in page.text and "30.0456" not in page.text
        api = await client.get(
            f"/api/v1/offers/{offer_id}",
            headers=world.headers["donor2" if intruder is world.donor2 else "ngo"],
        )
        assert api.status_code == 403
