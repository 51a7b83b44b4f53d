"""Demo data: three volunteer profiles and six shifts (past with attendance, upcoming, one full)."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.demo import DemoContext, Text
from recovery import service as recovery
from volunteers import service
from volunteers.models import Attendance, Shift, Signup, SignupStatus
from volunteers.schemas import ProfileUpdate, ShiftCreate

MANDARIN, ENGLISH = Text("Mandarin", "普通话"), Text("English", "英语")
PROFILES = {
    "volunteer": {
        "skills": ["first_aid", "medical", "psychosocial"],
        "languages": [MANDARIN, ENGLISH],
        "availability": {"sat": ["morning", "afternoon"], "sun": ["morning"], "wed": ["evening"]},
        "phone": "+86 138 0013 8000",
        "contact_consent": True,
    },
    "volunteer2": {
        "skills": ["construction", "driving", "heavy_machinery"],
        "languages": [MANDARIN, Text("Cantonese", "粤语")],
        "availability": {day: ["morning", "afternoon"] for day in ("mon", "tue", "fri", "sat")},
        "contact_consent": False,
    },
    "volunteer3": {
        "skills": ["cooking", "childcare", "translation", "general"],
        "languages": [MANDARIN, ENGLISH, Text("Japanese", "日语")],
        "availability": {"sat": ["afternoon", "evening"], "sun": ["afternoon"]},
        "phone": "+86 139 0013 9000",
        "contact_consent": True,
    },
}


def _point(ctx: DemoContext, index: int) -> tuple[int | None, float, float]:
    incident_id = ctx.data["incident"].id
    areas = [a for a in ctx.data.get("areas") or [] if a.incident_id == incident_id]
    if areas:
        area = areas[index % len(areas)]
        return area.id, area.lat, area.lon
    return None, 30.59, 114.30


# Past shifts: (owner, title, location, days ago, hours, skills, area index, [(volunteer,
# minutes attended, 0 for a no-show)]).
PAST_SHIFTS = [
    ("ngo", Text("Sandbag filling at the river dyke", "河堤装填沙袋"),
     Text("the river dyke", "河堤"), 6, 4, ["general"], 0,
     [("volunteer", 210), ("volunteer2", 240)]),
    ("official", Text("Food parcel packing at the county depot", "县物资仓库分装食品包"),
     Text("the county depot", "县物资仓库"), 2, 3, ["logistics"], 1,
     [("volunteer", 180), ("volunteer3", 0)]),
]  # fmt: skip
# Upcoming shifts, by key: their owner, timing and texts; "need" and "task" link the first
# demo need or task.
SHIFTS = {
    "medical": dict(
        owner="ngo", days=2, hours=5, area_index=0, capacity=4, skills=["first_aid", "medical"],
        link="need",
        title=Text("First-aid post at the shelter", "安置点急救站"),
        location=Text("Riverside Middle School shelter", "长湖县第一中学安置点"),
        description=Text(
            "Help the Red Cross nurses: dressings, blood pressure, referrals.",
            "协助红十字会护士：包扎换药、测量血压、转诊。",
        ),
    ),
    "debris": dict(
        owner="official", days=3, hours=6, area_index=1, capacity=8, min_age=18,
        skills=["construction", "heavy_machinery", "driving"], link="task",
        title=Text("Debris clearing in Willow Village", "柳林村清淤除障"),
        location=Text("Willow Village square", "柳林村文化广场"),
        description=Text(
            "Clear mud and debris from homes; boots and gloves provided.",
            "清除民房内的淤泥和杂物；提供雨靴和手套。",
        ),
    ),
    "full": dict(
        owner="ngo", days=1, hours=3, area_index=0, capacity=1,
        skills=["childcare", "psychosocial"],
        title=Text("Child-friendly space", "儿童友好空间"),
        location=Text("Community centre, room 2", "社区服务中心二号室"),
        description=Text(
            "Games and quiet time for children while parents see the housing desk.",
            "家长在住房服务台办事时，陪孩子们做游戏、安静休息。",
        ),
    ),
    "translation": dict(
        owner="ngo", days=4, hours=4, area_index=1, capacity=2, skills=["translation"],
        title=Text("Translation desk at the registration point", "登记点翻译服务台"),
        location=Text("County hall lobby", "县政府大厅"),
    ),
}  # fmt: skip


async def _past_shift(
    session, ctx, *, owner, title, location, days_ago, hours, skills, area_index, rows
):
    """Past shifts cannot be created through the service (they must start in the future)."""
    incident = ctx.data["incident"]
    area_id, lat, lon = _point(ctx, area_index)
    start = (utcnow() - timedelta(days=days_ago)).replace(hour=1, minute=0, second=0, microsecond=0)
    shift = Shift(
        incident_id=incident.id,
        area_id=area_id,
        organization_id=owner.organization_id,
        created_by_id=owner.id,
        title=title,
        location=location,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        lat=lat,
        lon=lon,
        capacity=6,
        filled=len(rows),
        skills=skills,
    )
    session.add(shift)
    await session.flush()
    await audit.record(session, actor=owner, action="shift.create", obj=shift)
    for user, minutes in rows:
        session.add(
            Signup(
                shift_id=shift.id,
                volunteer_id=user.id,
                status=SignupStatus.confirmed,
                created_at=start - timedelta(days=2),
                confirmed_at=start - timedelta(days=2),
                attendance=Attendance.attended if minutes else Attendance.no_show,
                checked_in_at=start if minutes else None,
                checked_out_at=start + timedelta(minutes=minutes) if minutes else None,
                minutes=minutes,
                attendance_by_id=owner.id,
            )
        )
    await session.flush()


async def _shift(session, ctx, *, owner, days, hours, area_index, link=None, **texts) -> Shift:
    area_id, lat, lon = _point(ctx, area_index)
    start = (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    fields = {k: ctx.pick(v) if isinstance(v, Text) else v for k, v in texts.items()}
    data = ShiftCreate(
        incident_id=ctx.data["incident"].id,
        area_id=area_id,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        lat=lat,
        lon=lon,
        **fields,
    )
    return await service.create_shift(session, user=owner, data=data)


async def _task_incident(session: AsyncSession, task) -> int:
    return (await recovery.get_project(session, task.project_id)).incident_id


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    if "incident" not in ctx.data:
        return  # the recovery demo makes the incident these shifts belong to
    users = ctx.users
    for key, profile in PROFILES.items():
        languages = [ctx.pick(language) for language in profile["languages"]]
        await service.update_profile(
            session, users[key], ProfileUpdate(**(profile | {"languages": languages}))
        )
    for owner, title, location, days_ago, hours, skills, area_index, rows in PAST_SHIFTS:
        await _past_shift(
            session,
            ctx,
            owner=users[owner],
            title=ctx.pick(title),
            location=ctx.pick(location),
            days_ago=days_ago,
            hours=hours,
            skills=skills,
            area_index=area_index,
            rows=[(users[key], minutes) for key, minutes in rows],
        )
    incident_id = ctx.data["incident"].id
    needs = [n for n in ctx.data.get("needs") or [] if n.incident_id == incident_id]
    tasks = [
        t for t in ctx.data.get("tasks") or [] if await _task_incident(session, t) == incident_id
    ]
    links = {"need": ("need_id", needs), "task": ("task_id", tasks)}
    shifts = {}
    for key, plan in SHIFTS.items():
        plan = dict(plan, owner=users[plan["owner"]])
        if plan.get("link"):
            field, rows = links[plan["link"]]
            plan[field] = rows[0].id if rows else None
        shifts[key] = await _shift(session, ctx, **plan)
    await service.sign_up(session, user=users["volunteer"], shift_id=shifts["medical"].id)
    for key in ("volunteer3", "volunteer", "volunteer2"):
        await service.sign_up(session, user=users[key], shift_id=shifts["full"].id)
