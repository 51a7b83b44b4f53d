"""Complaints: anyone files one, the responsible organization answers by a due date, overdue
ones escalate to the lead agency, and organizations' pages show the counts only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from residents import service
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio
TEXT = "The team left rubble in front of house 12, Mr Wang 13799998888"


async def _file(residents, **body) -> dict:
    response = await residents.client.post(
        "/api/v1/complaints", json={"incident_id": residents.incident_id, "text": TEXT, **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _task(residents) -> dict:
    setup = residents.setup
    project = await setup.project()
    return await setup.task(project["id"], residents.ngo_user.organization_id)


async def test_a_complaint_about_a_task_goes_to_its_organization_and_is_resolved(residents):
    task = await _task(residents)
    receipt = await _file(residents, about_kind="task", about_id=task["id"])
    listed = await residents.client.get(
        "/api/v1/complaints",
        params={"incident_id": residents.incident_id},
        headers=residents.official,
    )
    item = listed.json()["items"][0]
    assert item["responsible_org_id"] == residents.ngo_user.organization_id
    assert item["status"] == "open"
    resolved = await residents.client.post(
        f"/api/v1/complaints/{receipt['id']}/resolve",
        json={"resolution": "Rubble cleared on Tuesday"},
        headers=residents.ngo,
    )
    assert resolved.status_code == 200, resolved.text
    token = receipt["follow_up_url"].rsplit("/", 1)[-1]
    view = (await residents.client.get(f"/api/v1/complaints/track/{token}")).json()
    assert view["status"] == "resolved" and view["resolution"] == "Rubble cleared on Tuesday"
    counts = await residents.client.get(
        f"/api/v1/organizations/{residents.ngo_user.organization_id}/accountability"
    )
    assert counts.json() == {
        "complaints_received": 1,
        "resolved_in_time": 1,
        "resolved_late": 0,
        "open": 0,
    }


async def test_only_the_responsible_or_an_official_resolves_and_the_public_sees_counts(
    residents, factory
):
    receipt = await _file(residents, about_kind="platform")
    other = await factory.token(await factory.user("ngo", org="Someone Else"))
    refused = await residents.client.post(
        f"/api/v1/complaints/{receipt['id']}/resolve", json={"resolution": "x"}, headers=other
    )
    assert refused.status_code == 403
    public = await residents.client.get(
        "/api/v1/complaints", params={"incident_id": residents.incident_id}
    )
    assert public.status_code == 401
    lead = residents.setup.official.organization_id
    page = await residents.client.get(f"/organizations/{lead}")
    assert page.status_code == 200
    assert "Complaints received" in page.text
    assert TEXT not in page.text and "13799998888" not in page.text


async def test_an_overdue_complaint_is_reminded_then_escalates_to_the_lead_agency(residents, app):
    task = await _task(residents)
    receipt = await _file(residents, about_kind="task", about_id=task["id"])
    async with app.state.database.transaction() as session:
        assert await service.escalate_overdue(session, {}) == {"reminded": 0, "escalated": 0}
    clock.advance(timedelta(days=15))
    async with app.state.database.transaction() as session:
        # A day late: the responsible organization (the task's) is reminded.
        assert await service.escalate_overdue(session, {}) == {"reminded": 1, "escalated": 0}
        assert await service.escalate_overdue(session, {}) == {"reminded": 0, "escalated": 0}
        mail = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "residents.complaint_overdue")
        )
        assert [m.to_email for m in mail] == [residents.ngo_user.email]
    clock.advance(timedelta(days=3))
    async with app.state.database.transaction() as session:
        # No area agency on the way up: the step goes to the incident's lead agency.
        assert await service.escalate_overdue(session, {}) == {"reminded": 0, "escalated": 1}
        mail = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "recovery.escalation")
        )
        assert [m.to_email for m in mail] == [residents.setup.official.email]
    await residents.client.post(
        f"/api/v1/complaints/{receipt['id']}/resolve",
        json={"resolution": "Done late"},
        headers=residents.ngo,
    )
    counts = await residents.client.get(
        f"/api/v1/organizations/{residents.ngo_user.organization_id}/accountability"
    )
    assert counts.json()["resolved_late"] == 1


async def test_an_escalated_complaint_shows_on_the_supervision_board(residents, app):
    task = await _task(residents)
    receipt = await _file(residents, about_kind="task", about_id=task["id"])
    clock.advance(timedelta(days=18))
    async with app.state.database.transaction() as session:
        # Four days late: reminded to the responsible organization, then one step up.
        assert await service.escalate_overdue(session, {}) == {"reminded": 1, "escalated": 1}
    board = await residents.client.get(
        "/api/v1/supervision",
        params={"incident_id": residents.incident_id},
        headers=residents.official,
    )
    panel = board.json()["sections"]["residents"]
    (row,) = panel["complaints"]
    assert (row["escalated"], row["escalated_to"]) == (1, ["Recovery Office"])
    (late,) = panel["overdue_complaints"]
    assert late["id"] == receipt["id"] and late["about_kind"] == "task"
    assert (late["escalated_to"], late["escalation_level"], late["days_late"]) == (
        "Recovery Office",
        1,
        4,
    )
    assert TEXT not in board.text
    await sign_in(residents.client, residents.setup.official.email)
    page = await residents.client.get("/supervision", params={"incident_id": residents.incident_id})
    assert "escalated to Recovery Office" in page.text and TEXT not in page.text
    zh = await residents.client.get(
        "/supervision",
        params={"incident_id": residents.incident_id},
        headers={"Accept-Language": "zh-CN"},
    )
    assert "逾期投诉" in zh.text
