"""The demo loader builds profiles, past shifts with hours, upcoming ones and a waitlist."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.demo import DemoContext, _kernel
from recovery.models import Incident
from volunteers import demo, service
from volunteers.models import Shift, Signup

pytestmark = pytest.mark.asyncio


async def test_demo_loads_shifts_hours_and_a_waitlist(app, settings):
    async with app.state.database.transaction() as session:
        ctx = DemoContext(settings=settings)
        await _kernel(session, ctx)
        incident = Incident(name="Riverside flood", started_on=date(2026, 7, 1))
        session.add(incident)
        await session.flush()
        ctx.data["incident"] = incident
        await demo.load(session, ctx)
    async with app.state.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Shift)) == 6
        hours = await service.total_minutes(session, ctx.users["volunteer"].id)
        assert hours == 390
        waitlisted = await session.scalar(select(func.count()).where(Signup.status == "waitlisted"))
        assert waitlisted == 2
        profile = await service.ensure_profile(session, ctx.users["volunteer2"])
        assert "construction" in profile.skills


async def test_demo_without_an_incident_adds_nothing(app, settings):
    async with app.state.database.transaction() as session:
        await demo.load(session, DemoContext(settings=settings))
        assert await session.scalar(select(func.count()).select_from(Shift)) == 0
