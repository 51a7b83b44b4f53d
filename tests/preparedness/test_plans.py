"""Emergency plans: activating level II starts the tasks of IV, III and II with responsible
organizations and due dates; raising to I adds only the extra tasks; history is kept."""

from datetime import timedelta

import pytest

from core.models import OrgKind, Role
from tests.conftest import sign_in
from tests.preparedness.conftest import TODAY

pytestmark = pytest.mark.asyncio


def _level(level, title, org_id, days):
    return {
        "level": level,
        "tasks": [{"title": title, "responsible_org_id": org_id, "due_offset_days": days}],
    }


async def _plan(prep, housing, health):
    official_org = prep.setup.official.organization_id
    return await prep.call(
        "POST",
        "/api/v1/plans",
        {
            "name": "Flood plan",
            "incident_type": "flood",
            "levels": [
                _level(4, "Open shelters", official_org, 1),
                _level(3, "Inspect dikes", housing, 2),
                _level(2, "Field hospital", health, 3),
                _level(1, "Call the army", official_org, 0),
            ],
        },
        status=201,
    )


async def _orgs(prep):
    housing = await prep.factory.user(
        Role.official, org="Housing Bureau", org_kind=OrgKind.government
    )
    health = await prep.factory.user(Role.ngo, org="Red Cross", org_kind=OrgKind.ngo)
    return housing.organization_id, health.organization_id


async def test_level_two_creates_the_tasks_of_four_three_and_two(prep):
    housing, health = await _orgs(prep)
    plan = await _plan(prep, housing, health)
    path = f"/api/v1/incidents/{prep.incident_id}/activate-plan"
    activation = await prep.call("POST", path, {"plan_id": plan["id"], "level": 2}, status=201)
    tasks = {t["title"]: t for t in activation["tasks"]}
    assert set(tasks) == {"Open shelters", "Inspect dikes", "Field hospital"}
    assert tasks["Inspect dikes"]["responsible_org_id"] == housing
    assert tasks["Field hospital"]["responsible_org_id"] == health
    assert tasks["Field hospital"]["due_on"] == (TODAY + timedelta(days=3)).isoformat()
    project = await prep.call("GET", f"/api/v1/projects/{activation['project_id']}")
    assert project["incident_id"] == prep.incident_id
    # The same level again is refused; raising to I adds only the extra task, same project.
    await prep.call("POST", path, {"plan_id": plan["id"], "level": 2}, status=409)
    raised = await prep.call("POST", path, {"plan_id": plan["id"], "level": 1}, status=201)
    assert [t["title"] for t in raised["tasks"]] == ["Call the army"]
    assert raised["project_id"] == activation["project_id"]
    history = await prep.call("GET", f"/api/v1/plans/{plan['id']}")
    assert [a["level"] for a in history["activations"]] == [2, 1]
    assert [a["tasks_created"] for a in history["activations"]] == [3, 1]


async def test_plans_are_for_officials_and_levels_are_one_to_four(prep):
    _, health = await _orgs(prep)
    ngo = await prep.factory.user(Role.ngo, org="Some NGO", org_kind=OrgKind.ngo)
    body = {
        "name": "P",
        "incident_type": "flood",
        "levels": [
            {
                "level": 5,
                "tasks": [{"title": "x", "responsible_org_id": health, "due_offset_days": 1}],
            }
        ],
    }
    await prep.call(
        "POST", "/api/v1/plans", body, headers=await prep.factory.token(ngo), status=403
    )
    error = await prep.call("POST", "/api/v1/plans", body, status=422)
    assert "levels" in str(error["error"]["fields"])


async def test_any_official_reads_a_plan_but_only_the_incidents_agencies_activate_it(prep):
    """A plan is read by every verified official; activating it for an incident is for the
    officials of the agencies acting on that incident (its lead agency, or one it granted)."""
    housing, health = await _orgs(prep)
    plan = await _plan(prep, housing, health)
    other = await prep.factory.user(Role.official, org="Hill Office", org_kind=OrgKind.government)
    headers = await prep.factory.token(other)
    read = await prep.call("GET", f"/api/v1/plans/{plan['id']}", headers=headers)
    assert read["name"] == "Flood plan"
    path = f"/api/v1/incidents/{prep.incident_id}/activate-plan"
    body = {"plan_id": plan["id"], "level": 2}
    refused = await prep.call("POST", path, body, headers=headers, status=403)
    assert refused["error"]["code"] == "forbidden"
    assert (await prep.call("GET", f"/api/v1/plans/{plan['id']}"))["activations"] == []
    projects = await prep.call("GET", "/api/v1/projects", incident_id=prep.incident_id)
    assert projects["total"] == 0
    # The plan page offers the other agency no incident to activate it for.
    await sign_in(prep.client, other.email)
    page = await prep.client.get(f"/plans/{plan['id']}")
    assert page.status_code == 200 and "Flood plan" in page.text
    assert f"/incidents/{prep.incident_id}/plans" not in page.text
    # Once the lead agency grants the incident to the other agency, its official may.
    await prep.call(
        "POST", f"/api/v1/incidents/{prep.incident_id}/agencies",
        {"organization_id": other.organization_id}, status=201,
    )  # fmt: skip
    page = await prep.client.get(f"/plans/{plan['id']}")
    assert f"/incidents/{prep.incident_id}/plans" in page.text
    activation = await prep.call("POST", path, body, headers=headers, status=201)
    assert {t["title"] for t in activation["tasks"]} == {
        "Open shelters",
        "Inspect dikes",
        "Field hospital",
    }


async def test_officials_list_the_plans_newest_first_as_the_plans_page_does(prep):
    housing, health = await _orgs(prep)
    first = await _plan(prep, housing, health)
    second = await prep.call(
        "POST",
        "/api/v1/plans",
        {
            "name": "Quake plan",
            "incident_type": "earthquake",
            "levels": [_level(4, "Tents", health, 1)],
        },
        status=201,
    )
    path = f"/api/v1/incidents/{prep.incident_id}/activate-plan"
    await prep.call("POST", path, {"plan_id": first["id"], "level": 2}, status=201)
    listed = await prep.call("GET", "/api/v1/plans")
    assert listed["total"] == 2
    assert [p["id"] for p in listed["items"]] == [second["id"], first["id"]]
    flood = listed["items"][1]
    assert flood["levels"] == [4, 3, 2, 1] and flood["tasks"] == 4 and flood["activations"] == 1
    assert flood["organization_id"] == prep.setup.official.organization_id
    paged = await prep.call("GET", "/api/v1/plans", limit=1, offset=1)
    assert [p["name"] for p in paged["items"]] == ["Flood plan"] and paged["total"] == 2
    # Who may read the /plans page may read the list; an NGO or the public may not.
    ngo = await prep.factory.user(Role.ngo, org="Some NGO", org_kind=OrgKind.ngo)
    await prep.call("GET", "/api/v1/plans", headers=await prep.factory.token(ngo), status=403)
    await prep.call("GET", "/api/v1/plans", headers={}, status=401)
    assert (
        "limit" in (await prep.call("GET", "/api/v1/plans", limit=0, status=422))["error"]["fields"]
    )
