"""The fairness bound through a run: townships, the stored trade-off, the run page."""

from datetime import timedelta

import pytest

from recovery.models import Area, Need
from tests.donations.conftest import TODAY, need_row, offer_body, run_matching

pytestmark = pytest.mark.asyncio


async def two_townships(world):
    """East township's critical need beside a village of West township with a low one."""
    async with world.database.transaction() as session:
        county = Area(incident_id=world.incident.id, name="River county", lat=30.0, lon=120.0)
        session.add(county)
        await session.flush()
        east = Area(incident_id=world.incident.id, name="East township", level="township",
                    parent_id=county.id, lat=30.0, lon=120.0)  # fmt: skip
        west = Area(incident_id=world.incident.id, name="West township", level="township",
                    parent_id=county.id, lat=30.0, lon=120.0)  # fmt: skip
        session.add_all([east, west])
        await session.flush()
        village = Area(incident_id=world.incident.id, name="Pine village", level="village",
                       parent_id=west.id, lat=30.0, lon=120.0)  # fmt: skip
        session.add(village)
        await session.flush()
        needs = [
            need_row(world.incident.id, title="Family tents", category="shelter", unit="kits",
                     quantity=10, priority="critical", area_id=east.id,
                     needed_by=TODAY + timedelta(days=2)),
            need_row(world.incident.id, title="Spare tents", category="shelter", unit="kits",
                     quantity=10, priority="low", area_id=village.id,
                     needed_by=TODAY + timedelta(days=2)),
        ]  # fmt: skip
        session.add_all(needs)
        await session.flush()
        return east, west, needs


async def post_tents(client, world, quantity=10):
    response = await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, category="shelter", unit="kits", quantity=quantity,
                        lat=30.0, lon=120.0),
        headers=world.headers["ngo"],
    )  # fmt: skip
    assert response.status_code == 201, response.text


def served(report, needs) -> dict[int, int]:
    totals = {n.id: 0 for n in needs}
    for p in report["proposals"]:
        if p["need_id"] in totals:
            totals[p["need_id"]] += p["quantity"]
    return totals


async def test_without_a_bound_the_critical_township_takes_all(client, world):
    _east, _west, needs = await two_townships(world)
    await post_tents(client, world)
    report = await run_matching(client, world)
    assert served(report, needs) == {needs[0].id: 10, needs[1].id: 0}
    shelter = next(g for g in report["summary"]["groups"] if g["unit"] == "kits")
    # The village's need counts in West township.
    assert {a["area"]: a["served"] for a in shelter["areas"]} == {
        "East township": 10, "West township": 0,
    }  # fmt: skip
    assert report["summary"]["bounded"] is None


async def test_the_bound_holds_the_village_township_up_and_the_page_shows_it(client, world):
    from tests.conftest import sign_in

    _east, _west, needs = await two_townships(world)
    await post_tents(client, world)
    report = await run_matching(client, world, max_area_gap_pct=20)
    assert report["max_area_gap_pct"] == 20
    # Tents: 10 of 20 served, 50 %; no township below 30 %: West gets 3.
    assert served(report, needs) == {needs[0].id: 7, needs[1].id: 3}
    shelter = next(g for g in report["summary"]["groups"] if g["unit"] == "kits")
    assert shelter["unbounded"]["worst_share_pct"] == 0.0
    assert shelter["bounded"]["worst_share_pct"] == 30.0
    assert shelter["bounded"]["worst_area"] == "West township"
    # Over the whole run, categories nothing was offered for (meals here) are left out.
    overall = report["summary"]["bounded"]
    assert (overall["worst_area"], overall["worst_share_pct"]) == ("West township", 30.0)
    east = next(a for a in shelter["areas"] if a["area"] == "East township")
    assert (east["served"], east["served_bounded"], east["limit"]) == (10, 7, 3)
    unmet = {u["need_id"]: u["reason"] for u in report["unmet"]}
    assert "fairness bound" in unmet[needs[0].id]

    await sign_in(client, world.official.email)
    page = await client.get(f"/matching/runs/{report['id']}")
    assert page.status_code == 200
    assert "West township" in page.text
    assert "worst-served area 0.0 % without a bound, 30.0 % with it" in page.text


async def test_already_delivered_counts_toward_a_township_share(client, world, app):
    from sqlalchemy import update

    _east, _west, needs = await two_townships(world)
    # West township's village had 10 of 20 delivered already: it is ahead, not behind.
    async with world.database.transaction() as session:
        await session.execute(
            update(Need).where(Need.id == needs[1].id).values(quantity=20, quantity_met=10,
                                                             status="partially_met")
        )  # fmt: skip
    await post_tents(client, world)
    report = await run_matching(client, world, max_area_gap_pct=20)
    # 20 of 30 covered after the run; the limit is 46.7 %: East needs 5 of its 10, West none.
    assert served(report, needs) == {needs[0].id: 10, needs[1].id: 0}
