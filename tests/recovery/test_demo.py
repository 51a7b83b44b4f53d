"""The demo data set loads through the services and leaves data for the other domains."""

import pytest
from sqlalchemy import func, select

from core.app import open_database
from core.cli import load_demo as load
from core.models import OutboxMessage
from recovery.models import Incident, Need, Report, Task
from recovery.service.reminders import run
from recovery.service.supervision import board

pytestmark = pytest.mark.asyncio


async def test_demo_loads_a_realistic_incident(settings, db):
    assert await load(settings, "en") is True
    incident = await db.scalar(select(Incident))
    assert incident.name == "Riverside Floods 2026" and incident.time_zone == "Asia/Shanghai"
    assert await db.scalar(select(func.count()).select_from(Need)) == 25
    statuses = set(await db.scalars(select(Need.status)))
    assert {"open", "partially_met", "met", "closed", "cancelled"} <= statuses
    task_statuses = set(await db.scalars(select(Task.status)))
    assert {"todo", "in_progress", "blocked", "done"} <= task_statuses
    reports = {r.status for r in await db.scalars(select(Report))}
    assert reports == {"draft", "published"}
    result = await board(db, incident.id)
    assert result.totals["overdue_tasks"] >= 2 and result.totals["blocked_tasks"] == 2
    assert result.totals["overdue_needs"] >= 3
    await db.rollback()
    assert await run(open_database(settings)) > 0
    assert await db.scalar(select(func.count()).select_from(OutboxMessage)) > 0
    await db.rollback()
    assert await load(settings) is False


async def test_demo_pages_render(settings, client):
    await load(settings)
    for path in (
        "/needs",
        "/projects",
        "/reports",
        "/projects/1",
        "/needs/1",
        "/reports/1",
        "/incidents/1/reports.atom",
        "/tasks/1",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
