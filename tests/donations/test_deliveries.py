"""The offering organization's list of accepted matches: what to deliver, how much, where."""

import pytest

from tests.conftest import sign_in
from tests.donations.conftest import offer_body, run_matching

pytestmark = pytest.mark.asyncio


async def accepted_meals(client, world, quantity=120):
    await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, quantity=quantity, description="Field kitchen"),
        headers=world.headers["ngo"],
    )
    report = await run_matching(client, world)
    (proposal,) = [p for p in report["proposals"] if p["need_id"] == world.needs[0].id]
    accepted = await client.post(
        f"/api/v1/matches/{proposal['id']}/accept", headers=world.headers["official"]
    )
    assert accepted.status_code == 200, accepted.text
    return proposal


async def test_the_list_says_what_to_deliver_where_and_how_much_is_left(client, world):
    proposal = await accepted_meals(client, world)
    await client.post(f"/api/v1/matches/{proposal['id']}/fulfil", json={"quantity": 20},
                      headers=world.headers["ngo"])  # fmt: skip
    mine = await client.get("/api/v1/matches", headers=world.headers["ngo"])
    assert mine.status_code == 200
    (item,) = mine.json()["items"]
    assert item["need_title"] == "Hot meals" and item["unit"] == "meals"
    assert (item["quantity"], item["quantity_fulfilled"], item["to_deliver"]) == (120, 20, 100)
    assert item["area"] == "Willow village" and item["incident"] == "Riverside flood"
    assert (item["lat"], item["lon"]) == (30.0, 120.0)
    assert item["offer_description"] == "Field kitchen" and item["status"] == "accepted"
    # Another organization sees none of it.
    assert (await client.get("/api/v1/matches", headers=world.headers["ngo2"])).json() == {
        "items": [], "total": 0,
    }  # fmt: skip
    only_done = await client.get("/api/v1/matches?status=fulfilled", headers=world.headers["ngo"])
    assert only_done.json()["total"] == 0


async def test_the_page_shows_the_place_and_links_the_need(client, world):
    proposal = await accepted_meals(client, world)
    await sign_in(client, world.ngo.email)
    page = await client.get("/my-matches")
    assert page.status_code == 200
    row = page.text[page.text.index(f'id="delivery-{proposal["id"]}"') :]
    assert "Willow village" in row and 'href="geo:30.00000,120.00000"' in row
    assert f"/needs/{world.needs[0].id}" in row and "120 meals" in row
