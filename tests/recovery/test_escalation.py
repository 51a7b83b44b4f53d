"""Escalation by territory: an overdue task is reminded to its responsible organization, then
every COMMONS_ESCALATION_DAYS days handed one step up — the agency of its area, the parent
area's agency, the lead agency — each step mailed once and shown on the supervision board."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock, jobs
from core.models import OrgKind, OutboxMessage, Role
from recovery.models import Escalation
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def _agency(setup, factory, name):
    user = await factory.user(Role.official, org=name, org_kind=OrgKind.government)
    return user


async def _escalations(app) -> list[tuple[int, str]]:
    async with app.state.database.session() as session:
        rows = await session.execute(
            select(Escalation.level, OutboxMessage.to_email)
            .join(OutboxMessage, OutboxMessage.organization_id == Escalation.organization_id)
            .where(OutboxMessage.kind == "recovery.escalation")
            .order_by(Escalation.level)
        )
        return [tuple(r) for r in rows.all()]


async def test_an_overdue_task_climbs_the_territory_one_step_every_few_days(
    setup, factory, client, app
):
    township = await _agency(setup, factory, "Willow Township Office")
    county = await _agency(setup, factory, "Riverside County Bureau")
    for area, agency in ((setup.township, township), (setup.county, county)):
        response = await client.put(
            f"/api/v1/areas/{area['id']}/agency",
            json={"organization_id": agency.organization_id},
            headers=setup.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["responsible_org_id"] == agency.organization_id
    builder = await factory.user(Role.ngo, org="Harbour Builders", org_kind=OrgKind.ngo)
    project = await setup.project(area_id=setup.village["id"])
    await setup.task(project["id"], builder.organization_id, due_in_days=1)

    async def run() -> dict:
        return await jobs.run_job(app.state.database, "recovery.escalate_tasks", {})

    async def shown() -> str | None:
        board = (
            await client.get(
                f"/api/v1/supervision?incident_id={setup.incident['id']}", headers=setup.headers
            )
        ).json()
        group = next(
            g for g in board["organizations"] if g["organization_name"] == "Harbour Builders"
        )
        return group["overdue_tasks"][0]["escalated_to"]

    clock.advance(timedelta(days=3))  # 2 days late: reminded, not yet escalated
    await run()
    assert await _escalations(app) == [] and await shown() is None
    clock.advance(timedelta(days=1))  # 3 days late: the village has no agency, its township has
    await run()
    await run()  # a step is taken once
    assert await _escalations(app) == [(1, township.email)]
    assert await shown() == "Willow Township Office"
    page = await client.get(
        f"/supervision?incident_id={setup.incident['id']}", headers=setup.headers
    )
    assert "escalated to Willow Township Office" in page.text
    clock.advance(timedelta(days=3))  # 6 days late: the parent area's agency
    await run()
    assert await shown() == "Riverside County Bureau"
    clock.advance(timedelta(days=3))  # 9 days late: the lead agency, the top of the chain
    await run()
    clock.advance(timedelta(days=30))
    await run()
    assert await _escalations(app) == [
        (1, township.email),
        (2, county.email),
        (3, setup.official.email),
    ]
    assert await shown() == "Recovery Office"
    assert len(await _escalations(app)) == 3


async def test_done_work_and_unplaced_work_go_no_further_than_they_should(
    setup, factory, client, app
):
    builder = await factory.user(Role.ngo, org="Harbour Builders", org_kind=OrgKind.ngo)
    # A project with no area: the only step up is the incident's lead agency.
    project = await setup.project(area_id=None)
    task = await setup.task(project["id"], builder.organization_id, due_in_days=-4)
    done = await setup.task(project["id"], builder.organization_id, due_in_days=-4)
    response = await client.patch(
        f"/api/v1/tasks/{done['id']}", json={"status": "done", "progress": 100},
        headers=setup.headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    await jobs.run_job(app.state.database, "recovery.escalate_tasks", {})
    async with app.state.database.session() as session:
        steps = list(await session.scalars(select(Escalation)))
    assert [(s.object_id, s.level, s.organization_id) for s in steps] == [
        (task["id"], 1, setup.official.organization_id)
    ]


async def test_an_areas_agency_must_be_a_verified_government_agency(setup, factory, client):
    ngo = await factory.user(Role.ngo, org="Harbour Builders", org_kind=OrgKind.ngo)
    response = await client.put(
        f"/api/v1/areas/{setup.village['id']}/agency",
        json={"organization_id": ngo.organization_id},
        headers=setup.headers,
    )
    assert response.status_code == 422
    assert "organization_id" in response.json()["error"]["fields"]
    other = await factory.user(Role.official, org="Other Bureau", org_kind=OrgKind.government)
    response = await client.put(
        f"/api/v1/areas/{setup.village['id']}/agency",
        json={"organization_id": other.organization_id},
        headers=await factory.token(other),
    )
    assert response.status_code == 403
    response = await client.post(
        "/api/v1/areas",
        json={"incident_id": setup.incident["id"], "name": "East bank", "lat": 30.6,
              "lon": 114.3, "responsible_org_id": ngo.organization_id},
        headers=setup.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert "responsible_org_id" in response.json()["error"]["fields"]


async def test_an_official_puts_an_area_in_an_agencys_charge_in_the_browser(setup, factory, client):
    township = await _agency(setup, factory, "Willow Township Office")
    await sign_in(client, setup.official.email)
    token = await csrf_token(client, f"/manage/incidents/{setup.incident['id']}")
    page = await client.get(f"/manage/incidents/{setup.incident['id']}")
    assert 'name="responsible_org_id"' in page.text and "Willow Township Office" in page.text
    response = await client.post(
        f"/manage/incidents/{setup.incident['id']}/areas",
        data={"csrftoken": token, "name": "East bank", "parent_id": setup.county["id"],
              "lat": "30.6", "lon": "114.3", "responsible_org_id": township.organization_id},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert "in the charge of Willow Township Office" in response.text
