"""The demo loader builds profiles, past shifts with hours, upcoming ones and a waitlist."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.demo import DemoContext, _kernel
from recovery.models import Area, Incident, Need, Project, Task
from volunteers import demo, service
from volunteers.models import Shift, Signup

pytestmark = pytest.mark.asyncio


async def test_demo_loads_shifts_hours_and_a_waitlist(app, settings):
    async with app.state.database.transaction() as session:
        ctx = DemoContext(settings=settings)
        await _kernel(session, ctx)
        incident = Incident(
            name="Riverside flood",
            started_on=date(2026, 7, 1),
            lead_org_id=ctx.orgs["recovery_office"].id,
        )
        session.add(incident)
        await session.flush()
        areas = [
            Area(incident_id=incident.id, name=name, lat=30 + i / 10, lon=114.0)
            for i, name in enumerate(("Riverside", "Willow Village"))
        ]
        session.add_all(areas)
        await session.flush()
        need = Need(
            incident_id=incident.id,
            title="Nurses at the shelter",
            category="health",
            quantity=4,
            unit="people",
            priority="high",
            needed_by=date(2026, 12, 31),
            lat=30.0,
            lon=114.0,
        )
        project = Project(
            incident_id=incident.id,
            title="Village repairs",
            lead_org_id=ctx.orgs["builders"].id,
            currency="CNY",
            starts_on=date(2026, 8, 1),
            due_on=date(2027, 3, 1),
        )
        session.add_all([need, project])
        await session.flush()
        task = Task(
            project_id=project.id,
            title="Clear debris",
            responsible_org_id=ctx.orgs["builders"].id,
            due_on=date(2026, 12, 1),
        )
        session.add(task)
        await session.flush()
        ctx.data.update(incident=incident, areas=areas, needs=[need], tasks=[task])
        await demo.load(session, ctx)
    async with app.state.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Shift)) == 6
        hours = await service.total_minutes(session, ctx.users["volunteer"].id)
        assert hours == 390
        waitlisted = await session.scalar(select(func.count()).where(Signup.status == "waitlisted"))
        assert waitlisted == 2
        profile = await service.ensure_profile(session, ctx.users["volunteer2"])
        assert "construction" in profile.skills
        linked = (await session.scalars(select(Shift).where(Shift.need_id.is_not(None)))).all()
        assert [s.need_id for s in linked] == [need.id]
        assert await session.scalar(select(func.count()).where(Shift.task_id == task.id)) == 1
        assert await session.scalar(select(func.count()).where(Shift.area_id.is_(None))) == 0


async def test_demo_without_an_incident_adds_nothing(app, settings):
    async with app.state.database.transaction() as session:
        await demo.load(session, DemoContext(settings=settings))
        assert await session.scalar(select(func.count()).select_from(Shift)) == 0
