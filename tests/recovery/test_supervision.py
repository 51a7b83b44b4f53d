"""The supervision board and `commons remind`: late work made visible per organization."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.app import open_database
from core.models import OutboxMessage, Role
from recovery.service.reminders import queue_reminders
from recovery.service.supervision import board
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


def days(n: int) -> str:
    return (clock.today("Asia/Shanghai") + timedelta(days=n)).isoformat()


async def late_work(client, factory, setup):
    """Builders: one overdue task, one at-risk, one blocked; Blue Sky: one overdue task."""
    builder = await factory.user(Role.ngo, org="Harbour Builders", email="b@example.org")
    sky = await factory.user(Role.ngo, org="Blue Sky Rescue", email="s@example.org")
    project = await setup.project(starts_on=days(-60))
    tasks = {
        "overdue": await setup.task(project["id"], builder.organization_id, -3, title="Overdue"),
        "at_risk": await setup.task(project["id"], builder.organization_id, 4, title="At risk"),
        "safe": await setup.task(project["id"], builder.organization_id, 4, title="Nearly done"),
        "later": await setup.task(project["id"], builder.organization_id, 30, title="Later"),
        "blocked": await setup.task(project["id"], builder.organization_id, 20, title="Blocked"),
        "sky": await setup.task(project["id"], sky.organization_id, -10, title="Search"),
        "done": await setup.task(project["id"], sky.organization_id, -20, title="Finished"),
    }
    await client.patch(
        f"/api/v1/tasks/{tasks['safe']['id']}", json={"progress": 80}, headers=setup.headers
    )
    await client.patch(
        f"/api/v1/tasks/{tasks['blocked']['id']}",
        json={"status": "blocked", "blocked_reason": "No permit yet"},
        headers=setup.headers,
    )
    await client.patch(
        f"/api/v1/tasks/{tasks['done']['id']}", json={"status": "done"}, headers=setup.headers
    )
    await setup.need(title="Late water", needed_by=days(-2))
    await setup.need(title="Future water", needed_by=days(5))
    return builder, sky, tasks


async def test_board_groups_late_work_by_responsible_organization(client, factory, setup):
    builder, sky, tasks = await late_work(client, factory, setup)
    response = await client.get(
        f"/api/v1/supervision?incident_id={setup.incident['id']}", headers=setup.headers
    )
    assert response.status_code == 200
    result = response.json()
    groups = {g["organization_name"]: g for g in result["organizations"]}
    builders = groups["Harbour Builders"]
    assert builders["counts"] == {
        "overdue_tasks": 1,
        "at_risk_tasks": 1,
        "blocked_tasks": 1,
        "overdue_needs": 0,
        "overdue_disclosures": 0,
    }
    assert [t["title"] for t in builders["overdue_tasks"]] == ["Overdue"]
    assert builders["overdue_tasks"][0]["days_late"] == 3
    assert builders["blocked_tasks"][0]["blocked_reason"] == "No permit yet"
    assert groups["Blue Sky Rescue"]["counts"]["overdue_tasks"] == 1
    # A need counts against the agency of the official who logged it.
    office = groups["Recovery Office"]
    assert [n["title"] for n in office["overdue_needs"]] == ["Late water"]
    assert result["totals"]["overdue_tasks"] == 2
    assert builder.id and sky.id and tasks


async def test_board_is_for_officials_only(client, factory, setup):
    ngo = await factory.user(Role.ngo)
    response = await client.get("/api/v1/supervision", headers=await factory.token(ngo))
    assert response.status_code == 403
    assert (await client.get("/api/v1/supervision")).status_code == 401


async def test_board_is_for_the_officials_acting_on_the_incident(client, factory, setup):
    """Another agency's official sees neither the incident's board nor its late work on the
    board of all incidents, on the page or in the API, until the lead agency grants it."""
    await late_work(client, factory, setup)
    other = await factory.user(Role.official, org="Water Bureau", email="w@example.org")
    headers = await factory.token(other)
    incident_id = setup.incident["id"]
    one = await client.get(f"/api/v1/supervision?incident_id={incident_id}", headers=headers)
    assert one.status_code == 403
    everything = (await client.get("/api/v1/supervision", headers=headers)).json()
    assert everything["organizations"] == []
    assert sum(everything["totals"].values()) == 0
    await sign_in(client, "w@example.org")
    page = await client.get(f"/supervision?incident_id={incident_id}")
    assert page.status_code == 403 and "Harbour Builders" not in page.text
    page = await client.get("/supervision")
    assert page.status_code == 200
    assert "Harbour Builders" not in page.text and setup.incident["name"] not in page.text
    granted = await client.post(
        f"/api/v1/incidents/{incident_id}/agencies",
        json={"organization_id": other.organization_id},
        headers=setup.headers,
    )
    assert granted.status_code in (200, 201), granted.text
    one = await client.get(f"/api/v1/supervision?incident_id={incident_id}", headers=headers)
    assert one.status_code == 200
    assert "Harbour Builders" in [g["organization_name"] for g in one.json()["organizations"]]
    everything = (await client.get("/api/v1/supervision", headers=headers)).json()
    assert everything["totals"]["overdue_tasks"] == 2


async def test_board_page_shows_counts_and_reasons(client, factory, setup):
    await late_work(client, factory, setup)
    await factory.user(Role.official, org="Recovery Office", email="o@example.org")
    await sign_in(client, "o@example.org")
    page = await client.get(f"/supervision?incident_id={setup.incident['id']}")
    assert page.status_code == 200
    assert "Harbour Builders" in page.text and "No permit yet" in page.text
    assert "Late water" in page.text and "Future water" not in page.text
    fragment = await client.get(
        f"/supervision?incident_id={setup.incident['id']}", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and "Blue Sky Rescue" in fragment.text


async def test_board_uses_the_incident_calendar(db, client, factory, setup):
    await late_work(client, factory, setup)
    result = await board(
        db, setup.incident["id"], today=clock.today("Asia/Shanghai") + timedelta(days=40)
    )
    builders = next(g for g in result.organizations if g.organization_name == "Harbour Builders")
    assert builders.counts["overdue_tasks"] == 5


async def test_remind_queues_one_message_per_member_of_each_late_organization(
    client, db, factory, settings, setup
):
    builder, sky, _tasks = await late_work(client, factory, setup)
    await factory.user(Role.ngo, org="Harbour Builders", email="b2@example.org")
    count = await queue_reminders(db, settings)
    await db.commit()
    messages = (await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert count == 3 == len(messages)
    by_email = {m.to_email: m for m in messages}
    assert set(by_email) == {"b@example.org", "b2@example.org", "s@example.org"}
    assert "Overdue" in by_email["b@example.org"].body
    assert "At risk" not in by_email["b@example.org"].body
    assert "Search" in by_email["s@example.org"].body
    # Running it again the same day does not nag twice.
    assert await queue_reminders(db, settings) == 0
    assert builder.id and sky.id


async def test_remind_command_runs_against_the_database(client, factory, settings, setup):
    from recovery.service.reminders import run

    await late_work(client, factory, setup)
    assert await run(open_database(settings)) == 2


async def test_reminders_are_written_in_each_members_language(client, db, factory, settings, setup):
    from core.models import User

    await late_work(client, factory, setup)
    member = await factory.user(Role.ngo, org="Harbour Builders", email="zh@example.org")
    await db.execute(update(User).where(User.id == member.id).values(locale="zh_Hans"))
    await queue_reminders(db, settings)
    await db.commit()
    messages = {m.to_email: m for m in await db.scalars(select(OutboxMessage))}
    assert "逾期" in messages["zh@example.org"].subject
    assert "past their due date" in messages["b@example.org"].body
    assert "逾期" not in messages["b@example.org"].body


async def test_morning_job_mails_each_incident_at_eight_in_its_own_zone(
    app, client, factory, setup, test_clock
):
    from datetime import UTC, datetime

    from core import jobs

    await late_work(client, factory, setup)
    # 10:00 in Asia/Shanghai (the incident's zone): not its reminder hour.
    await jobs.run_job(app.state.database, "recovery.morning_reminders", {})
    assert await _outbox(app) == []
    # 08:20 there (00:20 UTC): the morning mail goes out, once.
    test_clock.set_clock(datetime(2026, 3, 16, 0, 20, tzinfo=UTC))
    await jobs.run_job(app.state.database, "recovery.morning_reminders", {})
    await jobs.run_job(app.state.database, "recovery.morning_reminders", {})
    sent = await _outbox(app)
    assert {m.to_email for m in sent} == {"b@example.org", "s@example.org"}
    assert len(sent) == 2


async def _outbox(app):
    async with app.state.database.session(write=False) as session:
        return (await session.scalars(select(OutboxMessage))).all()


async def test_board_refuses_an_incident_id_that_is_not_a_number(client, factory, setup):
    """A malformed filter answers 422 naming incident_id, never the board of every incident."""
    await late_work(client, factory, setup)
    api = await client.get("/api/v1/supervision?incident_id=abc", headers=setup.headers)
    assert api.status_code == 422
    assert "incident_id" in api.json()["error"]["fields"]
    await sign_in(client, setup.official.email)
    page = await client.get("/supervision?incident_id=abc")
    assert page.status_code == 422
    assert "incident_id" in page.text and "Harbour Builders" not in page.text
    chinese = await client.get("/supervision?incident_id=abc", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 422 and "incident_id" in chinese.text
    assert "Invalid input" not in chinese.text
    assert (await client.get("/supervision?incident_id=")).status_code == 200
