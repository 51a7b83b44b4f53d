"""Demo data: the county floods, with areas, needs, projects, tasks and reports, loaded
through the services as officials would enter them."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.demo import DemoContext, Text
from core.outlines import Place, derived_shapes, dump_outline, ring_geometry, small_cell
from recovery.models import Area, AreaLevel, Need, Project, Task
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

# Each name in both languages (core.demo.Text); the English name is also the key other rows
# and the other domains' loaders find an area by. A river county in Hubei, invented.
COUNTY = (Text("Riverside County", "长湖县"), 30.593, 114.305)
# (township, lat, lon, [(village, lat, lon), ...])
AREAS = [
    (Text("Willow Township", "柳林镇"), 30.612, 114.262, [
        (Text("Willow Village", "柳林村"), 30.621, 114.251),
        (Text("Reed Bend", "芦苇湾村"), 30.603, 114.274),
    ]),
    (Text("Stonebridge Township", "石桥镇"), 30.548, 114.331, [
        (Text("Stonebridge Village", "石桥村"), 30.541, 114.322),
        (Text("East Dyke", "东堤村"), 30.552, 114.347),
        (Text("Mill Hamlet", "磨坊湾村"), 30.536, 114.339),
    ]),
    (Text("Lotus Lake Township", "荷花湖乡"), 30.655, 114.389, [
        (Text("Lotus Village", "荷花村"), 30.662, 114.381),
        (Text("Fisher's Landing", "渔家渡村"), 30.648, 114.402),
    ]),
]  # fmt: skip

T = Text
# (title, category, quantity, unit, priority, days until needed, village, met, official status)
NEEDS = [
    (T("Family tents", "家庭帐篷"), "shelter", 120, T("tents", "顶"), "critical", -6,
     "Willow Village", 80, None),
    (T("Blankets and bedding", "棉被和床上用品"), "shelter", 600, T("sets", "套"), "high", -2,
     "Reed Bend", 600, None),
    (T("Temporary classroom tents", "临时教学帐篷"), "education", 6, T("tents", "顶"), "high", 9,
     "Willow Village", 0, None),
    (T("Drinking water", "饮用水"), "water_sanitation", 20000, T("litres", "升"), "critical", -3,
     "East Dyke", 12000, None),
    (T("Water purification tablets", "净水片"), "water_sanitation", 5000, T("tablets", "片"),
     "high", 4, "Mill Hamlet", 0, None),
    (T("Portable toilets", "移动厕所"), "water_sanitation", 40, T("units", "座"), "high", 3,
     "Stonebridge Village", 10, None),
    (T("Hot meals for evacuees", "转移群众热餐"), "food", 3000, T("meals", "份"), "critical", -1,
     "Stonebridge Village", 3000, None),
    (T("Rice and cooking oil", "大米和食用油"), "food", 800, T("family packs", "户份"), "high", 7,
     "Lotus Village", 250, None),
    (T("Infant formula", "婴幼儿配方奶粉"), "food", 300, T("tins", "罐"), "critical", 2,
     "Fisher's Landing", 0, None),
    (T("Insulin and chronic medicines", "胰岛素和慢性病药品"), "health", 150,
     T("patient-months", "人月"), "critical", -4, "Lotus Village", 60, None),
    (T("Mobile clinic staff", "巡回医疗队护士"), "health", 6, T("nurses", "名"), "high", 10,
     "Fisher's Landing", 2, None),
    (T("Mosquito nets", "蚊帐"), "health", 900, T("nets", "顶"), "medium", 14,
     "Reed Bend", 0, None),
    (T("Counselling sessions for children", "儿童心理辅导"), "psychosocial", 40,
     T("sessions", "场"), "medium", 21, "Willow Village", 12, None),
    (T("Support group for bereaved families", "遇难者家属互助小组"), "psychosocial", 10,
     T("sessions", "场"), "medium", 30, "Stonebridge Village", 0, None),
    (T("School kits", "学生文具包"), "education", 450, T("kits", "套"), "medium", 18,
     "Lotus Village", 450, None),
    (T("Trucks for relief distribution", "救灾物资运输货车"), "logistics", 8, T("trucks", "辆"),
     "high", -5, "Stonebridge Village", 3, None),
    (T("Warehouse space", "仓储场地"), "logistics", 1200, T("square metres", "平方米"), "low", 25,
     "Stonebridge Village", 0, "cancelled"),
    (T("Mud and debris clearance", "淤泥和垃圾清理"), "debris_removal", 40,
     T("work crews", "支作业队"), "high", -8, "East Dyke", 22, None),
    (T("Excavator hire", "租用挖掘机"), "debris_removal", 5, T("excavators", "台"), "medium", 6,
     "Mill Hamlet", 0, None),
    (T("Roof repair materials", "屋顶维修材料"), "construction", 350, T("roofs", "户"), "high", 20,
     "Willow Village", 90, None),
    (T("Masons for house repairs", "房屋维修泥瓦工"), "construction", 30, T("masons", "名"),
     "medium", 35, "Reed Bend", 0, None),
    (T("Seed and fertiliser for replanting", "补种用种子和化肥"), "livelihoods", 500,
     T("farm packs", "户份"), "medium", 40, "Lotus Village", 0, None),
    (T("Fishing nets and boat repairs", "渔网和渔船维修"), "livelihoods", 60, T("boats", "条"),
     "low", 45, "Fisher's Landing", 15, None),
    (T("Safe space for women and girls", "妇女儿童安全空间"), "protection", 2, T("spaces", "处"),
     "high", 5, "Stonebridge Village", 1, None),
    (T("Lighting for shelters", "安置点照明"), "protection", 200, T("solar lamps", "盏太阳能灯"),
     "medium", -1, "Willow Village", 200, "closed"),
]  # fmt: skip
NEED_TEXT = T("{title} for {village}, {level}.", "{village}需要{title}。")

# (title, area, lead org, budget in fen, start and due in days from today, milestones as
# (title, days, reached), tasks as (title, org, due in days, status, progress, blocked reason))
PROJECTS = [
    (T("Rebuild flood-damaged homes in Willow Village", "柳林村受损房屋重建"), "Willow Village",
     "housing_bureau", 3_800_000_00, -25, 120,
     [(T("Damage survey complete", "房屋受损情况调查完成"), -10, True),
      (T("First 50 homes re-roofed", "首批50户屋顶修复完成"), 30, False)],
     [(T("Survey damaged houses", "调查受损房屋"), "housing_bureau", -12, "done", 100, None),
      (T("Clear mud from houses", "清除房屋内淤泥"), "blue_sky", -4, "in_progress", 70, None),
      (T("Repair roofs, first 50 homes", "修复首批50户屋顶"), "builders", 25, "in_progress", 20,
       None),
      (T("Rewire houses safely", "重新安全敷设房屋电线"), "builders", 5, "todo", 0, None),
      (T("Household recovery grants", "发放家庭恢复补助"), "village_committee", 40, "todo", 0,
       None)]),
    (T("Repair Stonebridge and the east dyke", "修复石桥和东堤"), "Stonebridge Township",
     "builders", 9_500_000_00, -20, 150,
     [(T("Temporary crossing open", "临时通道开通"), -5, True),
      (T("Dyke breach sealed", "堤坝决口封堵完成"), 20, False)],
     [(T("Install temporary footbridge", "架设临时人行便桥"), "builders", -8, "done", 100, None),
      (T("Geotechnical survey of the dyke", "堤坝岩土勘察"), "builders", -2, "in_progress", 60,
       None),
      (T("Seal the dyke breach", "封堵堤坝决口"), "builders", 18, "blocked", 15,
       T("Waiting for the water level to drop below 21 m", "等待水位降至21米以下")),
      (T("Relocate families from the dyke", "转移安置堤下群众"), "red_cross", 3, "in_progress",
       30, None)]),
    (T("Restore Lotus Lake clinic and water supply", "恢复荷花湖乡卫生院和供水"),
     "Lotus Lake Township", "red_cross", 1_200_000_00, -15, 60,
     [(T("Clinic reopens", "卫生院恢复接诊"), 14, False)],
     [(T("Disinfect and dry the clinic", "卫生院消毒和除湿"), "red_cross", -6, "done", 100, None),
      (T("Replace damaged medical equipment", "更换受损医疗设备"), "health_bureau", -3,
       "in_progress", 40, None),
      (T("Flush and test village wells", "冲洗并检测村庄水井"), "blue_sky", 6, "todo", 0, None),
      (T("Repair the water treatment pump", "维修水处理泵"), "builders", 12, "blocked", 10,
       T("Spare parts held up by the closed provincial road", "省道封闭，备件无法运到"))]),
]  # fmt: skip
PROJECT_TEXT = T("{title}. Led by {lead}.", "{title}。牵头单位：{lead}。")

INCIDENT = (
    T("Riverside Floods 2026", "长湖县2026年洪涝灾害"),
    T(
        "Ten days of heavy rain broke the east dyke of Riverside County and flooded "
        "villages in three townships. About 18,000 people were evacuated.",
        "连续十天的强降雨冲垮了长湖县东堤，三个乡镇的村庄被淹，约18,000人紧急转移。",
    ),
)

REPORT = T(
    """## Five weeks after the floods

The water has gone down in **Willow** and **Stonebridge** townships. Every evacuated family has
a tent or a place in a shelter, and hot meals reach all three townships.

### What still needs help

- Drinking water in East Dyke: trucks bring 12,000 of the 20,000 litres a day needed.
- Medicines for chronic patients in Lotus Village.
- The dyke repair waits for the river to fall below 21 m.

Thank you to every organization and volunteer who took on a task.
""",
    """## 洪灾五周后

**柳林镇**和**石桥镇**的积水已经退去。每户转移的家庭都住进了帐篷或安置点，三个乡镇都能吃上热饭。

### 仍需帮助的方面

- 东堤村的饮用水：运水车每天送来12,000升，需求为20,000升。
- 荷花村慢性病患者的药品。
- 堤坝修复要等河水降到21米以下。

感谢每一个承担任务的组织和每一位志愿者。
""",
)
REPORT_TITLE = T("Recovery update, week 5", "恢复重建进展通报（第5周）")
DRAFT = (
    T("Recovery update, week 6 (draft)", "恢复重建进展通报（第6周，草稿）"),
    T(
        "## Draft\n\nFigures to be checked with the housing bureau.",
        "## 草稿\n\n数据待与住建局核对。",
    ),
)


async def _areas(session: AsyncSession, ctx: DemoContext, incident_id: int) -> dict[str, Area]:
    """The county, its townships and villages, by English name (the key, in any language)."""
    official = ctx.users["official"]
    name, lat, lon = COUNTY
    county = await create_area(
        session,
        AreaCreate(incident_id=incident_id, name=ctx.pick(name), lat=lat, lon=lon),
        actor=official,
    )
    areas = {name.en: county}
    for township, lat, lon, villages in AREAS:
        parent = await create_area(
            session,
            AreaCreate(
                incident_id=incident_id,
                name=ctx.pick(township),
                parent_id=county.id,
                lat=lat,
                lon=lon,
            ),
            actor=official,
        )
        areas[township.en] = parent
        for village, vlat, vlon in villages:
            areas[village.en] = await create_area(
                session,
                AreaCreate(
                    incident_id=incident_id,
                    name=ctx.pick(village),
                    parent_id=parent.id,
                    lat=vlat,
                    lon=vlon,
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
        description = ctx.pick(NEED_TEXT).format(
            title=ctx.pick(title), village=area.name, level=area.level
        )
        need = await create_need(
            session,
            NeedCreate(
                incident_id=incident_id,
                area_id=area.id,
                title=ctx.pick(title),
                category=category,
                quantity=qty,
                unit=ctx.pick(unit),
                priority=priority,
                needed_by=today + timedelta(days=days),
                description=description,
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
                title=ctx.pick(title),
                description=ctx.pick(PROJECT_TEXT).format(
                    title=ctx.pick(title), lead=orgs[lead].name
                ),
                lead_org_id=orgs[lead].id,
                budget_minor=budget,
                currency=ctx.settings.currency,
                starts_on=today + timedelta(days=start),
                due_on=today + timedelta(days=due),
                milestones=[
                    MilestoneCreate(title=ctx.pick(m), due_on=today + timedelta(days=d))
                    for m, d, _reached in milestones
                ],
            ),
            actor=official,
        )
        projects.append(project)
        reached = {ctx.pick(m) for m, _d, done in milestones if done}
        for milestone in await list_milestones(session, project.id):
            if milestone.title in reached:
                await reach_milestone(session, milestone.id, actor=official)
        for task_title, org, due_in, status, progress, reason in task_plans:
            task = await create_task(
                session,
                project.id,
                TaskCreate(
                    title=ctx.pick(task_title),
                    responsible_org_id=orgs[org].id,
                    due_on=today + timedelta(days=due_in),
                ),
                actor=official,
            )
            if status != "todo":
                changes = {"status": status, "blocked_reason": ctx.pick(reason) if reason else None}
                if status != "done":
                    changes["progress"] = progress
                task = await update_task(session, task.id, TaskUpdate(**changes), actor=official)
            tasks.append(task)
    return projects, tasks


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    official = ctx.users["official"]
    today = clock.today("Asia/Shanghai")
    name, description = INCIDENT
    incident = await create_incident(
        session,
        IncidentCreate(
            name=ctx.pick(name),
            started_on=today - timedelta(days=35),
            description=ctx.pick(description),
            status="recovery",
            time_zone="Asia/Shanghai",
        ),
        actor=official,
    )
    # The recovery office leads; the housing bureau logs the construction needs with it.
    await grant_agency(session, incident.id, ctx.orgs["housing_bureau"].id, actor=official)
    areas = await _areas(session, ctx, incident.id)
    await add_demo_outlines(session, incident.id)
    needs = await _needs(session, ctx, incident.id, areas, today)
    projects, tasks = await _projects(session, ctx, incident.id, areas, today)
    published = await create_report(
        session,
        ReportCreate(
            incident_id=incident.id,
            title=ctx.pick(REPORT_TITLE),
            body_markdown=ctx.pick(REPORT),
        ),
        actor=official,
    )
    await publish_report(session, published.id, actor=official)
    draft_title, draft_body = DRAFT
    await create_report(
        session,
        ReportCreate(
            incident_id=incident.id,
            title=ctx.pick(draft_title),
            body_markdown=ctx.pick(draft_body),
        ),
        actor=official,
    )
    ctx.data["incident"] = incident
    ctx.data["areas"] = list(areas.values())
    # The other domains' loaders find an area by its English name, in either language.
    ctx.data["areas_by_key"] = areas
    ctx.data["needs"] = needs
    # (category, unit) → the unit's English word, so the loaders that order needs' kinds by
    # unit (the donations' offers) order them the same way in either language.
    ctx.data["unit_keys"] = {
        (category, ctx.pick(unit)): unit.en for _title, category, _qty, unit, *_ in NEEDS
    }
    ctx.data["projects"] = projects
    ctx.data["tasks"] = tasks


# Outlines for the demo incident's areas, computed from their positions: the county an octagon
# around everything, townships its Voronoi cells, villages small cells inside their township.
# A village's cell reaches at most this share of the way to its nearest neighbour (or, alone,
# this share of its township's size): villages are small inside their township.
VILLAGE_SHARE = 0.45


async def add_demo_outlines(session: AsyncSession, incident_id: int) -> int:
    """Give every area of the incident that has none an outline; answers how many got one.
    Keyed by the areas' levels and parents, never their names (the demo comes in languages)."""
    areas = list(
        await session.scalars(select(Area).where(Area.incident_id == incident_id).order_by(Area.id))
    )
    places = [Place(a.id, a.parent_id, a.lat, a.lon) for a in areas]
    shapes = derived_shapes(places)
    by_parent: dict[int | None, list[Place]] = {}
    for place in places:
        by_parent.setdefault(place.parent_id, []).append(place)
    changed = 0
    for area in areas:
        ring = shapes.get(area.id)
        if area.outline or not ring:
            continue
        if area.level == AreaLevel.village and area.parent_id in shapes:
            place = Place(area.id, area.parent_id, area.lat, area.lon)
            siblings = by_parent[area.parent_id]
            ring = small_cell(ring, place, siblings, shapes[area.parent_id], VILLAGE_SHARE)
        before = audit.snapshot(area)
        area.outline = dump_outline(ring_geometry(ring))
        changed += 1
        await session.flush()
        await audit.record(
            session,
            actor=None,
            action="area.update",
            obj=area,
            before=before,
            after=audit.snapshot(area),
        )
    return changed
