"""Demo data: the Riverside Floods, with areas, needs, projects, tasks and reports."""

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.demo import DemoContext
from recovery.demo_data import AREAS, NEEDS, PROJECTS, REPORT
from recovery.models import Area, Need, Project, Task
from recovery.schemas import (
    AreaCreate,
    IncidentCreate,
    MilestoneCreate,
    NeedCreate,
    NeedUpdate,
    ProjectCreate,
    ReportCreate,
    TaskCreate,
    TaskUpdate,
)
from recovery.service.incidents import create_area, create_incident
from recovery.service.needs import create_need, record_fulfilment, update_need
from recovery.service.projects import (
    create_project,
    create_task,
    list_milestones,
    reach_milestone,
    update_task,
)
from recovery.service.reports import create_report, publish_report


async def _areas(session: AsyncSession, ctx: DemoContext, incident_id: int) -> dict[str, Area]:
    official = ctx.users["official"]
    county = await create_area(
        session,
        AreaCreate(incident_id=incident_id, name="Riverside County", lat=30.593, lon=114.305),
        actor=official,
    )
    areas = {county.name: county}
    for township, lat, lon, villages in AREAS:
        parent = await create_area(
            session,
            AreaCreate(
                incident_id=incident_id, name=township, parent_id=county.id, lat=lat, lon=lon
            ),
            actor=official,
        )
        areas[township] = parent
        for village, vlat, vlon in villages:
            areas[village] = await create_area(
                session,
                AreaCreate(
                    incident_id=incident_id, name=village, parent_id=parent.id, lat=vlat, lon=vlon
                ),
                actor=official,
            )
    return areas


async def _needs(
    session: AsyncSession, ctx: DemoContext, incident_id: int, areas: dict[str, Area], today: date
) -> list[Need]:
    official, housing = ctx.users["official"], ctx.users["housing"]
    needs = []
    for title, category, qty, unit, priority, days, village, met, status in NEEDS:
        area = areas[village]
        need = await create_need(
            session,
            NeedCreate(
                incident_id=incident_id,
                area_id=area.id,
                title=title,
                category=category,
                quantity=qty,
                unit=unit,
                priority=priority,
                needed_by=today + timedelta(days=days),
                description=f"{title} for {village}, {area.level}.",
            ),
            # The housing bureau logs the construction needs, so both agencies are accountable.
            actor=housing if category == "construction" else official,
        )
        if met:
            need = await record_fulfilment(
                session, need.id, met, actor=ctx.users["ngo"], source="demo delivery"
            )
        if status:
            need = await update_need(session, need.id, NeedUpdate(status=status), actor=official)
        needs.append(need)
    return needs


async def _projects(
    session: AsyncSession, ctx: DemoContext, incident_id: int, areas: dict[str, Area], today: date
) -> tuple[list[Project], list[Task]]:
    official, orgs = ctx.users["official"], ctx.orgs
    projects, tasks = [], []
    for title, area, lead, budget, start, due, milestones, task_plans in PROJECTS:
        project = await create_project(
            session,
            ProjectCreate(
                incident_id=incident_id,
                area_id=areas[area].id,
                title=title,
                description=f"{title}. Led by {orgs[lead].name}.",
                lead_org_id=orgs[lead].id,
                budget_minor=budget,
                currency=ctx.settings.currency,
                starts_on=today + timedelta(days=start),
                due_on=today + timedelta(days=due),
                milestones=[
                    MilestoneCreate(title=m, due_on=today + timedelta(days=d))
                    for m, d, _reached in milestones
                ],
            ),
            actor=official,
        )
        projects.append(project)
        reached = {m for m, _d, done in milestones if done}
        for milestone in await list_milestones(session, project.id):
            if milestone.title in reached:
                await reach_milestone(session, milestone.id, actor=official)
        for task_title, org, due_in, status, progress, reason in task_plans:
            task = await create_task(
                session,
                project.id,
                TaskCreate(
                    title=task_title,
                    responsible_org_id=orgs[org].id,
                    due_on=today + timedelta(days=due_in),
                ),
                actor=official,
            )
            if status != "todo":
                changes = {"status": status, "blocked_reason": reason}
                if status != "done":
                    changes["progress"] = progress
                task = await update_task(session, task.id, TaskUpdate(**changes), actor=official)
            tasks.append(task)
    return projects, tasks


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    official = ctx.users["official"]
    today = clock.today("Asia/Shanghai")
    incident = await create_incident(
        session,
        IncidentCreate(
            name="Riverside Floods 2026",
            started_on=today - timedelta(days=35),
            description=(
                "Ten days of heavy rain broke the east dyke of Riverside County and flooded "
                "villages in three townships. About 18,000 people were evacuated."
            ),
            status="recovery",
            time_zone="Asia/Shanghai",
        ),
        actor=official,
    )
    areas = await _areas(session, ctx, incident.id)
    needs = await _needs(session, ctx, incident.id, areas, today)
    projects, tasks = await _projects(session, ctx, incident.id, areas, today)
    published = await create_report(
        session,
        ReportCreate(
            incident_id=incident.id, title="Recovery update, week 5", body_markdown=REPORT
        ),
        actor=official,
    )
    await publish_report(session, published.id, actor=official)
    await create_report(
        session,
        ReportCreate(
            incident_id=incident.id,
            title="Recovery update, week 6 (draft)",
            body_markdown="## Draft\n\nFigures to be checked with the housing bureau.",
        ),
        actor=official,
    )
    ctx.data["incident"] = incident
    ctx.data["areas"] = list(areas.values())
    ctx.data["needs"] = needs
    ctx.data["projects"] = projects
    ctx.data["tasks"] = tasks
