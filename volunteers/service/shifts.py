"""Shifts: created and changed by officials and verified NGOs, listed publicly with counts."""

from datetime import datetime

from sqlalchemy import cast, exists, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, cache
from core.clock import utcnow
from core.drills import not_drill
from core.i18n import _
from core.models import ORG_ROLES, Role, User
from recovery import service as recovery
from volunteers.errors import InvalidShift, NotShiftOwner, ShiftClosed, ShiftNotFound
from volunteers.models import ACTIVE, Shift, ShiftStatus, Signup, SignupStatus
from volunteers.schemas import ShiftCreate, ShiftUpdate, check_times
from volunteers.service import mail

# Changing any of these tells every volunteer signed up.
NOTIFIED_FIELDS = {"title", "starts_at", "ends_at", "location", "lat", "lon"}


def can_manage(user: User | None, shift: Shift) -> bool:
    """Members of the organization that runs the shift take its attendance and change it."""
    return (
        user is not None
        and user.role in ORG_ROLES
        and user.organization_id is not None
        and user.organization_id == shift.organization_id
    )


def require_owner(user: User, shift: Shift) -> None:
    if not can_manage(user, shift):
        raise NotShiftOwner(_("Only the organization running this shift may do this."))


async def get_shift(session: AsyncSession, shift_id: int) -> Shift:
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise ShiftNotFound(_("No such shift."))
    return shift


async def _check_links(session: AsyncSession, incident_id: int, data) -> None:
    """The need, task and area a shift points at must exist (and belong to its incident)."""
    if getattr(data, "need_id", None) is not None:
        need = await recovery.get_need(session, data.need_id)
        if need.incident_id != incident_id:
            raise InvalidShift(
                _("The need belongs to another incident."),
                fields={"need_id": _("belongs to another incident")},
            )
    if getattr(data, "task_id", None) is not None:
        task = await recovery.get_task(session, data.task_id)
        project = await recovery.get_project(session, task.project_id)
        if project.incident_id != incident_id:
            raise InvalidShift(
                _("The task belongs to another incident."),
                fields={"task_id": _("belongs to another incident")},
            )
    if getattr(data, "area_id", None) is not None:
        area = await recovery.get_area(session, data.area_id)
        if area.incident_id != incident_id:
            raise InvalidShift(
                _("The area belongs to another incident."),
                fields={"area_id": _("belongs to another incident")},
            )


async def create_shift(session: AsyncSession, *, user: User, data: ShiftCreate) -> Shift:
    if user.role not in (Role.official, Role.ngo) or user.organization_id is None:
        raise NotShiftOwner(_("Only officials and NGO members may create shifts."))
    if user.role == Role.official:
        await recovery.ensure_can_act(session, user, data.incident_id)
    else:
        await recovery.get_incident(session, data.incident_id)
    await _check_links(session, data.incident_id, data)
    if data.starts_at <= utcnow():
        raise InvalidShift(
            _("A new shift must start in the future."), fields={"starts_at": _("in the past")}
        )
    shift = Shift(
        **data.model_dump(),
        organization_id=user.organization_id,
        created_by_id=user.id,
    )
    session.add(shift)
    await session.flush()
    await audit.record(
        session, actor=user, action="shift.create", obj=shift, after=audit.snapshot(shift)
    )
    return shift


async def active_signups(session: AsyncSession, shift_id: int) -> list[tuple[Signup, User]]:
    rows = await session.execute(
        select(Signup, User)
        .join(User, User.id == Signup.volunteer_id)
        .where(Signup.shift_id == shift_id, Signup.status.in_(ACTIVE))
        .order_by(Signup.id)
    )
    return [(s, u) for s, u in rows.all()]


async def update_shift(
    session: AsyncSession, *, user: User, shift_id: int, data: ShiftUpdate
) -> Shift:
    from volunteers.service.signups import fill_from_waitlist, lock_shift

    shift = await lock_shift(session, shift_id)
    require_owner(user, shift)
    if shift.status != ShiftStatus.open:
        raise ShiftClosed(_("This shift was cancelled and cannot be changed."))
    fields = data.model_dump(exclude_unset=True)
    for key in ("title", "lat", "lon", "capacity", "starts_at", "ends_at"):
        if key in fields and fields[key] is None:
            raise InvalidShift(_("This field cannot be empty."), fields={key: _("required")})
    for key, empty in (("description", ""), ("location", ""), ("skills", [])):
        if key in fields and fields[key] is None:
            fields[key] = empty
    starts_at = fields.get("starts_at", shift.starts_at)
    ends_at = fields.get("ends_at", shift.ends_at)
    try:
        check_times(starts_at, ends_at)
    except ValueError as exc:
        raise InvalidShift(str(exc), fields={"ends_at": str(exc)}) from exc
    before = audit.snapshot(shift)
    capacity = fields.pop("capacity", None)
    if capacity is not None and capacity != shift.capacity:
        # Conditional, so a concurrent sign-up can never leave filled above the new capacity.
        result = await session.execute(
            update(Shift)
            .where(Shift.id == shift.id, Shift.filled <= capacity)
            .values(capacity=capacity)
            .returning(Shift.capacity)
            .execution_options(synchronize_session=False)
        )
        if result.first() is None:
            raise InvalidShift(
                _("More volunteers are confirmed than the new capacity."),
                fields={"capacity": _("lower than the number already confirmed")},
            )
        await session.refresh(shift)
    changed = {k for k, v in fields.items() if getattr(shift, k) != v}
    for key, value in fields.items():
        setattr(shift, key, value)
    shift.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="shift.update",
        obj=shift,
        before=before,
        after=audit.snapshot(shift),
    )
    if changed & NOTIFIED_FIELDS:
        for _signup, volunteer in await active_signups(session, shift.id):
            await mail.notify(session, kind="changed", user=volunteer, shift=shift)
    if capacity is not None:
        await fill_from_waitlist(session, shift, actor=user)
    return shift


async def cancel_shift(session: AsyncSession, *, user: User, shift_id: int) -> Shift:
    """Cancel the shift and every sign-up on it, telling each volunteer."""
    from volunteers.service.signups import lock_shift

    # Locked first, so no sign-up can slip in between reading the sign-ups and cancelling.
    shift = await lock_shift(session, shift_id)
    require_owner(user, shift)
    if shift.status == ShiftStatus.cancelled:
        return shift
    now = utcnow()
    if shift.ends_at <= now:
        raise ShiftClosed(_("This shift has already taken place and cannot be cancelled."))
    before = audit.snapshot(shift)
    signups = await active_signups(session, shift.id)
    for signup, volunteer in signups:
        signup.status = SignupStatus.cancelled
        cache.belongs_to(session, signup, shift.incident_id)
        signup.cancelled_at = now
        await mail.notify(session, kind="cancelled", user=volunteer, shift=shift)
    shift.status = ShiftStatus.cancelled
    shift.filled = 0
    shift.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="shift.cancel",
        obj=shift,
        before=before,
        after=audit.snapshot(shift),
    )
    return shift


def _has_skill(session: AsyncSession, skill: str):
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return cast(Shift.skills, JSONB).contains([skill])
    each = func.json_each(Shift.skills).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value == skill))


def _filters(
    session: AsyncSession,
    *,
    incident_id: int | None,
    area_id: int | None,
    skill: str | None,
    since: datetime | None,
    until: datetime | None,
    organization_id: int | None = None,
) -> list:
    conditions = [Shift.status == ShiftStatus.open, Shift.ends_at > (since or utcnow())]
    if incident_id is not None:
        conditions.append(Shift.incident_id == incident_id)
    else:
        # The platform-wide list leaves drills out (a drill's own list shows its shifts).
        conditions.append(not_drill(Shift.incident_id))
    if area_id is not None:
        conditions.append(Shift.area_id == area_id)
    if skill:
        conditions.append(_has_skill(session, skill))
    if until is not None:
        conditions.append(Shift.starts_at < until)
    if organization_id is not None:
        conditions.append(Shift.organization_id == organization_id)
    return conditions


async def list_shifts(
    session: AsyncSession,
    *,
    incident_id: int | None = None,
    area_id: int | None = None,
    skill: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    organization_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Shift], int]:
    """Open shifts that have not ended (or end after `since`), soonest first."""
    conditions = _filters(
        session,
        incident_id=incident_id,
        area_id=area_id,
        skill=skill,
        since=since,
        until=until,
        organization_id=organization_id,
    )
    rows = await session.scalars(
        select(Shift)
        .where(*conditions)
        .order_by(Shift.starts_at, Shift.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(Shift).where(*conditions))
    return list(rows), total or 0


async def first_end(
    session: AsyncSession,
    *,
    incident_id: int | None = None,
    area_id: int | None = None,
    skill: str | None = None,
    until: datetime | None = None,
) -> datetime | None:
    """When the first of the open shifts listed from now on ends, and so leaves the list."""
    conditions = _filters(
        session, incident_id=incident_id, area_id=area_id, skill=skill, since=None, until=until
    )
    return await session.scalar(select(func.min(Shift.ends_at)).where(*conditions))


async def waitlist_counts(session: AsyncSession, shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = await session.execute(
        select(Signup.shift_id, func.count())
        .where(Signup.shift_id.in_(shift_ids), Signup.status == SignupStatus.waitlisted)
        .group_by(Signup.shift_id)
    )
    return {shift_id: count for shift_id, count in rows.all()}


async def organization_shifts(
    session: AsyncSession, organization_id: int, *, limit: int = 100
) -> list[Shift]:
    rows = await session.scalars(
        select(Shift)
        .where(Shift.organization_id == organization_id)
        .order_by(Shift.starts_at.desc())
        .limit(limit)
    )
    return list(rows)


async def area_choices(session: AsyncSession, *also: int | None) -> list[tuple[int, str]]:
    """(id, name) of the areas that have open shifts (plus any given), for pickers."""
    ids = set(
        (
            await session.scalars(
                select(Shift.area_id)
                .where(
                    Shift.area_id.is_not(None),
                    *_filters(
                        session, incident_id=None, area_id=None, skill=None, since=None, until=None
                    ),
                )
                .distinct()
                .limit(200)
            )
        ).all()
    )
    ids.update(a for a in also if a is not None)
    choices = []
    for area_id in ids:
        area = await recovery.get_area(session, area_id)
        choices.append((area.id, area.name))
    return sorted(choices, key=lambda c: c[1])
