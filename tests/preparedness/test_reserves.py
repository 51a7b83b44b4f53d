"""Material reserves: audited movements that never go below zero, stock offered to matching,
held on acceptance and issued on delivery, alerts to the owner, public totals only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.models import AuditEntry, OrgKind, OutboxMessage, Role
from preparedness.service import stock_alerts
from tests.helpers import finished_run
from tests.preparedness.conftest import TODAY

pytestmark = pytest.mark.asyncio


async def _warehouse(prep, headers, **overrides):
    body = {"name": "County depot", "lat": 30.61, "lon": 114.31, **overrides}
    return await prep.call("POST", "/api/v1/warehouses", body, headers=headers, status=201)


async def _matching_run(prep, app) -> dict:
    response = await prep.client.post(
        "/api/v1/matching/runs", json={"incident_id": prep.incident_id}, headers=prep.official
    )
    return await finished_run(prep.client, app, response, headers=prep.official)


async def _move(prep, warehouse_id, headers, status=201, **body):
    return await prep.call(
        "POST", f"/api/v1/warehouses/{warehouse_id}/movements", body, headers=headers, status=status
    )


async def _stock(prep, warehouse_id, headers):
    return (await prep.call("GET", f"/api/v1/warehouses/{warehouse_id}/stock", headers=headers))[
        "items"
    ]


async def test_movements_are_audited_and_never_go_below_zero(prep, app):
    depot = await _warehouse(prep, prep.official)
    soon = (TODAY + timedelta(days=20)).isoformat()
    later = (TODAY + timedelta(days=300)).isoformat()
    fuel = {"category": "logistics", "unit": "litres"}
    await _move(
        prep,
        depot["id"],
        prep.official,
        kind="receive",
        quantity=300,
        lot="A",
        expires_on=later,
        **fuel,
    )
    await _move(
        prep,
        depot["id"],
        prep.official,
        kind="receive",
        quantity=100,
        lot="B",
        expires_on=soon,
        **fuel,
    )
    error = await _move(
        prep, depot["id"], prep.official, status=409, kind="issue", quantity=401, **fuel
    )
    assert error["error"]["code"] == "stock_short" and "quantity" in error["error"]["fields"]
    # Without a lot the first expiring lot goes first.
    issued = await _move(prep, depot["id"], prep.official, kind="issue", quantity=150, **fuel)
    assert [(m["lot"], m["quantity"]) for m in issued] == [("B", -100), ("A", -50)]
    error = await _move(
        prep, depot["id"], prep.official, status=422, kind="adjust", quantity=-5, **fuel
    )
    assert "reason" in error["error"]["fields"]
    await _move(
        prep, depot["id"], prep.official, kind="adjust", quantity=-10, lot="A",
        expires_on=later, reason="spilled", **fuel,
    )  # fmt: skip
    other = await _warehouse(prep, prep.official, name="Township store")
    await _move(
        prep, depot["id"], prep.official, kind="transfer", quantity=40,
        to_warehouse_id=other["id"], **fuel,
    )  # fmt: skip
    assert [(s["lot"], s["quantity"]) for s in await _stock(prep, depot["id"], prep.official)] == [
        ("A", 200)
    ]
    assert [(s["lot"], s["quantity"]) for s in await _stock(prep, other["id"], prep.official)] == [
        ("A", 40)
    ]
    async with app.state.database.session() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_type == "stock_movements")
            )
        )
    assert actions.count("stock.receive") == 3 and "stock.adjust" in actions


async def test_only_the_owner_moves_and_officials_or_owner_see_stock(prep):
    ngo = await prep.factory.user(Role.ngo, org="Relief Store", org_kind=OrgKind.ngo)
    ngo_headers = await prep.factory.token(ngo)
    depot = await _warehouse(prep, ngo_headers)
    body = {"kind": "receive", "category": "food", "unit": "boxes", "quantity": 5}
    await _move(prep, depot["id"], prep.official, status=403, **body)
    await _move(prep, depot["id"], ngo_headers, **body)
    assert len(await _stock(prep, depot["id"], prep.official)) == 1
    stranger = await prep.factory.user(Role.ngo, org="Other NGO", org_kind=OrgKind.ngo)
    await prep.call(
        "GET",
        f"/api/v1/warehouses/{depot['id']}/stock",
        headers=await prep.factory.token(stranger),
        status=403,
    )


async def test_public_sees_totals_per_category_only(prep, client):
    depot = await _warehouse(prep, prep.official, name="Secret Depot 7")
    await _move(
        prep,
        depot["id"],
        prep.official,
        kind="receive",
        category="shelter",
        unit="tents",
        quantity=80,
        lot="LOT-99",
    )
    await _move(
        prep,
        (await _warehouse(prep, prep.official))["id"],
        prep.official,
        kind="receive",
        category="shelter",
        unit="tents",
        quantity=20,
    )
    totals = await prep.call("GET", "/api/v1/reserves/totals", headers={})
    assert totals == [{"category": "shelter", "unit": "tents", "quantity": 100}]
    page = await client.get("/reserves")
    assert page.status_code == 200 and "100 tents" in page.text
    assert "Secret Depot 7" not in page.text and "LOT-99" not in page.text


async def test_owner_is_told_of_expiring_lots_and_low_stock(prep, app):
    depot = await _warehouse(prep, prep.official, low_stock={"water_sanitation": 50})
    await _move(
        prep, depot["id"], prep.official, kind="receive", category="water_sanitation",
        unit="bottles", quantity=30, lot="W1", expires_on=(TODAY + timedelta(days=10)).isoformat(),
    )  # fmt: skip
    for _ in range(2):
        async with app.state.database.transaction() as session:
            await stock_alerts(session, {})
    async with app.state.database.session() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert kinds.count("stock.expiring") == 1
    assert kinds.count("stock.low") == 1


async def test_team_fuel_need_is_matched_to_reserve_stock_and_issued(prep, app):
    """The issue's chain: a team on site needs fuel, the depot's fuel is proposed as a reserve
    offer, accepted (held), fulfilled (issued)."""
    _, team_headers, team_org = await prep.team("Blue Sky Rescue")
    deployment = await prep.call(
        "POST", "/api/v1/deployments", prep.deployment_body(team_org), status=201
    )
    path = f"/api/v1/deployments/{deployment['id']}"
    await prep.call("POST", f"{path}/accept", headers=team_headers)
    await prep.call("POST", f"{path}/check-in", {"lat": 30.63, "lon": 114.33}, headers=team_headers)
    report = await prep.call(
        "POST",
        f"{path}/reports",
        {
            "work_done": "Cleared the school",
            "people_helped": 3,
            "needs": [
                {"category": "logistics", "quantity": 120, "unit": "litres", "title": "Diesel"}
            ],
        },
        headers=team_headers,
        status=201,
    )
    need_id = report["need_ids"][0]
    depot = await _warehouse(prep, prep.official)
    await _move(
        prep, depot["id"], prep.official, kind="receive", category="logistics", unit="litres",
        quantity=500, lot="D1", expires_on=(TODAY + timedelta(days=200)).isoformat(),
    )  # fmt: skip
    run = await _matching_run(prep, app)
    proposals = [p for p in run["proposals"] if p["need_id"] == need_id]
    assert len(proposals) == 1
    proposal = proposals[0]
    assert proposal["offer_kind"] == "reserve"
    assert proposal["warehouse_id"] == depot["id"]
    assert proposal["quantity"] == 120
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/accept")
    # Held stock is not offered again.
    second = await _matching_run(prep, app)
    assert not [p for p in second["proposals"] if p["need_id"] == need_id]
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/fulfil", {"quantity": 120})
    levels = await _stock(prep, depot["id"], prep.official)
    assert [(s["lot"], s["quantity"]) for s in levels] == [("D1", 380)]
    need = await prep.call("GET", f"/api/v1/needs/{need_id}")
    assert need["status"] == "met" and need["quantity_met"] == 120


async def test_accepting_a_reserve_match_after_the_stock_left_is_refused(prep, app):
    need = await prep.setup.need(category="food", unit="boxes", quantity=50)
    depot = await _warehouse(prep, prep.official)
    fuel = {"category": "food", "unit": "boxes"}
    await _move(prep, depot["id"], prep.official, kind="receive", quantity=50, **fuel)
    run = await _matching_run(prep, app)
    proposal = next(p for p in run["proposals"] if p["need_id"] == need["id"])
    await _move(prep, depot["id"], prep.official, kind="issue", quantity=45, **fuel)
    error = await prep.call("POST", f"/api/v1/matches/{proposal['id']}/accept", status=409)
    assert error["error"]["code"] == "stock_short"


async def test_a_manual_issue_cannot_take_stock_held_for_an_accepted_match(prep, app):
    need = await prep.setup.need(category="food", unit="boxes", quantity=30)
    depot = await _warehouse(prep, prep.official)
    food = {"category": "food", "unit": "boxes"}
    await _move(prep, depot["id"], prep.official, kind="receive", quantity=50, **food)
    run = await _matching_run(prep, app)
    proposal = next(p for p in run["proposals"] if p["need_id"] == need["id"])
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/accept")
    # 30 of the 50 are held: issuing 21 by hand would leave the match short.
    error = await _move(
        prep, depot["id"], prep.official, status=409, kind="issue", quantity=21, **food
    )
    assert error["error"]["code"] == "stock_short" and "quantity" in error["error"]["fields"]
    other = await _warehouse(prep, prep.official, name="Township depot")
    await _move(
        prep, depot["id"], prep.official, status=409, kind="transfer", quantity=21,
        to_warehouse_id=other["id"], **food,
    )  # fmt: skip
    assert [s["quantity"] for s in await _stock(prep, depot["id"], prep.official)] == [50]
    assert await _stock(prep, other["id"], prep.official) == []
    await _move(prep, depot["id"], prep.official, kind="issue", quantity=20, **food)
    # The held 30 are still there for the delivery.
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/fulfil", {"quantity": 30})
    assert await _stock(prep, depot["id"], prep.official) == []
