"""Service-level rules, without HTTP: status derivation, roll-up, areas, permissions, time zones."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from core.errors import DomainError
from core.models import OrgKind, Role
from recovery.models import Need, NeedStatus, Task, TaskStatus
from recovery.schemas import (
    AreaCreate,
    IncidentCreate,
    NeedCreate,
    NeedUpdate,
    ProjectCreate,
    ReportCreate,
    TaskCreate,
)
from recovery.service import derive_status
from recovery.service.incidents import create_area, create_incident, incident_today
from recovery.service.needs import create_need, update_need
from recovery.service.projects import create_project
from recovery.service.reports import create_report, get_visible_report
from recovery.service.tasks import create_task, rolled_up_progress

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("quantity", "met", "status"),
    [(10, 0, NeedStatus.open), (10, 1, NeedStatus.partially_met), (10, 10, NeedStatus.met)],
)
async def test_status_is_derived_from_quantity_met(quantity, met, status):
    assert derive_status(quantity, met) == status


async def test_roll_up_counts_done_tasks_in_full():
    tasks = [
        Task(progress=40, status=TaskStatus.in_progress),
        Task(progress=0, status=TaskStatus.done),
        Task(progress=0, status=TaskStatus.todo),
    ]
    assert rolled_up_progress(tasks) == round(140 / 3)
    assert rolled_up_progress([]) == 0


async def test_incident_today_is_the_local_calendar_day():
    from recovery.models import Incident

    incident = Incident(name="x", started_on=date(2026, 1, 1), time_zone="Asia/Shanghai")
    late_evening_utc = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert incident_today(incident, late_evening_utc) == date(2026, 3, 2)


async def official_and_incident(db, factory):
    official = await factory.user(Role.official, org="Recovery Office", org_kind=OrgKind.government)
    incident = await create_incident(
        db,
        IncidentCreate(name="Floods", started_on=date(2026, 10, 1), time_zone="Asia/Shanghai"),
        actor=official,
    )
    return official, incident


async def test_services_refuse_anyone_but_government_officials(db, factory):
    ngo = await factory.user(Role.ngo)  # users first: the test's session then holds the lock
    official, incident = await official_and_incident(db, factory)
    need = NeedCreate(
        incident_id=incident.id,
        title="Tents",
        category="shelter",
        quantity=5,
        unit="tents",
        priority="high",
        needed_by=date(2026, 12, 1),
        lat=30.0,
        lon=114.0,
    )
    for call in (
        create_need(db, need, actor=ngo),
        create_incident(db, IncidentCreate(name="x", started_on=date(2026, 1, 1)), actor=ngo),
        create_report(db, ReportCreate(incident_id=incident.id, title="x"), actor=ngo),
        create_project(
            db,
            ProjectCreate(
                incident_id=incident.id,
                title="x",
                lead_org_id=official.organization_id,
                budget_minor=1,
                currency="CNY",
                starts_on=date(2026, 1, 1),
                due_on=date(2026, 2, 1),
            ),
            actor=ngo,
        ),
    ):
        with pytest.raises(DomainError) as failure:
            await call
        assert failure.value.status_code == 403


async def test_areas_nest_county_township_village(db, factory):
    official, incident = await official_and_incident(db, factory)
    county = await create_area(
        db, AreaCreate(incident_id=incident.id, name="C", lat=1, lon=1), actor=official
    )
    township = await create_area(
        db,
        AreaCreate(incident_id=incident.id, name="T", parent_id=county.id, lat=1, lon=1),
        actor=official,
    )
    with pytest.raises(DomainError) as failure:
        await create_area(
            db,
            AreaCreate(
                incident_id=incident.id,
                name="V",
                parent_id=township.id,
                level="county",
                lat=1,
                lon=1,
            ),
            actor=official,
        )
    assert "level" in failure.value.fields
    assert (county.level, township.level) == ("county", "township")


async def test_need_edits_keep_status_consistent(db, factory):
    official, incident = await official_and_incident(db, factory)
    need = await create_need(
        db,
        NeedCreate(
            incident_id=incident.id,
            title="Water",
            category="water_sanitation",
            quantity=10,
            unit="tanks",
            priority="critical",
            needed_by=date(2026, 12, 1),
            lat=30.0,
            lon=114.0,
        ),
        actor=official,
    )
    need = await update_need(db, need.id, NeedUpdate(quantity_met=10), actor=official)
    assert need.status == NeedStatus.met
    need = await update_need(db, need.id, NeedUpdate(quantity=20), actor=official)
    assert need.status == NeedStatus.partially_met
    need = await update_need(db, need.id, NeedUpdate(status="cancelled"), actor=official)
    need = await update_need(db, need.id, NeedUpdate(quantity_met=0), actor=official)
    assert need.status == NeedStatus.cancelled
    need = await update_need(db, need.id, NeedUpdate(status="open"), actor=official)
    assert need.status == NeedStatus.open


async def test_tasks_need_a_verified_responsible_organization(db, factory):
    pending = await factory.user(Role.ngo, verified=False, org="Unverified Group")
    official, incident = await official_and_incident(db, factory)
    project = await create_project(
        db,
        ProjectCreate(
            incident_id=incident.id,
            title="School",
            lead_org_id=official.organization_id,
            budget_minor=100,
            currency="CNY",
            starts_on=date(2026, 1, 1),
            due_on=date(2026, 6, 1),
        ),
        actor=official,
    )
    with pytest.raises(DomainError) as failure:
        await create_task(
            db,
            project.id,
            TaskCreate(
                title="Walls", responsible_org_id=pending.organization_id, due_on=date(2026, 3, 1)
            ),
            actor=official,
        )
    assert "responsible_org_id" in failure.value.fields


async def test_drafts_are_hidden_from_everyone_but_officials(db, factory):
    official, incident = await official_and_incident(db, factory)
    report = await create_report(
        db, ReportCreate(incident_id=incident.id, title="Draft"), actor=official
    )
    assert (await get_visible_report(db, report.id, official)).id == report.id
    with pytest.raises(DomainError) as failure:
        await get_visible_report(db, report.id, None)
    assert failure.value.status_code == 404


async def test_times_show_in_the_incident_time_zone(client, db, setup):
    need = await setup.need()
    await db.execute(
        update(Need)
        .where(Need.id == need["id"])
        .values(created_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC))
    )
    await db.commit()
    page = await client.get(f"/needs/{need['id']}")
    # 20:00 UTC on 1 January is 04:00 on 2 January in Shanghai.
    assert "Jan 2, 2026, 4:00\u202fAM" in page.text
