"""Deployments by zone: a full zone refuses the next team, teams check in, report and need."""

from datetime import timedelta

import pytest

from core import clock
from tests.preparedness.conftest import TODAY

pytestmark = pytest.mark.asyncio


async def test_full_zone_refuses_the_second_team_with_409(prep):
    _, _, first = await prep.team("First Team")
    _, _, second = await prep.team("Second Team")
    village = prep.setup.village["id"]
    zone = await prep.call("PUT", f"/api/v1/areas/{village}/zone", {"max_teams": 1})
    assert zone == {"area_id": village, "max_teams": 1}
    created = await prep.call(
        "POST", "/api/v1/deployments", prep.deployment_body(first), status=201
    )
    assert created["status"] == "requested"
    error = await prep.call("POST", "/api/v1/deployments", prep.deployment_body(second), status=409)
    assert error["error"]["code"] == "zone_full"
    assert "area_id" in error["error"]["fields"]
    # Dates that do not overlap leave room; so does another area.
    later = prep.deployment_body(
        second,
        starts_on=(TODAY + timedelta(days=10)).isoformat(),
        ends_on=(TODAY + timedelta(days=12)).isoformat(),
    )
    await prep.call("POST", "/api/v1/deployments", later, status=201)
    other_area = prep.deployment_body(second, area_id=prep.setup.township["id"])
    await prep.call("POST", "/api/v1/deployments", other_area, status=201)


async def test_declined_request_frees_the_zone(prep):
    _, first_headers, first = await prep.team("First Team")
    _, _, second = await prep.team("Second Team")
    await prep.call("PUT", f"/api/v1/areas/{prep.setup.village['id']}/zone", {"max_teams": 1})
    created = await prep.call(
        "POST", "/api/v1/deployments", prep.deployment_body(first), status=201
    )
    declined = await prep.call(
        "POST", f"/api/v1/deployments/{created['id']}/decline", headers=first_headers
    )
    assert declined["status"] == "declined"
    await prep.call("POST", "/api/v1/deployments", prep.deployment_body(second), status=201)


async def test_expired_certification_stops_the_request(prep):
    expired = (TODAY - timedelta(days=1)).isoformat()
    _, _, lapsed = await prep.team(
        "Lapsed Team", certifications=[{"name": "SAR", "issuer": "MEM", "expires_on": expired}]
    )
    error = await prep.call("POST", "/api/v1/deployments", prep.deployment_body(lapsed), status=409)
    assert error["error"]["code"] == "not_certified"
    error = await prep.call(
        "POST",
        "/api/v1/deployments",
        prep.deployment_body(lapsed, ends_on=(TODAY - timedelta(days=3)).isoformat()),
        status=422,
    )
    assert "ends_on" in error["error"]["fields"]


async def test_team_checks_in_reports_needs_and_checks_out(prep, client):
    _, headers, org_id = await prep.team("Blue Sky Rescue")
    created = await prep.call(
        "POST", "/api/v1/deployments", prep.deployment_body(org_id), status=201
    )
    path = f"/api/v1/deployments/{created['id']}"
    # Only the team answers its request, and nobody checks in before accepting.
    await prep.call("POST", f"{path}/accept", status=403)
    await prep.call(
        "POST", f"{path}/check-in", {"lat": 30.63, "lon": 114.33}, headers=headers, status=409
    )
    await prep.call("POST", f"{path}/accept", headers=headers)
    on_site = await prep.call(
        "POST", f"{path}/check-in", {"lat": 30.631, "lon": 114.331}, headers=headers
    )
    assert on_site["status"] == "on_site" and on_site["checked_in_at"]
    report = await prep.call(
        "POST",
        f"{path}/reports",
        {
            "work_done": "Searched 12 collapsed houses",
            "people_helped": 7,
            "needs": [
                {"category": "logistics", "quantity": 200, "unit": "litres", "title": "Diesel fuel"}
            ],
        },
        headers=headers,
        status=201,
    )
    assert len(report["need_ids"]) == 1
    need = await prep.call("GET", f"/api/v1/needs/{report['need_ids'][0]}")
    assert need["title"] == "Diesel fuel"
    assert need["area_id"] == prep.setup.village["id"]
    assert need["status"] == "open" and need["quantity"] == 200
    clock.advance(timedelta(hours=6))
    done = await prep.call("POST", f"{path}/check-out", {}, headers=headers)
    assert done["status"] == "completed"

    page = await client.get(f"/incidents/{prep.incident_id}/coordination", headers=prep.official)
    assert page.status_code == 200
    assert "Blue Sky Rescue" in page.text and "Diesel fuel" in page.text
    public = await client.get(f"/teams/{org_id}")
    assert public.status_code == 200
    assert "River Floods" in public.text and "6.0" in public.text
    listed = await prep.call("GET", "/api/v1/deployments", incident_id=prep.incident_id)
    assert listed["total"] == 1 and listed["items"][0]["status"] == "completed"


async def test_coordination_page_is_for_officials_only(prep, client):
    _, headers, _ = await prep.team("Blue Sky Rescue")
    page = await client.get(f"/incidents/{prep.incident_id}/coordination", headers=headers)
    assert page.status_code == 403
