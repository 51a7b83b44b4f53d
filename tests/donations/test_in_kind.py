"""Gifts in kind carry an estimated value, shown apart from cash and never in a balance."""

import pytest
import xmlschema
from lxml import etree

from tests.donations.conftest import offer_body, run_matching
from tests.donations.test_ledger import SCHEMA_DIR
from tests.donations.test_money import disburse, pledge, receive
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio


async def valued_pledge(client, world, **overrides):
    body = offer_body(
        world.incident.id,
        category="shelter",
        unit="tents",
        quantity=40,
        value_minor=800_000,
        value_currency="CNY",
        description="Family tents",
    )
    response = await client.post(
        "/api/v1/offers", json=body | overrides, headers=world.headers["donor"]
    )
    return response


async def accepted_proposal(client, world) -> dict:
    run = await run_matching(client, world)
    (proposal,) = [p for p in run["proposals"] if p["need_id"] == world.needs[1].id]
    accepted = await client.post(
        f"/api/v1/matches/{proposal['id']}/accept", headers=world.headers["official"]
    )
    assert accepted.status_code == 200, accepted.text
    return proposal


async def test_in_kind_value_is_apart_from_cash_and_never_in_the_balance(client, world):
    offer = await valued_pledge(client, world)
    assert offer.status_code == 201, offer.text
    assert (offer.json()["value_minor"], offer.json()["value_currency"]) == (800_000, "CNY")
    gift = (await pledge(client, world, amount_minor=50_000)).json()
    await receive(client, world, gift["id"], "BANK-1")
    proposal = await accepted_proposal(client, world)
    # Pro rata: 10 of 40 tents carry a quarter of the estimated value.
    part = await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 10},
        headers=world.headers["donor"],
    )
    assert part.status_code == 200, part.text
    assert part.json()["value_delivered_minor"] == 200_000
    # A delivery may state its own estimate.
    rest = await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 30, "value_minor": 550_000},
        headers=world.headers["donor"],
    )
    assert rest.json()["value_delivered_minor"] == 750_000
    funds = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert funds["funds"]["received_minor"] == 50_000
    assert funds["funds"]["balance_minor"] == 50_000
    assert funds["in_kind"] == [
        {
            "currency": "CNY",
            "offered_value_minor": 800_000,
            "delivered_value_minor": 750_000,
            "offers": 1,
            "deliveries": 1,
        }
    ]
    # In-kind value cannot be spent: the cash balance alone bounds a disbursement.
    assert (await disburse(client, world, 60_000)).status_code == 409
    page = await client.get(f"/incidents/{world.incident.id}/giving")
    assert "Given in kind" in page.text
    assert "¥7,500.00" in page.text or "7,500.00" in page.text


async def test_a_value_names_its_currency_and_a_delivery_value_needs_a_valued_offer(client, world):
    missing = await valued_pledge(client, world, value_currency=None)
    assert missing.status_code == 422
    assert "value_currency" in missing.json()["error"]["fields"]
    alone = await valued_pledge(client, world, value_minor=None)
    assert alone.status_code == 422
    assert "value_minor" in alone.json()["error"]["fields"]
    unvalued = await valued_pledge(client, world, value_minor=None, value_currency=None)
    assert unvalued.status_code == 201
    proposal = await accepted_proposal(client, world)
    refused = await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 5, "value_minor": 100},
        headers=world.headers["donor"],
    )
    assert refused.status_code == 409
    assert "value_minor" in refused.json()["error"]["fields"]
    plain = await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 5},
        headers=world.headers["donor"],
    )
    assert plain.json()["value_delivered_minor"] == 0


async def test_donor_sees_where_their_gift_in_kind_went(client, world):
    await valued_pledge(client, world)
    proposal = await accepted_proposal(client, world)
    await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 20},
        headers=world.headers["donor"],
    )
    await browser(client, world.donor, "/my-donations")
    page = await client.get("/my-donations")
    assert page.status_code == 200
    assert "Given in kind" in page.text
    assert world.needs[1].title in page.text  # "Tents"
    assert "4,000.00" in page.text


async def test_offer_form_takes_the_value_in_major_units_and_refuses_nonsense_in_place(
    client, world
):
    token = await browser(client, world.ngo)
    form = {k: str(v) for k, v in offer_body(world.incident.id).items()} | {
        "value": "1,250.50",
        "value_currency": "CNY",
        "csrftoken": token,
    }
    headers = world.headers["ngo"]
    saved = await client.post("/offers/new", data=form)
    assert saved.status_code == 303, saved.text
    offers = (await client.get("/api/v1/offers", headers=headers)).json()["items"]
    assert offers[0]["value_minor"] == 125_050
    bad = await client.post(
        "/offers/new", data=form | {"value": "lots"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422
    assert 'id="e-value"' in bad.text
    assert 'value="lots"' in bad.text
    # No value: the prefilled currency alone records nothing.
    plain = await client.post("/offers/new", data=form | {"value": ""})
    assert plain.status_code == 303
    offers = (await client.get("/api/v1/offers", headers=headers)).json()["items"]
    assert offers[0]["value_minor"] is None and offers[0]["value_currency"] is None


async def test_delivery_form_takes_an_estimated_value_in_major_units(client, world):
    await valued_pledge(client, world)
    proposal = await accepted_proposal(client, world)
    token = await browser(client, world.donor, "/my-matches")
    page = await client.get("/my-matches")
    assert f'id="v-{proposal["id"]}"' in page.text  # the valued offer's delivery asks its value
    url = f"/my-matches/{proposal['id']}/fulfil"
    bad = await client.post(
        url, data={"quantity": "4", "value": "plenty", "csrftoken": token},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert f'id="e-v-{proposal["id"]}"' in bad.text and 'value="plenty"' in bad.text
    saved = await client.post(url, data={"quantity": "4", "value": "1,234.50", "csrftoken": token})
    assert saved.status_code == 303, saved.text
    (row,) = (await client.get("/api/v1/matches", headers=world.headers["donor"])).json()["items"]
    assert (row["quantity_fulfilled"], row["value_delivered_minor"]) == (4, 123_450)
    # Left empty, the offer's value counts pro rata: 4 of 40 tents of 8,000.00.
    await client.post(url, data={"quantity": "4", "value": "", "csrftoken": token})
    (row,) = (await client.get("/api/v1/matches", headers=world.headers["donor"])).json()["items"]
    assert row["value_delivered_minor"] == 123_450 + 80_000


async def test_iati_shows_gifts_in_kind_as_their_own_activity_at_estimated_value(client, world):
    offer = (await valued_pledge(client, world)).json()
    cash = (await pledge(client, world, amount_minor=50_000)).json()
    await receive(client, world, cash["id"], "BANK-1")
    proposal = await accepted_proposal(client, world)
    await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil",
        json={"quantity": 10},
        headers=world.headers["donor"],
    )
    response = await client.get(f"/api/v1/export/iati.xml?incident_id={world.incident.id}")
    assert response.status_code == 200
    xmlschema.XMLSchema(str(SCHEMA_DIR / "iati-activities-schema.xsd")).validate(response.content)
    activities = etree.fromstring(response.content).findall("iati-activity")
    fund, kind = activities[0], activities[-1]
    assert kind.findtext("iati-identifier").endswith(f"-I{world.incident.id}-K")
    assert "gifts in kind (estimated value)" in kind.findtext("title/narrative")
    rows = [
        (t.get("ref"), t.find("transaction-type").get("code"), t.findtext("value"),
         t.find("finance-type").get("code"))
        for t in kind.findall("transaction")
    ]  # fmt: skip
    assert rows == [
        (f"RC-INK-{offer['id']}", "13", "8000.00", "110"),
        (f"RC-INKD-{proposal['id']}", "1", "2000.00", "110"),
    ]
    delivered = kind.findall("transaction")[1]
    assert delivered.findtext("description/narrative").startswith("In kind, estimated value")
    # The giver is a private donor: never named. The cash stays in the fund's activity alone.
    assert delivered.findtext("provider-org/narrative") == "Anonymous"
    assert world.donor.name not in response.text
    assert [t.findtext("value") for t in fund.findall("transaction")] == ["500.00"]


async def test_iati_has_no_in_kind_activity_without_valued_gifts(client, world):
    await valued_pledge(client, world, value_minor=None, value_currency=None)
    response = await client.get(f"/api/v1/export/iati.xml?incident_id={world.incident.id}")
    assert b"gifts in kind" not in response.content
