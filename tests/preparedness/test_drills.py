"""Drills: an incident with status `exercise` runs the whole loop — plan, teams by zone, a
report whose fuel need is matched to reserve stock and delivered, a CAP alert — and leaves
every public figure, export and feed as it was; once closed, its after-action report stands."""

import pytest
from lxml import etree

from tests.helpers import finished_run
from tests.preparedness.conftest import TODAY
from tests.preparedness.public_walk import assert_untouched, public_view
from tests.preparedness.test_alerts import CAP, SCHEMA, alert_body

pytestmark = pytest.mark.asyncio


async def _public_view(client, app) -> dict:
    """Everything the public sees that a drill could leak into (every public surface, and the
    records of every organization and real incident)."""
    client.cookies.clear()
    real = (await client.get("/api/v1/incidents")).json()["items"]
    orgs = (await client.get("/api/v1/organizations?limit=100")).json()["items"]
    view = await public_view(
        client, app, organizations=[o["id"] for o in orgs], incidents=[i["id"] for i in real]
    )
    view["home_has_drill"] = str("Quake drill" in view["/"])
    return view


async def test_a_drill_runs_everything_and_leaves_the_public_figures_untouched(prep, client, app):
    official_org = prep.setup.official.organization_id
    depot = await prep.call(
        "POST", "/api/v1/warehouses",
        {"name": "County depot", "lat": 30.61, "lon": 114.31}, status=201,
    )  # fmt: skip
    await prep.call(
        "POST", f"/api/v1/warehouses/{depot['id']}/movements",
        {"kind": "receive", "category": "logistics", "unit": "litres", "quantity": 500},
        status=201,
    )  # fmt: skip
    _, blue, blue_org = await prep.team("Blue Sky Rescue")
    _, ram, ram_org = await prep.team("Ram Rescue")
    before = await _public_view(client, app)

    drill = await prep.call(
        "POST", "/api/v1/incidents",
        {"name": "Quake drill", "started_on": TODAY.isoformat(), "status": "exercise",
         "time_zone": "Asia/Shanghai"},
        status=201,
    )  # fmt: skip
    assert drill["status"] == "exercise" and drill["exercise"] is True
    area = await prep.call(
        "POST", "/api/v1/areas",
        {"incident_id": drill["id"], "name": "Old town", "lat": 30.62, "lon": 114.32},
        status=201,
    )  # fmt: skip
    await prep.call("PUT", f"/api/v1/areas/{area['id']}/zone", {"max_teams": 1})
    plan = await prep.call(
        "POST", "/api/v1/plans",
        {"name": "Quake plan", "incident_type": "earthquake", "levels": [
            {"level": 3, "tasks": [{"title": "Open shelters", "responsible_org_id": official_org,
                                    "due_offset_days": 1}]},
            {"level": 2, "tasks": [{"title": "Call in rescue teams",
                                    "responsible_org_id": official_org, "due_offset_days": 0}]},
        ]},
        status=201,
    )  # fmt: skip
    activation = await prep.call(
        "POST", f"/api/v1/incidents/{drill['id']}/activate-plan",
        {"plan_id": plan["id"], "level": 2}, status=201,
    )  # fmt: skip
    assert sorted(t["title"] for t in activation["tasks"]) == [
        "Call in rescue teams",
        "Open shelters",
    ]
    found = await prep.call(
        "GET", "/api/v1/teams", capability="collapsed_structure_sar", area_id=area["id"]
    )
    assert {t["organization_id"] for t in found["items"]} == {blue_org, ram_org}
    body = prep.deployment_body(blue_org, incident_id=drill["id"], area_id=area["id"])
    deployment = await prep.call("POST", "/api/v1/deployments", body, status=201)
    refused = await prep.call(
        "POST", "/api/v1/deployments", dict(body, team_org_id=ram_org), status=409
    )
    assert refused["error"]["code"] == "zone_full"
    path = f"/api/v1/deployments/{deployment['id']}"
    await prep.call("POST", f"{path}/accept", headers=blue)
    await prep.call("POST", f"{path}/check-in", {"lat": 30.62, "lon": 114.32}, headers=blue)
    report = await prep.call(
        "POST", f"{path}/reports",
        {"work_done": "Searched the market", "people_helped": 2,
         "needs": [{"category": "logistics", "quantity": 80, "unit": "litres", "title": "Fuel"}]},
        headers=blue, status=201,
    )  # fmt: skip
    response = await prep.client.post(
        "/api/v1/matching/runs", json={"incident_id": drill["id"]}, headers=prep.official
    )
    run = await finished_run(prep.client, app, response, headers=prep.official)
    proposal = next(p for p in run["proposals"] if p["need_id"] == report["need_ids"][0])
    assert proposal["offer_kind"] == "reserve" and proposal["warehouse_id"] == depot["id"]
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/accept")
    await prep.call("POST", f"/api/v1/matches/{proposal['id']}/fulfil", {"quantity": 80})
    need = await prep.call("GET", f"/api/v1/needs/{report['need_ids'][0]}")
    assert need["status"] == "met"
    # The real reserve still holds its 500 litres: a drill's delivery takes no stock.
    stock = await prep.call("GET", f"/api/v1/warehouses/{depot['id']}/stock")
    assert [s["quantity"] for s in stock["items"]] == [500]
    alert = await prep.call(
        "POST", "/api/v1/alerts",
        alert_body(prep, area_ids=[area["id"]], status="Actual"), status=201,
    )  # fmt: skip
    assert alert["status"] == "Exercise"
    document = etree.fromstring((await client.get(f"/alerts/{alert['id']}.cap")).content)
    SCHEMA.assertValid(document)
    assert document.findtext(f"{CAP}status") == "Exercise"

    assert_untouched(before, await _public_view(client, app))
    drill_csv = await client.get(f"/api/v1/export/needs.csv?incident_id={drill['id']}")
    assert "Fuel" not in drill_csv.text
    listed = await prep.call("GET", "/api/v1/incidents", headers={}, include_exercises="true")
    assert drill["id"] in [i["id"] for i in listed["items"]]
    exercises = await client.get("/?exercises=1")
    assert "Quake drill" in exercises.text
    page = await client.get(f"/incidents/{drill['id']}")
    assert "This is an exercise" in page.text

    # A drill cannot turn real; it closes, stays a drill, and its after-action report stands.
    error = await prep.call(
        "PATCH", f"/api/v1/incidents/{drill['id']}", {"status": "response"}, status=409
    )
    assert "status" in error["error"]["fields"]
    closed = await prep.call("PATCH", f"/api/v1/incidents/{drill['id']}", {"status": "closed"})
    assert closed["status"] == "closed" and closed["exercise"] is True
    assert_untouched(before, await _public_view(client, app))
    review = await prep.call("GET", f"/api/v1/incidents/{drill['id']}/after-action")
    by_name = {o["name"]: o for o in review["organizations"]}
    team = by_name["Blue Sky Rescue"]["deployments"][0]
    assert team["status"] == "on_site" and team["hours_to_check_in"] is not None
    assert {t["title"] for t in by_name["Recovery Office"]["tasks"]} == {
        "Call in rescue teams",
        "Open shelters",
    }
