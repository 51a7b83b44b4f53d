"""What requesters hear when organizations act on their need, and who hears a "not done"."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from tests.helpers import finished_run

pytestmark = pytest.mark.asyncio


async def _matched(residents, app, **ask) -> tuple[dict, dict, int]:
    """A converted request whose need has an accepted match from the NGO's offer."""
    client, official = residents.client, residents.official
    today = clock.today("Asia/Shanghai")
    receipt = await residents.ask(**ask)
    converted = await residents.act(
        receipt["id"],
        "convert",
        {"title": "Meals", "quantity": 10, "unit": "meals",
         "needed_by": (today + timedelta(days=3)).isoformat()},
    )  # fmt: skip
    village = residents.setup.village
    offer = await client.post(
        "/api/v1/offers",
        headers=residents.ngo,
        json={"incident_id": residents.incident_id, "category": "food", "quantity": 10,
              "unit": "meals", "lat": village["lat"], "lon": village["lon"], "radius_km": 20,
              "available_from": today.isoformat(),
              "available_until": (today + timedelta(days=10)).isoformat()},
    )  # fmt: skip
    assert offer.status_code == 201, offer.text
    started = await client.post(
        "/api/v1/matching/runs", json={"incident_id": residents.incident_id}, headers=official
    )
    run = await finished_run(client, app, started, headers=official)
    (proposal,) = [p for p in run["proposals"] if p["need_id"] == converted["need_id"]]
    accepted = await client.post(f"/api/v1/matches/{proposal['id']}/accept", headers=official)
    assert accepted.status_code == 200, accepted.text
    return receipt, proposal, converted["need_id"]


async def _mails(app, kind: str) -> list[OutboxMessage]:
    async with app.state.database.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return list(rows)


async def test_accepting_a_match_tells_who_comes_and_not_done_alerts_that_organization(
    residents, app
):
    phone = "+86 137 5555 6666"
    receipt, _proposal, _need = await _matched(residents, app, contact_phone=phone, consent=True)
    today = clock.today("Asia/Shanghai")
    view = await residents.track_api(receipt, **{"Accept-Language": "zh-CN"})
    coming = view["updates"][-1]["message"]
    assert coming == (
        f"Riverside Red Cross 将提供帮助，预计在 {today} 至 {today + timedelta(days=3)} 之间送达。"
    )
    view = await residents.confirm(receipt, done=False)
    assert view["status"] == "converted"
    alerts = await _mails(app, "residents.reopened")
    assert {m.to_email for m in alerts} == {residents.ngo_user.email}
    (alert,) = alerts
    assert "open again" in alert.subject and phone not in alert.body and "5555" not in alert.body


async def test_a_not_done_without_a_coming_organization_alerts_the_lead_agency(residents, app):
    receipt = await residents.ask()
    await residents.confirm(receipt, done=False)
    alerts = await _mails(app, "residents.reopened")
    assert {m.to_email for m in alerts} == {residents.setup.official.email}


async def test_delivery_that_meets_the_need_asks_the_requester_to_confirm(residents, app):
    receipt, proposal, _need = await _matched(residents, app)
    partly = await residents.client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil", json={"quantity": 4}, headers=residents.ngo
    )
    assert partly.status_code == 200, partly.text
    updates = (await residents.track_api(receipt))["updates"]
    assert "delivered" not in updates[-1]["message"]  # 4 of 10 meals: not yet
    before = len(updates)
    rest = await residents.client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil", json={"quantity": 6}, headers=residents.ngo
    )
    assert rest.status_code == 200, rest.text
    view = await residents.track_api(receipt)
    assert len(view["updates"]) == before + 1  # only the delivery that met the need
    reference = (await residents.queue())[0]["reference"]
    assert view["updates"][-1]["message"].startswith(
        "Riverside Red Cross reports that the help was delivered."
    )
    assert f"DONE {reference}" in view["updates"][-1]["message"]
    done = await residents.confirm(receipt, done=True)
    assert done["status"] == "closed" and done["need_status"] == "met"
