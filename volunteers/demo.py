"""Demo data: three volunteer profiles and six shifts (past with attendance, upcoming, one full)."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.demo import DemoContext
from recovery import service as recovery
from volunteers import service
from volunteers.models import Attendance, Shift, Signup, SignupStatus
from volunteers.schemas import ProfileUpdate, ShiftCreate

PROFILES = {
    "volunteer": {
        "skills": ["first_aid", "medical", "psychosocial"],
        "languages": ["Mandarin", "English"],
        "availability": {"sat": ["morning", "afternoon"], "sun": ["morning"], "wed": ["evening"]},
        "phone": "+86 138 0013 8000",
        "contact_consent": True,
    },
    "volunteer2": {
        "skills": ["construction", "driving", "heavy_machinery"],
        "languages": ["Mandarin", "Cantonese"],
        "availability": {day: ["morning", "afternoon"] for day in ("mon", "tue", "fri", "sat")},
        "contact_consent": False,
    },
    "volunteer3": {
        "skills": ["cooking", "childcare", "translation", "general"],
        "languages": ["Mandarin", "English", "Japanese"],
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


async def _past_shift(session, ctx, *, owner, title, days_ago, hours, skills, area_index, rows):
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
        location=title.split(" at ")[-1],
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


async def _shift(session, ctx, *, owner, days, hours, area_index, **fields) -> Shift:
    area_id, lat, lon = _point(ctx, area_index)
    start = (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
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
        await service.update_profile(session, users[key], ProfileUpdate(**profile))
    ngo, official = users["ngo"], users["official"]
    await _past_shift(
        session,
        ctx,
        owner=ngo,
        title="Sandbag filling at the river dyke",
        days_ago=6,
        hours=4,
        skills=["general"],
        area_index=0,
        rows=[(users["volunteer"], 210), (users["volunteer2"], 240)],
    )
    await _past_shift(
        session,
        ctx,
        owner=official,
        title="Food parcel packing at the county depot",
        days_ago=2,
        hours=3,
        skills=["logistics"],
        area_index=1,
        rows=[(users["volunteer"], 180), (users["volunteer3"], 0)],
    )
    incident_id = ctx.data["incident"].id
    needs = [n for n in ctx.data.get("needs") or [] if n.incident_id == incident_id]
    tasks = [
        t for t in ctx.data.get("tasks") or [] if await _task_incident(session, t) == incident_id
    ]
    medical = await _shift(
        session,
        ctx,
        owner=ngo,
        days=2,
        hours=5,
        area_index=0,
        title="First-aid post at the shelter",
        location="Riverside Middle School shelter",
        capacity=4,
        skills=["first_aid", "medical"],
        need_id=needs[0].id if needs else None,
        description="Help the Red Cross nurses: dressings, blood pressure, referrals.",
    )
    await _shift(
        session,
        ctx,
        owner=official,
        days=3,
        hours=6,
        area_index=1,
        title="Debris clearing in Willow Village",
        location="Willow Village square",
        capacity=8,
        skills=["construction", "heavy_machinery", "driving"],
        task_id=tasks[0].id if tasks else None,
        min_age=18,
        description="Clear mud and debris from homes; boots and gloves provided.",
    )
    full = await _shift(
        session,
        ctx,
        owner=ngo,
        days=1,
        hours=3,
        area_index=0,
        title="Child-friendly space",
        location="Community centre, room 2",
        capacity=1,
        skills=["childcare", "psychosocial"],
        description="Games and quiet time for children while parents see the housing desk.",
    )
    await _shift(
        session,
        ctx,
        owner=ngo,
        days=4,
        hours=4,
        area_index=1,
        title="Translation desk at the registration point",
        location="County hall lobby",
        capacity=2,
        skills=["translation"],
    )
    await service.sign_up(session, user=users["volunteer"], shift_id=medical.id)
    await service.sign_up(session, user=users["volunteer3"], shift_id=full.id)
    await service.sign_up(session, user=users["volunteer"], shift_id=full.id)
    await service.sign_up(session, user=users["volunteer2"], shift_id=full.id)
