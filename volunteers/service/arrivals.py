"""Arrivals: a place on a shift if one is free, else the next waitlist number, and the
sign-up row written under the shift's row lock, in as few round trips as the engine allows."""

import json

from sqlalchemy import Integer, bindparam, column, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from core import audit, cache, jobs
from core.clock import offset_from_real, utcnow
from core.i18n import _
from core.models import User
from volunteers.errors import ShiftClosed
from volunteers.models import Shift, ShiftStatus, Signup, SignupStatus
from volunteers.service import mail

# Built once: a sign-up asks it under its shift's row lock, where building it costs time.
_QUEUE_PLACE = select(func.count()).where(
    Signup.shift_id == bindparam("shift_id"),
    Signup.status == SignupStatus.waitlisted,
    Signup.waitlist_position <= bindparam("position"),
)


async def queue_position(session: AsyncSession, signup: Signup) -> int | None:
    """The place in the waitlist right now (1 = next to be promoted)."""
    if signup.status != SignupStatus.waitlisted or signup.waitlist_position is None:
        return None
    return await session.scalar(
        _QUEUE_PLACE, {"shift_id": signup.shift_id, "position": signup.waitlist_position}
    )


async def take_place(session: AsyncSession, shift: Shift, *conditions) -> bool:
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
# number, the sign-up row (a cancelled one reused), its audit row, its place in the waitlist,
# the mail job and the incident's version bump (core.cache), so COMMIT comes next. A
# conditional UPDATE that finds the shift full locks nothing, so a second one for the number
# would queue for the lock again; and each round trip between taking the shift's row lock and
# COMMIT is time every other volunteer of that shift waits. The locking
# sub-select hands the row as it was before this update (`before.filled`), which tells a place
# from a number. The statement's snapshot predates the lock, so the waitlist place is counted
# by `commons_waitlist_place` (migration x002), which reads with a snapshot of its own. The
# audit row's `after` is the row as stored, times written as Python's isoformat writes them.
_ARRIVE_SQL = (
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
  RETURNING shift_signups.*,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS at_iso
), placed AS (
  SELECT signup.*, CASE WHEN status = 'waitlisted'
    THEN commons_waitlist_place(shift_id, waitlist_position) END AS place
  FROM signup
), entry AS (
  INSERT INTO audit_log (at, actor_id, action, object_type, object_id, before, after)
  SELECT CAST(:now AS timestamptz), CAST(:actor_id AS integer), 'signup.' || s.status,
    'shift_signups', s.id, CAST(CAST(:before AS text) AS json),
    CAST(to_jsonb(s) - 'at_iso' - 'place' || jsonb_build_object(
      'created_at', s.at_iso,
      'confirmed_at', CASE WHEN s.confirmed_at IS NOT NULL THEN s.at_iso END
    ) AS json)
  FROM placed AS s
), mail AS (
  SELECT CAST(:mail_job AS text) AS entrypoint, jsonb_build_object(
    'kind', status, 'user_id', volunteer_id, 'shift_id', shift_id,
    'position', coalesce(place, 0), 'at', at_iso) AS payload
  FROM placed
), {bump}, """
    + jobs.QUEUE_CTES.format(rows="mail")
    + """
SELECT {columns}, place FROM placed
"""
)
_PLACE = column("place", Integer)
_ARRIVE = (
    select(Signup, _PLACE)
    .from_statement(
        text(
            _ARRIVE_SQL.format(
                columns=", ".join(c.name for c in Signup.__table__.c), bump=cache.BUMP_CTE
            )
        ).columns(*Signup.__table__.c, _PLACE)
    )
    .execution_options(populate_existing=True)
)


async def arrive_on_postgres(
    session: AsyncSession, shift: Shift, user: User, existing: Signup | None
) -> tuple[Signup, int | None]:
    """The arrival, its audit row, its waitlist place and its mail job in one statement (see
    `_ARRIVE`)."""
    row = (
        await session.execute(
            _ARRIVE,
            {
                "shift_id": shift.id,
                "volunteer_id": user.id,
                "actor_id": user.id,
                "now": utcnow(),
                # The arrival is stamped when the statement has the shift's lock: the order
                # of the stamps is the order places and numbers were handed out.
                "offset": offset_from_real(),
                "before": json.dumps(audit.snapshot(existing)) if existing else None,
                "mail_job": mail.JOB,
                **cache.bump_in_statement(session, shift.incident_id),
            },
        )
    ).first()
    if row is None:
        if existing is not None:
            await session.refresh(existing)
        raise ShiftClosed(_("This shift is no longer open for sign-up."))
    jobs.queued_in_statement(session)
    return row[0], row[1]


async def _place_or_number(session: AsyncSession, shift: Shift) -> tuple[str, int | None]:
    """SQLite: a place if one is free, else the next waitlist number; ShiftClosed if the shift
    closed meanwhile. BEGIN IMMEDIATE already serializes writers, and SQLite has no
    data-modifying CTE, so two plain conditional UPDATEs do."""
    if await take_place(session, shift):
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


async def arrive_on_sqlite(
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
    await mail.notify(session, kind=status, user=user, shift=shift, position=position or 0)
    return signup, position
