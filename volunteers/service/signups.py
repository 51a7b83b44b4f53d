"""Sign-ups: capacity by atomic conditional update, waitlist in arrival order, promotion."""

import json
from datetime import UTC

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, cache
from core.clock import offset_from_real, utcnow
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
from volunteers.service.browse import public_shifts
from volunteers.service.profiles import hours, lock_volunteer

# Built once: a fresh alias per sign-up made SQLAlchemy redo its column collections and
# cache key each time (a tenth of a sign-up's CPU time), and building the statement itself
# cost about as much again.
_OTHER_SHIFT = Shift.__table__.alias("other")
# One statement for both checks before a sign-up: the volunteer's row for this shift (any
# status, to reuse), and any active place on another open shift at the same time.
# PostgreSQL: the shift, read while the same statement takes the volunteer's lock (see
# `lock_volunteer`), one round trip instead of two; it counts 0 when the volunteer has no
# profile row yet. The overlap check that the lock guards is a later statement, so it sees
# every sign-up of this volunteer committed before the lock was granted.
_LOCKED_VOLUNTEER = (
    update(VolunteerProfile)
    .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
    .values(lock_version=VolunteerProfile.lock_version + 1)
    .returning(VolunteerProfile.id)
    .cte("locked_volunteer")
)
_SHIFT_LOCKING_VOLUNTEER = (
    select(Shift, select(func.count()).select_from(_LOCKED_VOLUNTEER).scalar_subquery())
    .where(Shift.id == bindparam("shift_id"))
    .execution_options(populate_existing=True)
)
_WHEN = _OTHER_SHIFT.c.starts_at.type
_MINE = (
    select(Signup, _OTHER_SHIFT.c.title)
    .join(_OTHER_SHIFT, _OTHER_SHIFT.c.id == Signup.shift_id)
    .where(
        Signup.volunteer_id == bindparam("volunteer_id"),
        or_(
            Signup.shift_id == bindparam("shift_id"),
            and_(
                Signup.status.in_(ACTIVE),
                _OTHER_SHIFT.c.status == ShiftStatus.open,
                _OTHER_SHIFT.c.starts_at < bindparam("ends_at", type_=_WHEN),
                _OTHER_SHIFT.c.ends_at > bindparam("starts_at", type_=_WHEN),
            ),
        ),
    )
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


async def queue_position(session: AsyncSession, signup: Signup) -> int | None:
    """The place in the waitlist right now (1 = next to be promoted)."""
    if signup.status != SignupStatus.waitlisted or signup.waitlist_position is None:
        return None
    return await session.scalar(
        select(func.count()).where(
            Signup.shift_id == signup.shift_id,
            Signup.status == SignupStatus.waitlisted,
            Signup.waitlist_position <= signup.waitlist_position,
        )
    )


async def find_signup(session: AsyncSession, shift_id: int, user_id: int) -> Signup | None:
    return await session.scalar(
        select(Signup)
        .where(Signup.shift_id == shift_id, Signup.volunteer_id == user_id)
        .execution_options(populate_existing=True)
    )


async def _take_place(session: AsyncSession, shift: Shift, *conditions) -> bool:
    """Take one free place on an open shift, if there is one: a conditional UPDATE, so two
    takers can never both get the last place."""
    taken = await session.execute(
        update(Shift)
        .where(
            Shift.id == shift.id,
            Shift.status == ShiftStatus.open,
            Shift.filled < Shift.capacity,
            *conditions,
        )
        .values(filled=Shift.filled + 1)
        .returning(Shift.filled)
        # Names the incident whose public figures change (core.cache), not every incident's.
        .execution_options(synchronize_session=False, public_incident=shift.incident_id)
    )
    return taken.first() is not None


# On PostgreSQL an arrival is one statement: a place if one is free, else the next waitlist
# number, the sign-up row (a cancelled one reused) and its audit row. A conditional UPDATE
# that finds the shift full locks nothing, so a second one for the number would queue for the
# lock again; and each round trip between taking the shift's row lock and COMMIT is time every
# other volunteer of that shift waits. The locking sub-select hands the row as it was before
# this update (`before.filled`), which tells a place from a number. The audit row's `after`
# is the Python snapshot with what only the statement knows filled in.
_ARRIVE = text(
    """
WITH place AS (
  UPDATE shifts SET
    filled = shifts.filled + CASE WHEN shifts.filled < shifts.capacity THEN 1 ELSE 0 END,
    waitlist_seq = shifts.waitlist_seq
      + CASE WHEN shifts.filled < shifts.capacity THEN 0 ELSE 1 END
  FROM (SELECT locked.filled FROM shifts AS locked
        WHERE locked.id = CAST(:shift_id AS integer) AND locked.status = 'open'
        FOR UPDATE) AS before
  WHERE shifts.id = CAST(:shift_id AS integer)
  RETURNING before.filled < shifts.capacity AS confirmed, shifts.waitlist_seq AS seq
), arrival AS (
  SELECT CASE WHEN confirmed THEN 'confirmed' ELSE 'waitlisted' END AS status,
         CASE WHEN confirmed THEN NULL ELSE seq END AS position,
         coalesce(clock_timestamp() + CAST(:offset AS interval), CAST(:now AS timestamptz))
           AS at
  FROM place
), signup AS (
  INSERT INTO shift_signups (shift_id, volunteer_id, status, waitlist_position, created_at,
    confirmed_at, cancelled_at, reminder_queued_at, attendance, checked_in_at,
    checked_out_at, minutes)
  SELECT CAST(:shift_id AS integer), CAST(:volunteer_id AS integer), status, position, at,
    CASE WHEN status = 'confirmed' THEN at END, NULL, NULL, NULL, NULL, NULL, 0
  FROM arrival
  ON CONFLICT (shift_id, volunteer_id) DO UPDATE SET
    status = EXCLUDED.status, waitlist_position = EXCLUDED.waitlist_position,
    created_at = EXCLUDED.created_at, confirmed_at = EXCLUDED.confirmed_at,
    cancelled_at = NULL, reminder_queued_at = NULL, attendance = NULL,
    checked_in_at = NULL, checked_out_at = NULL, minutes = 0
  RETURNING id, status, waitlist_position, created_at, confirmed_at,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS at_iso
), entry AS (
  INSERT INTO audit_log (at, actor_id, action, object_type, object_id, before, after)
  SELECT CAST(:now AS timestamptz), CAST(:actor_id AS integer), 'signup.' || signup.status,
    'shift_signups', signup.id, CAST(CAST(:before AS text) AS json),
    CAST(CAST(CAST(:after AS text) AS jsonb) || jsonb_build_object(
      'id', signup.id, 'status', signup.status, 'waitlist_position', signup.waitlist_position,
      'created_at', signup.at_iso,
      'confirmed_at', CASE WHEN signup.confirmed_at IS NOT NULL THEN signup.at_iso END
    ) AS json)
  FROM signup
)
SELECT id, status, waitlist_position, created_at, confirmed_at FROM signup
"""
)
_WAITLIST_PLACE = text(
    "SELECT count(*) FROM shift_signups WHERE shift_id = :shift_id AND status = 'waitlisted' "
    "AND waitlist_position <= :position"
)


async def _arrive_on_postgres(
    session: AsyncSession, shift: Shift, user: User, existing: Signup | None
) -> tuple[Signup, int | None]:
    """The arrival in one statement (see `_ARRIVE`), then the waitlist place if waitlisted."""
    before = audit.snapshot(existing) if existing else None
    signup = _arrive(
        existing or Signup(shift_id=shift.id, volunteer_id=user.id),
        SignupStatus.confirmed,
        None,
    )
    row = (
        await session.execute(
            _ARRIVE,
            {
                "shift_id": shift.id,
                "volunteer_id": user.id,
                "actor_id": user.id,
                "now": signup.created_at,
                # The arrival is stamped when the statement has the shift's lock: the order
                # of the stamps is the order places and numbers were handed out.
                "offset": offset_from_real(),
                "before": json.dumps(before) if before is not None else None,
                "after": json.dumps(audit.snapshot(signup)),
            },
        )
    ).first()
    if row is None:
        if existing is not None:
            await session.refresh(existing)
        raise ShiftClosed(_("This shift is no longer open for sign-up."))
    # The rows changed outside the unit of work: say so, then show the row as stored.
    cache.touch(session, shift.incident_id)
    confirmed = row.status == SignupStatus.confirmed
    values = {
        "id": row.id,
        "status": row.status,
        "waitlist_position": row.waitlist_position,
        "created_at": row.created_at.astimezone(UTC),
        "confirmed_at": row.confirmed_at.astimezone(UTC) if row.confirmed_at else None,
    }
    if existing is None:
        for key, value in values.items():
            setattr(signup, key, value)
        make_transient_to_detached(signup)
        session.add(signup)
    else:
        for key, value in values.items():
            set_committed_value(signup, key, value)
        for key in _COLUMNS:
            set_committed_value(signup, key, getattr(signup, key))
    if confirmed:
        return signup, None
    position = await session.scalar(
        _WAITLIST_PLACE, {"shift_id": shift.id, "position": row.waitlist_position}
    )
    return signup, position


async def _place_or_number(session: AsyncSession, shift: Shift) -> tuple[str, int | None]:
    """SQLite: a place if one is free, else the next waitlist number; ShiftClosed if the shift
    closed meanwhile. BEGIN IMMEDIATE already serializes writers, and SQLite has no
    data-modifying CTE, so two plain conditional UPDATEs do."""
    if await _take_place(session, shift):
        return SignupStatus.confirmed, None
    waiting = await session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.status == ShiftStatus.open)
        .values(waitlist_seq=Shift.waitlist_seq + 1)
        .returning(Shift.waitlist_seq)
        .execution_options(synchronize_session=False, public_incident=shift.incident_id)
    )
    row = waiting.first()
    if row is None:
        raise ShiftClosed(_("This shift is no longer open for sign-up."))
    return SignupStatus.waitlisted, row[0]


def _arrive(signup: Signup, status: str, seq: int | None) -> Signup:
    """Set a sign-up's fields for an arrival now (a new row, or a cancelled one reused)."""
    signup.status = status
    signup.waitlist_position = seq
    # The moment the place (or the waitlist number) was taken: that is the arrival order.
    signup.created_at = utcnow()
    signup.confirmed_at = signup.created_at if status == SignupStatus.confirmed else None
    signup.cancelled_at = None
    signup.reminder_queued_at = None
    signup.attendance = signup.checked_in_at = signup.checked_out_at = None
    signup.minutes = 0
    return signup


# Built once (statements cost more CPU to build than to run). The new row's place in the
# waitlist comes back with its id: the rows ahead of it, counted under the shift's row lock,
# so every earlier change to the waitlist has committed (it excludes itself, seen or not).
_WAITING = Signup.__table__.alias("waiting")
_INSERT_SIGNUP = insert(Signup.__table__).returning(
    Signup.__table__.c.id,
    select(func.count())
    .where(
        _WAITING.c.shift_id == bindparam("place_shift"),
        _WAITING.c.status == SignupStatus.waitlisted,
        _WAITING.c.waitlist_position < bindparam("place_seq"),
    )
    .scalar_subquery(),
)


_COLUMNS = [column.key for column in Signup.__table__.c if column.key != "id"]


async def _insert_signup(
    session: AsyncSession, shift: Shift, user: User, status: str, seq: int | None
) -> tuple[Signup, int | None]:
    """Insert the new sign-up and learn its waitlist place in one round trip (the shift's row
    is locked meanwhile); the row joins the session as loaded, with nothing left to flush."""
    signup = _arrive(Signup(shift_id=shift.id, volunteer_id=user.id), status, seq)
    values = {key: getattr(signup, key) for key in _COLUMNS}
    row = (
        await session.execute(
            _INSERT_SIGNUP,
            {**values, "place_shift": shift.id, "place_seq": seq},
            # Its incident's pages change, not every incident's (no incident column).
            execution_options={"public_incident": shift.incident_id},
        )
    ).one()
    signup.id = row[0]
    make_transient_to_detached(signup)
    session.add(signup)
    return signup, (row[1] + 1 if status == SignupStatus.waitlisted else None)


async def _arrive_on_sqlite(
    session: AsyncSession, shift: Shift, user: User, existing: Signup | None
) -> tuple[Signup, int | None]:
    status, seq = await _place_or_number(session, shift)
    if existing is None:
        signup, position = await _insert_signup(session, shift, user, status, seq)
        before = None
    else:
        before = audit.snapshot(existing)
        signup = _arrive(existing, status, seq)
        session.add(signup)
        cache.belongs_to(session, signup, shift.incident_id)
        await session.flush()
        position = await queue_position(session, signup)
    await audit.record(
        session,
        actor=user,
        action=f"signup.{status}",
        obj=signup,
        before=before,
        after=audit.snapshot(signup),
    )
    return signup, position


async def sign_up(session: AsyncSession, *, user: User, shift_id: int) -> tuple[Signup, int | None]:
    """Confirm a place if one is free, else join the waitlist; returns (sign-up, position).

    One transaction: the volunteer's lock, the overlap check, then a conditional UPDATE
    that only adds a place while `filled < capacity`; a CHECK constraint backs it up. That
    UPDATE locks the shift's row until the commit, so everything that can be read or checked
    comes before it; on PostgreSQL the same statement writes the sign-up and audit rows
    (`_ARRIVE`), and after it come only the waitlist place, the mail job (composed by the
    worker) and the version bump with the live NOTIFY.
    """
    if session.get_bind().dialect.name == "postgresql":
        row = (
            await session.execute(
                _SHIFT_LOCKING_VOLUNTEER, {"shift_id": shift_id, "volunteer_id": user.id}
            )
        ).first()
        shift, locked = row if row is not None else (None, 0)
    else:
        shift, locked = await session.get(Shift, shift_id), 0
    if shift is None:
        raise ShiftNotFound(_("No such shift."))
    now = utcnow()
    if shift.status != ShiftStatus.open or shift.starts_at <= now:
        raise ShiftClosed(_("This shift is no longer open for sign-up."))
    if not locked:
        await lock_volunteer(session, user)
    mine = await session.execute(
        _MINE,
        {
            "volunteer_id": user.id,
            "shift_id": shift.id,
            "starts_at": shift.starts_at,
            "ends_at": shift.ends_at,
        },
    )
    existing, overlap = None, None
    for row, title in mine.all():
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
    if session.get_bind().dialect.name == "postgresql":
        signup, position = await _arrive_on_postgres(session, shift, user, existing)
    else:
        signup, position = await _arrive_on_sqlite(session, shift, user, existing)
    await mail.notify(
        session,
        kind=signup.status,
        user=user,
        shift=shift,
        position=position or 0,
    )
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
        if not await _take_place(session, shift, waiting):
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
