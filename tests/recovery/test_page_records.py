"""The need and project pages read their rows as read-only records that say what the models
say, and an outer join that found no row gives None."""

from datetime import date

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event

from core.db import records
from core.domain import gather
from recovery.models import Area, Incident, Milestone, Need, Project
from recovery.service import needs as service
from recovery.service.projects import list_milestones, project_page
from recovery.service.tasks import project_tasks

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


async def test_a_need_page_is_one_statement_that_says_what_its_parts_say(app, seeded):
    engine = app.state.database.engine.sync_engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    async with app.state.database.session(write=False) as session:
        for model in seeded.needs:
            need, incident, area = await service.need_with_places(session, model.id)
            history = await service.need_history(session, need)
            helpers = await gather("need.helpers", session, model.id)
            event.listen(engine, "before_cursor_execute", count)
            try:
                page = await service.need_page(session, model.id)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert (page.need, page.incident, page.area) == (need, incident, area)
            assert page.helpers == helpers == {"organizations": [], "volunteer_count": 0}
            assert [(e._asdict(), name) for e, name in page.history] == [
                (e._asdict(), name) for e, name in history
            ]
    assert len(statements) == len(seeded.needs)


async def test_a_projects_records_hold_what_its_models_hold(app, seeded):
    async with app.state.database.session(write=True) as session:
        for day, reached in ((9, None), (2, date(2026, 1, 3))):
            session.add(
                Milestone(
                    project_id=seeded.projects[0].id,
                    title=f"Milestone {day}",
                    due_on=date(2026, 1, day),
                    reached_on=reached,
                )
            )
        await session.commit()
    async with app.state.database.session(write=False) as session:
        for model in seeded.projects:
            page = await project_page(session, model.id)
            orm = await session.get(Project, model.id)
            assert page.project._asdict() == orm.model_dump()
            assert (
                page.incident._asdict()
                == (await session.get(Incident, orm.incident_id)).model_dump()
            )
            assert (page.area.id if page.area else None) == orm.area_id
            assert [task._asdict() for task, _name in page.tasks] == [
                task.model_dump() for task in await project_tasks(session, model.id)
            ]
            orm_milestones = await list_milestones(session, model.id)
            assert [m._asdict() for m in page.milestones] == [
                m.model_dump() for m in orm_milestones
            ]
            assert page.funds == await gather("project.funds", session, model.id)
            if model.id == seeded.projects[0].id:
                assert [m.title for m in page.milestones] == ["Milestone 2", "Milestone 9"]


def _table(name: str, other: str) -> Table:
    columns = [Column("id", Integer, primary_key=True), Column(other, String)]
    return Table(name, MetaData(), *columns)


async def test_a_table_the_outer_join_found_no_row_of_is_none():
    found, missing = records(
        (1, "x", None, None), _table("first", "name"), _table("second", "label")
    )
    assert (found.id, found.name) == (1, "x")
    assert missing is None
