"""Offers, the don't-send list, matching runs, accept/decline/fulfil and the figures they feed."""

import asyncio

import pytest

from core.domain import gather
from recovery.service import get_need
from tests.donations.conftest import offer_body, run_matching

pytestmark = pytest.mark.asyncio


async def post_offer(client, world, who="ngo", **overrides):
    return await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, **overrides),
        headers=world.headers[who],
    )


async def run(client, world):
    return await run_matching(client, world)


async def act(client, world, match_id, action, who="official", **body):
    return await client.post(
        f"/api/v1/matches/{match_id}/{action}", json=body or None, headers=world.headers[who]
    )


async def test_ngo_posts_capacity_and_donor_posts_pledge(client, world):
    capacity = await post_offer(client, world)
    assert capacity.status_code == 201
    assert capacity.json()["kind"] == "capacity"
    assert capacity.json()["organization_id"] == world.ngo.organization_id
    pledge = await post_offer(client, world, who="donor", category="shelter", unit="tents",
                              quantity=40)  # fmt: skip
    assert pledge.json()["kind"] == "pledge"
    official = await post_offer(client, world, who="official")
    assert official.status_code == 403


async def test_owners_see_their_offers_and_officials_see_all(client, world):
    await post_offer(client, world)
    await post_offer(client, world, who="ngo2")
    await post_offer(client, world, who="donor")
    mine = (await client.get("/api/v1/offers", headers=world.headers["ngo"])).json()
    assert mine["total"] == 1
    everyone = (await client.get("/api/v1/offers", headers=world.headers["official"])).json()
    assert everyone["total"] == 3
    assert (await client.get("/api/v1/offers")).status_code == 401


async def test_owner_edits_and_withdraws_but_others_cannot(client, world):
    offer = (await post_offer(client, world)).json()
    url = f"/api/v1/offers/{offer['id']}"
    other = await client.patch(url, json={"quantity": 10}, headers=world.headers["ngo2"])
    assert other.status_code == 403
    edited = await client.patch(url, json={"quantity": 150}, headers=world.headers["ngo"])
    assert edited.json()["quantity"] == 150
    window = await client.patch(
        url, json={"available_until": "2000-01-01"}, headers=world.headers["ngo"]
    )
    assert window.status_code == 422
    assert "available_until" in window.json()["error"]["fields"]
    withdrawn = await client.post(f"{url}/withdraw", headers=world.headers["ngo"])
    assert withdrawn.json()["status"] == "withdrawn"
    again = await client.patch(url, json={"quantity": 5}, headers=world.headers["ngo"])
    assert again.status_code == 409


async def test_invalid_offers_name_their_fields(client, world):
    for overrides, field in (
        ({"category": "clothes"}, "category"),
        ({"quantity": 0}, "quantity"),
        ({"lat": 91}, "lat"),
        ({"available_until": "2000-01-01"}, "available_until"),
    ):
        response = await post_offer(client, world, **overrides)
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"], (overrides, response.json())


async def test_pledge_in_a_dont_send_category_is_refused_with_the_reason(client, world):
    listed = await client.post(
        "/api/v1/dont-send",
        json={
            "incident_id": world.incident.id,
            "category": "shelter",
            "label": "Used clothing and blankets",
            "reason": "Warehouses are full; please give money instead.",
        },
        headers=world.headers["official"],
    )
    assert listed.status_code == 201
    refused = await post_offer(client, world, who="donor", category="shelter", unit="tents")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "not_wanted"
    assert error["fields"]["category"] == "Warehouses are full; please give money instead."
    # NGO capacity (e.g. putting up tents) is not an unsolicited shipment.
    assert (await post_offer(client, world, category="shelter")).status_code == 201
    board = (await client.get(f"/api/v1/incidents/{world.incident.id}/most-needed")).json()
    assert board["dont_send"][0]["label"] == "Used clothing and blankets"
    assert board["most_needed"][0]["category"] == "shelter"  # the critical need comes first


async def test_run_proposes_and_explains_unmet_needs(client, world):
    offer = (await post_offer(client, world, quantity=200)).json()
    result = await run(client, world)
    (proposal,) = result["proposals"]
    assert proposal["need_id"] == world.needs[0].id
    assert proposal["offer_id"] == offer["id"]
    assert proposal["quantity"] == 200
    assert proposal["distance_km"] > 0
    assert any(reason.startswith("distance") for reason in proposal["reasons"])
    unmet = {u["need_id"]: u for u in result["unmet"]}
    assert unmet[world.needs[0].id]["quantity"] == 100
    assert unmet[world.needs[1].id]["reason"].startswith("no offer in this category")
    assert (
        await client.post(
            "/api/v1/matching/runs", json={"incident_id": world.incident.id},
            headers=world.headers["ngo"],
        )
    ).status_code == 403  # fmt: skip


async def test_accept_then_fulfil_updates_the_need(client, world, app):
    await post_offer(client, world, quantity=200)
    proposal = (await run(client, world))["proposals"][0]
    accepted = await act(client, world, proposal["id"], "accept")
    assert accepted.json()["status"] == "accepted"
    assert (await act(client, world, proposal["id"], "decline")).status_code == 409
    # The accepted quantity is promised: a new run does not propose it again.
    rerun = await run(client, world)
    assert rerun["proposals"] == []
    by_other = await act(client, world, proposal["id"], "fulfil", who="ngo2", quantity=50)
    assert by_other.status_code == 403
    part = await act(client, world, proposal["id"], "fulfil", who="ngo", quantity=120)
    assert part.json()["status"] == "accepted"
    assert part.json()["quantity_fulfilled"] == 120
    too_much = await act(client, world, proposal["id"], "fulfil", who="ngo", quantity=81)
    assert too_much.status_code == 409
    done = await act(client, world, proposal["id"], "fulfil", who="ngo", quantity=80)
    assert done.json()["status"] == "fulfilled"
    async with app.state.database.session(write=False) as session:
        need = await get_need(session, world.needs[0].id)
        helpers = await gather("need.helpers", session, world.needs[0].id)
        record = await gather("organization.record", session, world.ngo.organization_id)
    assert need.quantity_met == 200
    assert need.status == "partially_met"
    assert helpers["organizations"] == ["Red Cross Riverside"]
    assert record == {
        "matches_accepted": 1,
        "matches_fulfilled": 1,
        "matches_fulfilled_on_time": 1,
    }
    mine = (await client.get("/api/v1/matches", headers=world.headers["ngo"])).json()
    assert [m["status"] for m in mine["items"]] == ["fulfilled"]


async def test_declined_proposal_cannot_be_accepted(client, world):
    await post_offer(client, world)
    proposal = (await run(client, world))["proposals"][0]
    assert (await act(client, world, proposal["id"], "decline")).json()["status"] == "declined"
    assert (await act(client, world, proposal["id"], "accept")).status_code == 409
    assert (await act(client, world, proposal["id"], "accept", who="ngo")).status_code == 403


async def test_new_run_supersedes_undecided_proposals(client, world):
    await post_offer(client, world)
    first = (await run(client, world))["proposals"][0]
    await run(client, world)
    stale = await act(client, world, first["id"], "accept")
    assert stale.status_code == 409


async def test_accepting_is_atomic_against_offer_capacity(client, world, app):
    """Two needs want the same offer; after the owner cuts the offer, only one accept fits."""
    async with app.state.database.transaction() as session:
        from tests.donations.conftest import need_row

        session.add(need_row(world.incident.id, title="More meals", quantity=100))
    offer = (await post_offer(client, world, quantity=400)).json()
    proposals = (await run(client, world))["proposals"]
    assert sorted(p["quantity"] for p in proposals) == [100, 300]
    await client.patch(
        f"/api/v1/offers/{offer['id']}", json={"quantity": 300}, headers=world.headers["ngo"]
    )
    results = await asyncio.gather(*(act(client, world, p["id"], "accept") for p in proposals))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    refused = next(r for r in results if r.status_code == 409)
    assert refused.json()["error"]["code"] == "offer_capacity_exceeded"
    owned = (await client.get(f"/api/v1/offers/{offer['id']}", headers=world.headers["ngo"])).json()
    assert owned["quantity_committed"] <= owned["quantity"]


async def test_offer_with_accepted_match_cannot_be_withdrawn(client, world):
    offer = (await post_offer(client, world)).json()
    proposal = (await run(client, world))["proposals"][0]
    await act(client, world, proposal["id"], "accept")
    response = await client.post(
        f"/api/v1/offers/{offer['id']}/withdraw", headers=world.headers["ngo"]
    )
    assert response.status_code == 409
    cut = await client.patch(
        f"/api/v1/offers/{offer['id']}", json={"quantity": 1}, headers=world.headers["ngo"]
    )
    assert cut.status_code == 422


async def test_concurrent_accepts_cannot_over_promise_a_need(client, world, app, monkeypatch):
    """Proposals from different runs for one need: accepts run one at a time per need."""
    from donations.models import Match, MatchingRun
    from donations.service import matches

    real_get_need = matches.get_need

    async def slow_get_need(session, need_id):
        await asyncio.sleep(0.2)  # widen the window between reading and committing
        return await real_get_need(session, need_id)

    monkeypatch.setattr(matches, "get_need", slow_get_need)

    first = (await post_offer(client, world, quantity=200)).json()
    second = (await post_offer(client, world, who="ngo2", quantity=200)).json()
    async with app.state.database.transaction() as session:
        runs = [MatchingRun(incident_id=world.incident.id) for _ in range(2)]
        session.add_all(runs)
        await session.flush()
        matches = [
            Match(run_id=run.id, need_id=world.needs[0].id, offer_id=offer["id"], quantity=200,
                  distance_km=1.0, needed_by=world.needs[0].needed_by, reasons=[])
            for run, offer in zip(runs, (first, second), strict=True)
        ]  # fmt: skip
        session.add_all(matches)
    results = await asyncio.gather(*(act(client, world, m.id, "accept") for m in matches))
    assert sorted(r.status_code for r in results) == [200, 409]
    refused = next(r for r in results if r.status_code == 409)
    assert refused.json()["error"]["code"] == "need_already_covered"


async def test_proposal_for_a_closed_need_cannot_be_accepted(client, world, app):
    from sqlalchemy import update

    from recovery.models import Need

    await post_offer(client, world)
    proposal = (await run(client, world))["proposals"][0]
    async with app.state.database.transaction() as session:  # the recovery office closes it
        await session.execute(
            update(Need).where(Need.id == proposal["need_id"]).values(status="closed")
        )
    refused = await act(client, world, proposal["id"], "accept")
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"] == {"need_id": "closed"}


async def test_an_overdue_need_is_still_proposed_and_says_how_late(client, world, app):
    from datetime import timedelta

    from sqlalchemy import update

    from recovery.models import Need
    from tests.donations.conftest import TODAY

    async with app.state.database.transaction() as session:
        await session.execute(
            update(Need)
            .where(Need.id == world.needs[0].id)
            .values(needed_by=TODAY - timedelta(days=5))
        )
    offer = (await post_offer(client, world, quantity=200)).json()
    result = await run(client, world)
    (proposal,) = result["proposals"]
    assert (proposal["need_id"], proposal["offer_id"]) == (world.needs[0].id, offer["id"])
    assert any(reason.startswith("overdue by 5 days") for reason in proposal["reasons"])


async def test_officials_accept_every_proposal_of_a_filter_at_once(client, world, app):
    from sqlalchemy import func, select

    from core.models import AuditEntry

    await post_offer(client, world, quantity=200)  # food, for the first need
    await post_offer(client, world, category="shelter", unit="tents", quantity=40)
    result = await run(client, world)
    by_need = {p["need_id"]: p for p in result["proposals"]}
    assert set(by_need) == {world.needs[0].id, world.needs[1].id}
    url = f"/api/v1/matching/runs/{result['id']}/decisions"
    official = world.headers["official"]

    nothing = await client.post(url, json={"action": "accept", "category": "health"},
                                headers=official)  # fmt: skip
    assert nothing.status_code == 200 and nothing.json()["decided"] == []
    bad = await client.post(url, json={"action": "maybe"}, headers=official)
    assert bad.status_code == 422 and "action" in bad.json()["error"]["fields"]
    assert (
        await client.post(url, json={"action": "accept"}, headers=world.headers["ngo"])
    ).status_code == 403

    shelter = await client.post(url, json={"action": "accept", "category": "shelter"},
                                headers=official)  # fmt: skip
    assert shelter.status_code == 200, shelter.text
    (accepted,) = shelter.json()["decided"]
    assert accepted["need_id"] == world.needs[1].id and accepted["status"] == "accepted"
    report = (await client.get(f"/api/v1/matching/runs/{result['id']}", headers=official)).json()
    statuses = {p["need_id"]: p["status"] for p in report["proposals"]}
    assert statuses == {world.needs[0].id: "proposed", world.needs[1].id: "accepted"}
    async with app.state.database.session() as session:
        audited = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "match.accept")
        )
    assert audited == 1


async def test_a_bulk_decision_is_all_or_nothing_and_names_the_refused_one(client, world, app):
    from sqlalchemy import update

    from donations.models import Offer

    food = (await post_offer(client, world, quantity=200)).json()
    await post_offer(client, world, category="shelter", unit="tents", quantity=40)
    result = await run(client, world)
    # The food offer is withdrawn behind the official's back: its proposal can't be accepted.
    async with app.state.database.transaction() as session:
        await session.execute(
            update(Offer).where(Offer.id == food["id"]).values(status="withdrawn")
        )
    url = f"/api/v1/matching/runs/{result['id']}/decisions"
    refused = await client.post(url, json={"action": "accept"}, headers=world.headers["official"])
    assert refused.status_code == 409, refused.text
    assert "Hot meals" in refused.json()["error"]["message"]
    report = (
        await client.get(f"/api/v1/matching/runs/{result['id']}", headers=world.headers["official"])
    ).json()
    assert {p["status"] for p in report["proposals"]} == {"proposed"}, "nothing half-written"


async def test_the_desk_links_proposals_and_decides_by_filter(client, world):
    from tests.conftest import csrf_token, sign_in

    await post_offer(client, world, quantity=200)
    result = await run(client, world)
    await sign_in(client, world.official.email)
    token = await csrf_token(client, "/matching")
    desk = await client.get("/matching", params={"incident_id": world.incident.id})
    assert f'href="http://testserver/needs/{world.needs[0].id}"' in desk.text
    assert "#offer-" in desk.text and "Decide many at once" in desk.text
    done = await client.post(
        f"/matching/runs/{result['id']}/decisions",
        data={"csrftoken": token, "action": "decline", "priority": "high", "category": ""},
    )
    assert done.status_code == 303
    desk = await client.get("/matching", params={"incident_id": world.incident.id})
    assert "Decide many at once" not in desk.text
