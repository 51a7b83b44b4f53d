"""Issue 17's "done when", on the demo incident: a plan at level II starts its tasks; two
certified teams are proposed for a collapsed-structure village whose zone admits one, and the
second request is refused; the first team checks in and reports a fuel need that matching
meets from the county depot's diesel, which is issued; an alert validates as CAP and reaches a
subscriber's mailbox; and a drill run through the same steps leaves the public figures as they
were and ends with its after-action report."""

import pytest
from lxml import etree
from sqlalchemy import select

from core import jobs
from core.cli import load_demo
from core.demo import DEMO_PASSWORD
from core.mail import deliver
from core.models import OutboxMessage
from preparedness.models import Plan
from tests.helpers import finished_run
from tests.preparedness.conftest import TODAY
from tests.preparedness.public_walk import assert_untouched
from tests.preparedness.test_alerts import SCHEMA, _mailbox
from tests.preparedness.test_drills import _public_view

pytestmark = pytest.mark.asyncio


class Desk:
    def __init__(self, client):
        self.client = client
        self.headers: dict[str, dict] = {}

    async def sign_in(self, who: str, email_address: str) -> None:
        response = await self.client.post(
            "/api/v1/auth/token", json={"email": email_address, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.headers[who] = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def call(self, who, method, path, body=None, status=200, **params):
        response = await self.client.request(
            method, path, json=body, params=params or None, headers=self.headers.get(who, {})
        )
        assert response.status_code == status, response.text
        return response.json()


async def _loop(desk, app, incident_id: int, area_id: int, plan_id: int) -> dict:
    """The issue's chain on one incident; returns what it made."""
    activation = await desk.call(
        "official", "POST", f"/api/v1/incidents/{incident_id}/activate-plan",
        {"plan_id": plan_id, "level": 2}, status=201,
    )  # fmt: skip
    teams = await desk.call(
        "official", "GET", "/api/v1/teams", capability="collapsed_structure_sar", area_id=area_id
    )
    names = [t["name"] for t in teams["items"]]
    assert {"Blue Sky Rescue Team", "Riverside Red Cross"} <= set(names)
    by_name = {t["name"]: t["organization_id"] for t in teams["items"]}
    body = {
        "incident_id": incident_id, "area_id": area_id, "capability": "collapsed_structure_sar",
        "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat(),
        "team_org_id": by_name["Blue Sky Rescue Team"],
    }  # fmt: skip
    first = await desk.call("official", "POST", "/api/v1/deployments", body, status=201)
    second = dict(body, team_org_id=by_name["Riverside Red Cross"])
    refused = await desk.call("official", "POST", "/api/v1/deployments", second, status=409)
    assert refused["error"]["code"] == "zone_full"
    path = f"/api/v1/deployments/{first['id']}"
    await desk.call("team", "POST", f"{path}/accept")
    await desk.call("team", "POST", f"{path}/check-in", {"lat": 30.6, "lon": 114.27})
    report = await desk.call(
        "team", "POST", f"{path}/reports",
        {"work_done": "Searched 14 collapsed houses", "people_helped": 3,
         "needs": [{"category": "logistics", "quantity": 150, "unit": "litres",
                    "title": "Diesel for the pumps"}]},
        status=201,
    )  # fmt: skip
    fuel_need = report["need_ids"][0]
    response = await desk.client.post(
        "/api/v1/matching/runs", json={"incident_id": incident_id}, headers=desk.headers["official"]
    )
    run = await finished_run(desk.client, app, response, headers=desk.headers["official"])
    proposal = next(p for p in run["proposals"] if p["need_id"] == fuel_need)
    assert proposal["offer_kind"] == "reserve" and proposal["quantity"] == 150
    await desk.call("official", "POST", f"/api/v1/matches/{proposal['id']}/accept")
    await desk.call(
        "official", "POST", f"/api/v1/matches/{proposal['id']}/fulfil", {"quantity": 150}
    )
    need = await desk.call("official", "GET", f"/api/v1/needs/{fuel_need}")
    assert need["status"] == "met"
    alert = await desk.call(
        "official", "POST", "/api/v1/alerts",
        {"event": "Flood", "category": "Met", "urgency": "Immediate", "severity": "Extreme",
         "certainty": "Observed", "headline": "Dyke breach at Reed Bend",
         "description": "Water is coming through the dyke.", "instruction": "Go uphill now.",
         "area_ids": [area_id], "expires": "2099-01-01T00:00:00+00:00"},
        status=201,
    )  # fmt: skip
    cap = await desk.client.get(f"/alerts/{alert['id']}.cap")
    SCHEMA.assertValid(etree.fromstring(cap.content))
    return {"activation": activation, "warehouse_id": proposal["warehouse_id"], "alert": alert}


async def test_the_issue_done_when_on_the_demo_incident(settings, app, client):
    assert await load_demo(settings, "en") is True  # the demo's names, in English
    desk = Desk(client)
    await desk.sign_in("official", "official@demo.example.org")
    await desk.sign_in("team", "blue.sky@demo.example.org")
    incident = (await desk.call("anonymous", "GET", "/api/v1/incidents"))["items"][0]
    areas = await desk.call("anonymous", "GET", "/api/v1/areas", incident_id=incident["id"])
    area_id = next(a["id"] for a in areas["items"] if a["name"] == "Reed Bend")
    async with app.state.database.session() as session:
        plan_id = (await session.scalar(select(Plan))).id

    # A resident of the village subscribes to its alerts and confirms by the mailed link.
    await desk.call(
        "anonymous", "POST", "/api/v1/alert-subscriptions",
        {"email": "resident@example.org", "area_id": area_id}, status=202,
    )  # fmt: skip
    async with app.state.database.session() as session:
        confirm = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "alert.confirm")
        )
    link = confirm.body.split("http://testserver", 1)[1].split()[0]
    await client.get(link)
    confirmed = await client.post(link, data={"csrftoken": client.cookies.get("csrftoken", "")})
    assert confirmed.status_code in (302, 303)

    made = await _loop(desk, app, incident["id"], area_id, plan_id)
    tasks = made["activation"]["tasks"]
    assert len(tasks) == 4 and all(t["responsible_org_id"] for t in tasks)
    stock = await desk.call("official", "GET", f"/api/v1/warehouses/{made['warehouse_id']}/stock")
    diesel = next(s for s in stock["items"] if s["unit"] == "litres")
    assert diesel["quantity"] == 3000 - 150
    await jobs.run_job(
        app.state.database, "preparedness.send_alert",
        {"alert_id": made["alert"]["id"], "base_url": "http://testserver"},
    )  # fmt: skip
    async with app.state.database.session() as session:
        mails = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.new"))
        )
    for mail in mails:
        await deliver(settings, mail)
    delivered = _mailbox(settings.mail_dir)
    assert [(m["To"], "Dyke breach at Reed Bend" in m["Subject"]) for m in delivered] == [
        ("resident@example.org", True)
    ]

    # The drill: the same steps on an exercise incident change nothing the public sees.
    before = await _public_view(client, app)
    drill = await desk.call(
        "official", "POST", "/api/v1/incidents",
        {"name": "Quake drill", "started_on": TODAY.isoformat(), "status": "exercise",
         "time_zone": "Asia/Shanghai"},
        status=201,
    )  # fmt: skip
    drill_area = await desk.call(
        "official", "POST", "/api/v1/areas",
        {"incident_id": drill["id"], "name": "Drill ground", "lat": 30.6, "lon": 114.27},
        status=201,
    )  # fmt: skip
    await desk.call("official", "PUT", f"/api/v1/areas/{drill_area['id']}/zone", {"max_teams": 1})
    rehearsed = await _loop(desk, app, drill["id"], drill_area["id"], plan_id)
    assert rehearsed["alert"]["status"] == "Exercise"
    assert len(rehearsed["activation"]["tasks"]) == 4
    await desk.call("official", "PATCH", f"/api/v1/incidents/{drill['id']}", {"status": "closed"})
    assert_untouched(before, await _public_view(client, app))
    # The drill's delivery took no real diesel.
    stock = await desk.call("official", "GET", f"/api/v1/warehouses/{made['warehouse_id']}/stock")
    assert next(s for s in stock["items"] if s["unit"] == "litres")["quantity"] == 3000 - 150
    review = await desk.call("official", "GET", f"/api/v1/incidents/{drill['id']}/after-action")
    by_name = {o["name"]: o for o in review["organizations"]}
    assert {"Blue Sky Rescue Team", "Riverside Housing Bureau"} <= set(by_name)
    (team,) = by_name["Blue Sky Rescue Team"]["deployments"]
    assert team["hours_to_acceptance"] is not None and team["hours_to_check_in"] is not None
    planned = [t["title"] for o in review["organizations"] for t in o["tasks"]]
    assert sorted(planned) == sorted(t["title"] for t in rehearsed["activation"]["tasks"])
