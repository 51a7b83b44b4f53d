"""Demo data: the Riverside Floods, with areas, needs, projects, tasks and reports, loaded
through the services as officials would enter them."""

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.demo import DemoContext
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
from recovery.service.agencies import grant_agency
from recovery.service.incidents import create_area, create_incident
from recovery.service.needs import create_need, record_fulfilment, update_need
from recovery.service.projects import create_project, list_milestones, reach_milestone
from recovery.service.reports import create_report, publish_report
from recovery.service.tasks import create_task, update_task

# (township, lat, lon, [(village, lat, lon), ...]) around a river town in Hubei.
AREAS = [
    (
        "Willow Township",
        30.612,
        114.262,
        [("Willow Village", 30.621, 114.251), ("Reed Bend", 30.603, 114.274)],
    ),
    (
        "Stonebridge Township",
        30.548,
        114.331,
        [
            ("Stonebridge Village", 30.541, 114.322),
            ("East Dyke", 30.552, 114.347),
            ("Mill Hamlet", 30.536, 114.339),
        ],
    ),
    (
        "Lotus Lake Township",
        30.655,
        114.389,
        [("Lotus Village", 30.662, 114.381), ("Fisher's Landing", 30.648, 114.402)],
    ),
]

# (title, category, quantity, unit, priority, days until needed, village, met, official status)
NEEDS = [
    ("Family tents", "shelter", 120, "tents", "critical", -6, "Willow Village", 80, None),
    ("Blankets and bedding", "shelter", 600, "sets", "high", -2, "Reed Bend", 600, None),
    ("Temporary classroom tents", "education", 6, "tents", "high", 9, "Willow Village", 0, None),
    (
        "Drinking water",
        "water_sanitation",
        20000,
        "litres",
        "critical",
        -3,
        "East Dyke",
        12000,
        None,
    ),
    (
        "Water purification tablets",
        "water_sanitation",
        5000,
        "tablets",
        "high",
        4,
        "Mill Hamlet",
        0,
        None,
    ),
    (
        "Portable toilets",
        "water_sanitation",
        40,
        "units",
        "high",
        3,
        "Stonebridge Village",
        10,
        None,
    ),
    (
        "Hot meals for evacuees",
        "food",
        3000,
        "meals",
        "critical",
        -1,
        "Stonebridge Village",
        3000,
        None,
    ),
    ("Rice and cooking oil", "food", 800, "family packs", "high", 7, "Lotus Village", 250, None),
    ("Infant formula", "food", 300, "tins", "critical", 2, "Fisher's Landing", 0, None),
    (
        "Insulin and chronic medicines",
        "health",
        150,
        "patient-months",
        "critical",
        -4,
        "Lotus Village",
        60,
        None,
    ),
    ("Mobile clinic staff", "health", 6, "nurses", "high", 10, "Fisher's Landing", 2, None),
    ("Mosquito nets", "health", 900, "nets", "medium", 14, "Reed Bend", 0, None),
    (
        "Counselling sessions for children",
        "psychosocial",
        40,
        "sessions",
        "medium",
        21,
        "Willow Village",
        12,
        None,
    ),
    (
        "Support group for bereaved families",
        "psychosocial",
        10,
        "sessions",
        "medium",
        30,
        "Stonebridge Village",
        0,
        None,
    ),
    ("School kits", "education", 450, "kits", "medium", 18, "Lotus Village", 450, None),
    (
        "Trucks for relief distribution",
        "logistics",
        8,
        "trucks",
        "high",
        -5,
        "Stonebridge Village",
        3,
        None,
    ),
    (
        "Warehouse space",
        "logistics",
        1200,
        "square metres",
        "low",
        25,
        "Stonebridge Village",
        0,
        "cancelled",
    ),
    (
        "Mud and debris clearance",
        "debris_removal",
        40,
        "work crews",
        "high",
        -8,
        "East Dyke",
        22,
        None,
    ),
    ("Excavator hire", "debris_removal", 5, "excavators", "medium", 6, "Mill Hamlet", 0, None),
    ("Roof repair materials", "construction", 350, "roofs", "high", 20, "Willow Village", 90, None),
    ("Masons for house repairs", "construction", 30, "masons", "medium", 35, "Reed Bend", 0, None),
    (
        "Seed and fertiliser for replanting",
        "livelihoods",
        500,
        "farm packs",
        "medium",
        40,
        "Lotus Village",
        0,
        None,
    ),
    (
        "Fishing nets and boat repairs",
        "livelihoods",
        60,
        "boats",
        "low",
        45,
        "Fisher's Landing",
        15,
        None,
    ),
    (
        "Safe space for women and girls",
        "protection",
        2,
        "spaces",
        "high",
        5,
        "Stonebridge Village",
        1,
        None,
    ),
    (
        "Lighting for shelters",
        "protection",
        200,
        "solar lamps",
        "medium",
        -1,
        "Willow Village",
        200,
        "closed",
    ),
]

# (title, area, lead org, budget in fen, start and due in days from today, milestones as
# (title, days, reached), tasks as (title, org, due in days, status, progress, blocked reason))
PROJECTS = [
    (
        "Rebuild flood-damaged homes in Willow Village",
        "Willow Village",
        "housing_bureau",
        3_800_000_00,
        -25,
        120,
        [("Damage survey complete", -10, True), ("First 50 homes re-roofed", 30, False)],
        [
            ("Survey damaged houses", "housing_bureau", -12, "done", 100, None),
            ("Clear mud from houses", "blue_sky", -4, "in_progress", 70, None),
            ("Repair roofs, first 50 homes", "builders", 25, "in_progress", 20, None),
            ("Rewire houses safely", "builders", 5, "todo", 0, None),
            ("Household recovery grants", "village_committee", 40, "todo", 0, None),
        ],
    ),
    (
        "Repair Stonebridge and the east dyke",
        "Stonebridge Township",
        "builders",
        9_500_000_00,
        -20,
        150,
        [("Temporary crossing open", -5, True), ("Dyke breach sealed", 20, False)],
        [
            ("Install temporary footbridge", "builders", -8, "done", 100, None),
            ("Geotechnical survey of the dyke", "builders", -2, "in_progress", 60, None),
            (
                "Seal the dyke breach",
                "builders",
                18,
                "blocked",
                15,
                "Waiting for the water level to drop below 21 m",
            ),
            ("Relocate families from the dyke", "red_cross", 3, "in_progress", 30, None),
        ],
    ),
    (
        "Restore Lotus Lake clinic and water supply",
        "Lotus Lake Township",
        "red_cross",
        1_200_000_00,
        -15,
        60,
        [("Clinic reopens", 14, False)],
        [
            ("Disinfect and dry the clinic", "red_cross", -6, "done", 100, None),
            ("Replace damaged medical equipment", "health_bureau", -3, "in_progress", 40, None),
            ("Flush and test village wells", "blue_sky", 6, "todo", 0, None),
            (
                "Repair the water treatment pump",
                "builders",
                12,
                "blocked",
                10,
                "Spare parts held up by the closed provincial road",
            ),
        ],
    ),
]

REPORT = """## Five weeks after the floods

The water has gone down in **Willow** and **Stonebridge** townships. Every evacuated family has
a tent or a place in a shelter, and hot meals reach all three townships.

### What still needs help

- Drinking water in East Dyke: trucks bring 12,000 of the 20,000 litres a day needed.
- Medicines for chronic patients in Lotus Village.
- The dyke repair waits for the river to fall below 21 m.

Thank you to every organization and volunteer who took on a task.
"""


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
    # The recovery office leads; the housing bureau logs the construction needs with it.
    await grant_agency(session, incident.id, ctx.orgs["housing_bureau"].id, actor=official)
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
