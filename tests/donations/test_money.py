"""Money: idempotent pledges, receipts, disbursements against the balance, who may do what."""

import asyncio

import pytest
from sqlalchemy import func, select

from core.domain import gather
from donations.models import Donation, FundBalance, IdempotencyKey, LedgerEntry

pytestmark = pytest.mark.asyncio


def pledge_body(world, **overrides) -> dict:
    body = {"incident_id": world.incident.id, "amount_minor": 50_000, "currency": "CNY"}
    body.update(overrides)
    return body


async def pledge(client, world, who="donor", key=None, **overrides):
    headers = dict(world.headers[who])
    if key:
        headers["Idempotency-Key"] = key
    return await client.post(
        "/api/v1/donations", json=pledge_body(world, **overrides), headers=headers
    )


async def receive(client, world, donation_id, reference="BANK-1"):
    return await client.post(
        f"/api/v1/donations/{donation_id}/receive",
        json={"reference": reference},
        headers=world.headers["official"],
    )


async def count(app, model) -> int:
    async with app.state.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_pledge_then_official_receives_it(client, world, app):
    response = await pledge(client, world, public_name="Ma Lin")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pledged"
    assert isinstance(body["id"], int)

    received = await receive(client, world, body["id"])
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    assert received.json()["reference"] == "BANK-1"

    again = await receive(client, world, body["id"], "BANK-2")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state"
    assert await count(app, LedgerEntry) == 1


async def test_only_donors_pledge_and_only_officials_receive(client, world):
    assert (await pledge(client, world, who="ngo")).status_code == 403
    anonymous = await client.post("/api/v1/donations", json=pledge_body(world))
    assert anonymous.status_code == 401
    donation = (await pledge(client, world)).json()
    by_donor = await client.post(
        f"/api/v1/donations/{donation['id']}/receive",
        json={"reference": "X"},
        headers=world.headers["donor"],
    )
    assert by_donor.status_code == 403
    missing = await receive(client, world, 999_999)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "dollars"}, "currency"),
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": -5}, "amount_minor"),
        ({"amount_minor": 10**12 + 1}, "amount_minor"),
        ({"amount_minor": 12.5}, "amount_minor"),
        ({"incident_id": 999_999}, "incident_id"),
    ],
)
async def test_bad_pledges_name_the_field(client, world, overrides, field):
    response = await pledge(client, world, **overrides)
    assert 400 <= response.status_code < 500
    assert field in response.json()["error"]["fields"]


async def test_need_of_another_incident_is_refused(client, world):
    response = await pledge(client, world, incident_id=world.other_incident.id,
                            need_id=world.needs[0].id)  # fmt: skip
    assert response.status_code == 422
    assert "need_id" in response.json()["error"]["fields"]


async def test_lowercase_currency_is_normalised(client, world):
    response = await pledge(client, world, currency="usd")
    assert response.status_code == 201
    assert response.json()["currency"] == "USD"


async def test_same_key_same_body_returns_the_same_donation(client, world, app):
    first = await pledge(client, world, key="order-17")
    second = await pledge(client, world, key="order-17")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count(app, Donation) == 1
    # Keys belong to one user: another donor's identical key is a separate pledge.
    other = await pledge(client, world, who="donor2", key="order-17")
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]


async def test_same_key_different_body_is_a_conflict(client, world, app):
    await pledge(client, world, key="order-18")
    response = await pledge(client, world, key="order-18", amount_minor=99)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert await count(app, Donation) == 1


async def test_concurrent_retries_with_one_key_make_one_donation(client, world, app):
    responses = await asyncio.gather(*(pledge(client, world, key="retry-storm") for _ in range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(app, Donation) == 1
    assert await count(app, IdempotencyKey) == 1


async def test_bad_idempotency_key_is_refused(client, world):
    response = await pledge(client, world, key="x" * 201)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


async def disburse(client, world, amount, **overrides):
    return await client.post(
        "/api/v1/disbursements",
        json=disbursement(world, amount, **overrides),
        headers=world.headers["official"],
    )


async def _funded(client, world, amount=100_000) -> None:
    donation = (await pledge(client, world, amount_minor=amount)).json()
    assert (await receive(client, world, donation["id"])).status_code == 200


def disbursement(world, amount, **overrides) -> dict:
    body = {
        "incident_id": world.incident.id,
        "project_id": world.project.id,
        "amount_minor": amount,
        "currency": "CNY",
        "description": "Roof tiles for the school",
        "receipt_reference": "INV-2026-001",
    }
    body.update(overrides)
    return body


async def test_disbursement_cannot_exceed_received_balance(client, world):
    await pledge(client, world, amount_minor=10_000_000)  # pledged, not received: not spendable
    await _funded(client, world, 100_000)
    too_much = await disburse(client, world, 100_001)
    assert too_much.status_code == 409
    error = too_much.json()["error"]
    assert error["code"] == "insufficient_funds"
    assert "1,000.00" in error["message"]
    other_currency = await client.post(
        "/api/v1/disbursements",
        json=disbursement(world, 10, currency="USD"),
        headers=world.headers["official"],
    )
    assert other_currency.status_code == 409
    ok = await disburse(client, world, 100_000)
    assert ok.status_code == 201
    assert ok.json()["project_id"] == world.project.id


async def test_only_officials_disburse(client, world):
    await _funded(client, world)
    for who in ("ngo", "donor"):
        response = await client.post(
            "/api/v1/disbursements", json=disbursement(world, 10), headers=world.headers[who]
        )
        assert response.status_code == 403


async def test_concurrent_disbursements_never_overdraw(client, world, app):
    await _funded(client, world, 1_000)
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/disbursements",
                json=disbursement(world, 300, description=f"part {i}"),
                headers=world.headers["official"],
            )
            for i in range(8)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 5
    async with app.state.database.session(write=False) as session:
        balance = await session.scalar(select(FundBalance))
    assert (balance.received_minor, balance.disbursed_minor) == (1_000, 900)


async def test_incident_and_project_figures(client, world, app):
    first = (await pledge(client, world, amount_minor=70_000, project_id=world.project.id)).json()
    await pledge(client, world, amount_minor=30_000)
    await pledge(client, world, amount_minor=5_00, currency="USD")
    await receive(client, world, first["id"])
    await client.post(
        "/api/v1/disbursements", json=disbursement(world, 20_000), headers=world.headers["official"]
    )
    async with app.state.database.session(write=False) as session:
        incident = await gather("incident.figures", session, world.incident.id)
        project = await gather("project.funds", session, world.project.id)
        empty = await gather("incident.figures", session, world.other_incident.id)
    assert incident["funds"] == {
        "currency": "CNY",
        "pledged_minor": 100_000,
        "received_minor": 70_000,
        "disbursed_minor": 20_000,
        "balance_minor": 50_000,
    }
    assert [f["currency"] for f in incident["funds_by_currency"]] == ["CNY", "USD"]
    assert incident["funds_by_currency"][1]["pledged_minor"] == 500
    assert project["funds"]["received_minor"] == 70_000
    assert project["funds"]["balance_minor"] == 50_000
    assert empty["funds"]["pledged_minor"] == 0
    public = await client.get(f"/api/v1/incidents/{world.incident.id}/funds")
    assert public.json()["funds"]["balance_minor"] == 50_000
    assert public.json()["projects"][0]["project_id"] == world.project.id


async def test_every_money_change_is_audited(client, world, app):
    from core.models import AuditEntry

    donation = (await pledge(client, world, amount_minor=5_000)).json()
    await receive(client, world, donation["id"])
    await disburse(client, world, 1_000)
    async with app.state.database.session(write=False) as session:
        rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    actions = [(r.action, r.actor_id) for r in rows]
    assert ("donation.pledge", world.donor.id) in actions
    assert ("donation.receive", world.official.id) in actions
    assert ("disbursement.create", world.official.id) in actions
    receipt = next(r for r in rows if r.action == "donation.receive")
    assert receipt.before["status"] == "pledged"
    assert receipt.after["status"] == "received"
    assert receipt.after["ledger_seq"] == 1
