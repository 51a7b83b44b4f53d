"""Money as it arrives: unpledged receipts, received amounts that differ from the pledge,
refunds as entries, payment instructions, and the receipt's public verification code."""

import pytest

from tests.donations.test_allocations import trail_of
from tests.donations.test_money import disburse, pledge
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio


async def record(client, world, **overrides):
    body = {
        "incident_id": world.incident.id,
        "amount_minor": 20_000,
        "currency": "CNY",
        "reference": "TRANSFER-881",
    }
    body.update(overrides)
    return await client.post("/api/v1/receipts", json=body, headers=world.headers["official"])


async def test_unpledged_transfer_is_restricted_and_its_donor_name_stays_private(client, world):
    response = await record(
        client, world, project_id=world.project.id, donor_name="Zhang Hua (private)"
    )
    assert response.status_code == 201, response.text
    gift = response.json()
    assert gift["status"] == "received"
    assert gift["channel"] == "bank_transfer"
    assert gift["received_minor"] == 20_000
    assert len(gift["verification_code"]) == 12
    # It pays only for its project.
    assert (await disburse(client, world, 1_000, project_id=None)).status_code == 409
    assert (await disburse(client, world, 15_000)).status_code == 201
    shown = await trail_of(client, world, gift["id"], "official")
    assert shown["unspent_minor"] == 5_000
    entries = (await client.get(f"/api/v1/ledger?incident_id={world.incident.id}")).json()
    assert all("Zhang" not in e["counterparty"] for e in entries["items"])
    page = await client.get(f"/ledger?incident_id={world.incident.id}")
    assert "Zhang" not in page.text
    # Only officials record receipts, and the body names what is wrong.
    by_donor = await client.post(
        "/api/v1/receipts",
        json={"incident_id": world.incident.id, "amount_minor": 1, "currency": "CNY",
              "reference": "x"},
        headers=world.headers["donor"],
    )  # fmt: skip
    assert by_donor.status_code == 403
    bad = await record(client, world, reference="", channel="cheque")
    assert bad.status_code == 422
    assert {"reference", "channel"} <= set(bad.json()["error"]["fields"])


async def test_cash_at_a_collection_point_with_a_public_name(client, world):
    response = await record(
        client, world, channel="cash", reference="BOX-3", public_name="Willow school pupils"
    )
    assert response.status_code == 201
    entries = (await client.get(f"/api/v1/ledger?incident_id={world.incident.id}")).json()
    assert entries["items"][0]["counterparty"] == "Willow school pupils"
    figures = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert figures["funds"]["received_minor"] == 20_000
    assert figures["funds"]["pledged_minor"] == 0  # it was never pledged


async def test_received_amount_may_differ_from_the_pledge(client, world):
    donation = (await pledge(client, world, amount_minor=50_000)).json()
    received = await client.post(
        f"/api/v1/donations/{donation['id']}/receive",
        json={"reference": "BANK-9", "amount_minor": 49_500},
        headers=world.headers["official"],
    )
    assert received.status_code == 200
    assert received.json()["amount_minor"] == 50_000
    assert received.json()["received_minor"] == 49_500
    figures = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert figures["funds"]["pledged_minor"] == 50_000
    assert figures["funds"]["received_minor"] == 49_500
    # What arrived is what may be spent.
    assert (await disburse(client, world, 49_501, project_id=None)).status_code == 409
    entries = (await client.get("/api/v1/ledger")).json()["items"]
    assert entries[0]["amount_minor"] == 49_500


async def test_refund_is_an_entry_and_only_of_unspent_money(client, world):
    gift = (await record(client, world, amount_minor=10_000)).json()
    assert (await disburse(client, world, 6_000, project_id=None)).status_code == 201
    url = f"/api/v1/donations/{gift['id']}/refund"
    too_much = await client.post(
        url, json={"amount_minor": 4_001, "reason": "donor asked"},
        headers=world.headers["official"],
    )  # fmt: skip
    assert too_much.status_code == 409
    assert "amount_minor" in too_much.json()["error"]["fields"]
    refunded = await client.post(
        url, json={"amount_minor": 3_000, "reason": "donor asked"},
        headers=world.headers["official"],
    )  # fmt: skip
    assert refunded.status_code == 201
    assert refunded.json()["kind"] == "refund"
    shown = await trail_of(client, world, gift["id"], "official")
    assert (shown["received_minor"], shown["refunded_minor"], shown["unspent_minor"]) == (
        10_000,
        3_000,
        1_000,
    )
    figures = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert figures["funds"]["received_minor"] == 7_000
    assert figures["funds"]["balance_minor"] == 1_000
    assert (await client.get("/api/v1/ledger/verify")).json()["ok"] is True


async def test_payment_instructions_show_after_pledging(client, world):
    url = f"/api/v1/incidents/{world.incident.id}/payment-instructions"
    body = {
        "account_holder": "Riverside Recovery Office",
        "bank": "Bank of Riverside",
        "account_number": "6222 0000 1111",
        "reference_hint": "FLOOD + your phone's last 4 digits",
        "text_en": "Transfers arrive within two working days.",
        "text_zh": "转账两个工作日内到账。",
    }
    assert (await client.put(url, json=body, headers=world.headers["donor"])).status_code == 403
    missing = await client.put(url, json=body | {"bank": ""}, headers=world.headers["official"])
    assert missing.status_code == 422 and "bank" in missing.json()["error"]["fields"]
    saved = await client.put(url, json=body, headers=world.headers["official"])
    assert saved.status_code == 200
    assert (await client.get(url)).json()["account_number"] == "6222 0000 1111"

    token = await browser(client, world.donor, "/give")
    form = {
        "csrftoken": token,
        "incident_id": str(world.incident.id),
        "amount": "88.00",
        "currency": "CNY",
        "idempotency_key": "k-instructions",
    }
    response = await client.post("/give", data=form)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Bank of Riverside" in page.text
    assert "6222 0000 1111" in page.text
    assert "Transfers arrive within two working days." in page.text
    chinese = await client.get(response.headers["location"], headers={"Accept-Language": "zh"})
    assert "转账两个工作日内到账。" in chinese.text


async def test_receipt_code_is_checked_at_a_public_page(client, world):
    gift = (await record(client, world, donor_name="Private Person")).json()
    code = gift["verification_code"]
    check = await client.get(f"/api/v1/receipts/verify?code={code.lower()}")
    assert check.status_code == 200
    assert check.json()["valid"] is True
    assert check.json()["amount_minor"] == 20_000
    assert "Private" not in check.text
    page = await client.get(f"/receipts/verify?code={code}")
    assert "Genuine" in page.text and "Private" not in page.text
    bogus = await client.get("/receipts/verify?code=NOTAREALCODE")
    assert "No receipt has this code." in bogus.text
    assert (await client.get("/api/v1/receipts/verify?code=XYZ")).json() == {
        "valid": False,
        "donation_id": None,
        "incident_id": None,
        "amount_minor": None,
        "currency": None,
        "received_on": None,
        "purpose": None,
        "public_name": None,
        "status": None,
    }
