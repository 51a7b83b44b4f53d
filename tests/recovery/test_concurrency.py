"""Concurrent writers: task updates roll up correctly, edits and fulfilments never collide."""

import asyncio

import pytest

from core.errors import DomainError
from core.models import User
from recovery.models import Need, Project
from recovery.schemas import NeedUpdate, TaskUpdate
from recovery.service import record_fulfilment
from recovery.service.needs import update_need
from recovery.service.tasks import update_task

pytestmark = pytest.mark.asyncio


async def in_own_transaction(app, work):
    async with app.state.database.transaction() as session:
        return await work(session)


async def test_concurrent_task_updates_roll_up_from_both(app, setup):
    project = await setup.project()
    first = await setup.task(project["id"], setup.official.organization_id)
    second = await setup.task(project["id"], setup.official.organization_id)

    async def change(task_id, progress):
        async def work(session):
            actor = await session.get(User, setup.official.id)
            return await update_task(session, task_id, TaskUpdate(progress=progress), actor=actor)

        return await in_own_transaction(app, work)

    await asyncio.gather(change(first["id"], 100), change(second["id"], 50))
    async with app.state.database.session() as session:
        assert (await session.get(Project, project["id"])).progress == 75


async def test_edit_and_fulfilment_at_once_end_consistent(app, setup):
    need = await setup.need(quantity=10)
    await in_own_transaction(
        app, lambda s: record_fulfilment(s, need["id"], 5, actor=None, source="test")
    )

    async def lower(session):
        actor = await session.get(User, setup.official.id)
        return await update_need(session, need["id"], NeedUpdate(quantity=6), actor=actor)

    async def deliver(session):
        return await record_fulfilment(session, need["id"], 3, actor=None, source="test")

    results = await asyncio.gather(
        in_own_transaction(app, lower), in_own_transaction(app, deliver), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    # Exactly one of the two is refused, with a domain error (never a database error).
    assert len(failures) == 1 and isinstance(failures[0], DomainError), results
    async with app.state.database.session() as session:
        row = await session.get(Need, need["id"])
        assert row.quantity_met <= row.quantity
        assert (row.quantity, row.quantity_met) in ((6, 5), (10, 8))
