"""The need and project pages read their rows as read-only records that say what the models
say, and an outer join that found no row gives None."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from core.db import records
from recovery.models import Area, Incident, Need, Project, Task
from recovery.service import needs as service
from recovery.service.projects import project_with_places
from recovery.service.tasks import project_tasks_named

pytestmark = pytest.mark.asyncio


async def test_records_hold_what_the_models_hold(app, seeded):
    async with app.state.database.session(write=False) as session:
        for model in seeded.needs:
            need, incident, area = await service.need_with_places(session, model.id)
            orm = await session.get(Need, model.id)
            assert need._asdict() == orm.model_dump()
            assert incident._asdict() == (await session.get(Incident, orm.incident_id)).model_dump()
            if orm.area_id is None:
                assert area is None
            else:
                assert area._asdict() == (await session.get(Area, orm.area_id)).model_dump()


async def test_a_projects_records_hold_what_its_models_hold(app, seeded):
    async with app.state.database.session(write=False) as session:
        for model in seeded.projects:
            project, incident, area, _lead = await project_with_places(session, model.id)
            orm = await session.get(Project, model.id)
            assert project is orm
            assert incident.id == orm.incident_id
            assert (area.id if area else None) == orm.area_id
            for task, _name in await project_tasks_named(session, model.id):
                assert task._asdict() == (await session.get(Task, task.id)).model_dump()


def _table(name: str, other: str) -> Table:
    columns = [Column("id", Integer, primary_key=True), Column(other, String)]
    return Table(name, MetaData(), *columns)


async def test_a_table_the_outer_join_found_no_row_of_is_none():
    found, missing = records(
        (1, "x", None, None), _table("first", "name"), _table("second", "label")
    )
    assert (found.id, found.name) == (1, "x")
    assert missing is None
