"""The after-action report: per organization, hours from request to acceptance, check-in and
completion, and what was late (arrivals after the start date, tasks past due)."""

from datetime import timedelta

import pytest

from core import clock
from tests.preparedness.conftest import TODAY

pytestmark = pytest.mark.asyncio


async def test_report_times_each_step_and_names_what_was_late(prep):
    _, headers, org_id = await prep.team("Blue Sky Rescue")
    deployment = await prep.call(
        "POST", "/api/v1/deployments", prep.deployment_body(org_id), status=201
    )
    path = f"/api/v1/deployments/{deployment['id']}"
    clock.advance(timedelta(hours=2))
    await prep.call("POST", f"{path}/accept", headers=headers)
    clock.advance(timedelta(hours=22))  # on site the next day: after the start date
    await prep.call("POST", f"{path}/check-in", {"lat": 30.63, "lon": 114.33}, headers=headers)
    clock.advance(timedelta(hours=8))
    await prep.call("POST", f"{path}/check-out", {}, headers=headers)
    official_org = prep.setup.official.organization_id
    plan = await prep.call(
        "POST",
        "/api/v1/plans",
        {
            "name": "Drill plan",
            "incident_type": "flood",
            "levels": [
                {
                    "level": 4,
                    "tasks": [
                        {
                            "title": "Open shelters",
                            "responsible_org_id": official_org,
                            "due_offset_days": 0,
                        }
                    ],
                }
            ],
        },
        status=201,
    )
    await prep.call(
        "POST",
        f"/api/v1/incidents/{prep.incident_id}/activate-plan",
        {"plan_id": plan["id"], "level": 4},
        status=201,
    )
    clock.advance(timedelta(days=2))
    report = await prep.call("GET", f"/api/v1/incidents/{prep.incident_id}/after-action")
    by_name = {o["name"]: o for o in report["organizations"]}
    team = by_name["Blue Sky Rescue"]
    assert team["deployments"][0]["hours_to_acceptance"] == 2.0
    assert team["deployments"][0]["hours_to_check_in"] == 24.0
    assert team["deployments"][0]["hours_to_completion"] == 32.0
    assert team["late"] == [
        f"Deployment {deployment['id']}: on site after its start date {TODAY.isoformat()}."
    ]
    office = by_name["Recovery Office"]
    assert office["tasks"][0]["title"] == "Open shelters"
    # Activated a day and a half after the request: due that day.
    due = (TODAY + timedelta(days=1)).isoformat()
    assert office["late"] == [f"Task Open shelters: due {due}."]
