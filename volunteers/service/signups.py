"""Sign-ups: capacity by atomic conditional update, waitlist in arrival order, promotion."""

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, cache
from core.clock import utcnow
from core.events import publish
from core.i18n import _
from core.models import User
from volunteers.errors import (
    AlreadySignedUp,
    OverlappingShift,
    ShiftClosed,
    ShiftNotFound,
    SignupNotFound,
)
from volunteers.models import ACTIVE, Shift, ShiftStatus, Signup, SignupStatus, VolunteerProfile
from volunteers.schemas import MySignup
from volunteers.service import mail
from volunteers.service.arrivals import (
    arrive_on_postgres,
    arrive_on_sqlite,
    queue_position,
    take_place,
)
from volunteers.service.browse import public_shifts
from volunteers.service.profiles import hours, lock_volunteer

# Built once: a fresh alias per sign-up made SQLAlchemy redo its column collections and
# cache key each time (a tenth of a sign-up's CPU time), and building the statement itself
# cost about as much again.
_OTHER_SHIFT = Shift.__table__.alias("other")


def _mine(shift_id, starts_at, ends_at):
    """The volunteer's rows that the checks before a sign-up read: their row for this shift
    (any status, to reuse), and any active place on another open shift at the same time."""
    return and_(
        Signup.volunteer_id == bindparam("volunteer_id"),
        or_(
            Signup.shift_id == shift_id,
            and_(
                Signup.status.in_(ACTIVE),
                _OTHER_SHIFT.c.status == ShiftStatus.open,
                _OTHER_SHIFT.c.starts_at < ends_at,
                _OTHER_SHIFT.c.ends_at > starts_at,
            ),
        ),
    )


_WHEN = _OTHER_SHIFT.c.starts_at.type
_MINE = (
    select(Signup, _OTHER_SHIFT.c.title)
    .join(_OTHER_SHIFT, _OTHER_SHIFT.c.id == Signup.shift_id)
    .where(
        _mine(
            bindparam("shift_id"),
            bindparam("starts_at", type_=_WHEN),
            bindparam("ends_at", type_=_WHEN),
        )
    )
    .order_by(_OTHER_SHIFT.c.starts_at, Signup.id)
    .execution_options(populate_existing=True)
)
# PostgreSQL: the shift and the volunteer's rows that `_MINE` reads, in the statement that
# takes the volunteer's lock (see `lock_volunteer`): one round trip instead of two. Its rows
# are read under the statement's snapshot, taken before the lock was granted; they are what
# the lock guards only if no sign-up of this volunteer committed in between, which every one
# would show by bumping `lock_version`: the lock's new version must be the snapshot's plus
# one, else `_MINE` reads again (and the volunteer with no profile row yet is locked the long
# way first).
_LOCKED_VOLUNTEER = (
    update(VolunteerProfile)
    .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
    .values(lock_version=VolunteerProfile.lock_version + 1)
    .returning(VolunteerProfile.lock_version)
    .cte("locked_volunteer")
)
_SHIFT_AND_MINE = (
    select(
        Shift,
        select(_LOCKED_VOLUNTEER.c.lock_version).scalar_subquery(),
        select(VolunteerProfile.lock_version)
        .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
        .scalar_subquery(),
        Signup,
        _OTHER_SHIFT.c.title,
    )
    .select_from(
        Shift.__table__.outerjoin(
            Signup.__table__.join(_OTHER_SHIFT, _OTHER_SHIFT.c.id == Signup.shift_id),
            _mine(Shift.id, Shift.starts_at, Shift.ends_at),
        )
    )
    .where(Shift.id == bindparam("shift_id"))
    .order_by(_OTHER_SHIFT.c.starts_at, Signup.id)
    .execution_options(populate_existing=True)
)


async def lock_shift(session: AsyncSession, shift_id: int) -> Shift:
    """The shift, row-locked on PostgreSQL; every change to its sign-ups happens under it."""
    shift = await session.scalar(
        select(Shift)
        .where(Shift.id == shift_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if shift is None:
        raise ShiftNotFound(_("No such shift."))
    return shift


async def find_signup(session: AsyncSession, shift_id: int, user_id: int) -> Signup | None:
    return await session.scalar(
        select(Signup)
        .where(Signup.shift_id == shift_id, Signup.volunteer_id == user_id)
        .execution_options(populate_existing=True)
    )


async def sign_up(session: AsyncSession, *, user: User, shift_id: int) -> tuple[Signup, int | None]:
    """Confirm a place if one is free, else join the waitlist; returns (sign-up, position).

    One transaction: the volunteer's lock, the overlap check (on PostgreSQL in the lock's
    statement, `_SHIFT_AND_MINE`), then a conditional UPDATE
    that only adds a place while `filled < capacity`; a CHECK constraint backs it up. That
    UPDATE locks the shift's row until the commit, so everything that can be read or checked
    comes before it; on PostgreSQL the same statement writes the sign-up and audit rows, the
    waitlist place and the mail job (`_ARRIVE`), and after it comes only the version bump (the
    live NOTIFY follows the commit).
    """
    locked, mine = None, None
    if session.get_bind().dialect.name == "postgresql":
        rows = (
            await session.execute(_SHIFT_AND_MINE, {"shift_id": shift_id, "volunteer_id": user.id})
        ).all()
        shift = rows[0][0] if rows else None
        if rows:
            locked, seen = rows[0][1], rows[0][2]
            if locked is not None and seen is not None and locked == seen + 1:
                mine = [(row, title) for *_shift, row, title in rows if row is not None]
    else:
        shift = await session.get(Shift, shift_id)
    if shift is None:
        raise ShiftNotFound(_("No such shift."))
    now = utcnow()
    if shift.status != ShiftStatus.open or shift.starts_at <= now:
        raise ShiftClosed(_("This shift is no longer open for sign-up."))
    if locked is None:
        await lock_volunteer(session, user)
    if mine is None:
        mine = (
            await session.execute(
                _MINE,
                {
                    "volunteer_id": user.id,
                    "shift_id": shift.id,
                    "starts_at": shift.starts_at,
                    "ends_at": shift.ends_at,
                },
            )
        ).all()
    existing, overlap = None, None
    for row, title in mine:
        if row.shift_id == shift.id:
            existing = row
        elif overlap is None:
            overlap = title
    if existing is not None and existing.status in ACTIVE:
        raise AlreadySignedUp(_("You are already signed up for this shift."))
    if overlap is not None:
        raise OverlappingShift(
            _("You are already signed up for a shift at that time: %(title)s") % {"title": overlap}
        )
    # Each also queues the mail (composed by the worker).
    if session.get_bind().dialect.name == "postgresql":
        signup, position = await arrive_on_postgres(session, shift, user, existing)
    else:
        signup, position = await arrive_on_sqlite(session, shift, user, existing)
    publish(session, shift.incident_id, "signup")
    return signup, position


async def cancel_signup(
    session: AsyncSession, *, user: User, shift_id: int, actor: User | None = None
) -> Signup:
    """Cancel the volunteer's place; a confirmed place goes to the first on the waitlist."""
    shift = await lock_shift(session, shift_id)
    signup = await find_signup(session, shift.id, user.id)
    if signup is None or signup.status not in ACTIVE:
        raise SignupNotFound(_("You are not signed up for this shift."))
    if shift.status == ShiftStatus.open and shift.starts_at <= utcnow():
        raise ShiftClosed(_("This shift has already started; ask the organizers instead."))
    before = audit.snapshot(signup)
    was_confirmed = signup.status == SignupStatus.confirmed
    signup.status = SignupStatus.cancelled
    cache.belongs_to(session, signup, shift.incident_id)
    signup.cancelled_at = utcnow()
    signup.waitlist_position = None
    await session.flush()
    if was_confirmed:
        await session.execute(
            update(Shift)
            .where(Shift.id == shift.id, Shift.filled > 0)
            .values(filled=Shift.filled - 1)
            .execution_options(synchronize_session=False, public_incident=shift.incident_id)
        )
    await audit.record(
        session,
        actor=actor or user,
        action="signup.cancel",
        obj=signup,
        before=before,
        after=audit.snapshot(signup),
    )
    if was_confirmed:
        await fill_from_waitlist(session, shift, actor=actor or user)
    await session.refresh(shift)
    publish(session, shift.incident_id, "signup")
    return signup


async def fill_from_waitlist(session: AsyncSession, shift: Shift, *, actor: User) -> list[Signup]:
    """Promote the earliest waitlisted while places are free, telling each of them."""
    promoted: list[Signup] = []
    waiting = exists().where(Signup.shift_id == shift.id, Signup.status == SignupStatus.waitlisted)
    while True:
        if not await take_place(session, shift, waiting):
            break
        first = await session.scalar(
            select(Signup)
            .where(Signup.shift_id == shift.id, Signup.status == SignupStatus.waitlisted)
            .order_by(Signup.waitlist_position, Signup.id)
            .limit(1)
            .execution_options(populate_existing=True)
        )
        before = audit.snapshot(first)
        first.status = SignupStatus.confirmed
        cache.belongs_to(session, first, shift.incident_id)
        first.confirmed_at = utcnow()
        first.waitlist_position = None
        await session.flush()
        volunteer = await session.get(User, first.volunteer_id)
        await session.refresh(shift)
        await mail.notify(session, kind="promoted", user=volunteer, shift=shift)
        await audit.record(
            session,
            actor=actor,
            action="signup.promote",
            obj=first,
            before=before,
            after=audit.snapshot(first),
        )
        promoted.append(first)
    return promoted


async def my_signups(
    session: AsyncSession, user_id: int, *, include_cancelled: bool = False
) -> list[tuple[Signup, Shift]]:
    query = (
        select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.volunteer_id == user_id)
        .order_by(Shift.starts_at.desc(), Shift.id)
    )
    if not include_cancelled:
        query = query.where(Signup.status != SignupStatus.cancelled)
    rows = await session.execute(query)
    return [(s, sh) for s, sh in rows.all()]


async def statuses_for(
    session: AsyncSession, user_id: int, shift_ids: list[int]
) -> dict[int, tuple[str, int | None]]:
    """The volunteer's status on each of these shifts, with their waitlist place."""
    if not shift_ids:
        return {}
    rows = await session.scalars(
        select(Signup).where(
            Signup.volunteer_id == user_id,
            Signup.shift_id.in_(shift_ids),
            Signup.status.in_(ACTIVE),
        )
    )
    return {s.shift_id: (s.status, await queue_position(session, s)) for s in rows.all()}


async def signup_list(session: AsyncSession, user: User) -> list[MySignup]:
    """The volunteer's current and past sign-ups, with their place in line and hours."""
    rows = await my_signups(session, user.id)
    shifts = await public_shifts(session, [shift for _signup, shift in rows])
    return [
        MySignup(
            id=signup.id,
            status=signup.status,
            waitlist_position=await queue_position(session, signup),
            attendance=signup.attendance,
            hours=hours(signup.minutes),
            shift=shift,
        )
        for (signup, _row), shift in zip(rows, shifts, strict=True)
    ]
