"""Volunteer profiles: created at registration, edited by the volunteer, locked per sign-up."""

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts.schemas import RegisterRequest
from core.clock import utcnow
from core.models import Role, User
from recovery import service as recovery
from volunteers.models import Attendance, Signup, VolunteerProfile
from volunteers.schemas import ProfilePublic, ProfileUpdate

# Contact details and the calendar secret stay out of the audit log's snapshots.
PRIVATE = {"phone", "calendar_token", "lat", "lon"}


def profile_snapshot(profile: VolunteerProfile) -> dict | None:
    return audit.snapshot(profile, exclude=PRIVATE)


async def on_register(session: AsyncSession, user: User, data: RegisterRequest) -> None:
    """The registration hook: a volunteer's profile with their phone and consent timestamp."""
    if user.role != Role.volunteer:
        return
    profile = VolunteerProfile(
        user_id=user.id,
        phone=data.phone or None,
        contact_consent=data.contact_consent,
        consented_at=utcnow() if data.contact_consent else None,
    )
    session.add(profile)
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="volunteer.profile.create",
        obj=profile,
        after=profile_snapshot(profile),
    )


async def ensure_profile(session: AsyncSession, user: User) -> VolunteerProfile:
    """The volunteer's profile, created empty for accounts made before profiles existed."""
    profile = await session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.user_id == user.id)
    )
    if profile is not None:
        return profile
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    await session.execute(
        insert(VolunteerProfile)
        .values(
            user_id=user.id,
            contact_consent=False,
            skills=[],
            languages=[],
            availability={},
            lock_version=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    return await session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))


# Built once: building the statement costs more CPU than running it, on every sign-up.
_LOCK = (
    update(VolunteerProfile)
    .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
    .values(lock_version=VolunteerProfile.lock_version + 1)
    .returning(VolunteerProfile.id)
    .execution_options(synchronize_session=False)
)


async def lock_volunteer(session: AsyncSession, user: User) -> None:
    """Serialize this volunteer's sign-ups: the row lock is held until the transaction ends.

    On PostgreSQL the UPDATE takes the profile's row lock, so two concurrent sign-ups of one
    volunteer check for overlaps one after the other; SQLite's BEGIN IMMEDIATE already
    serializes every writer.
    """
    params = {"volunteer_id": user.id}
    if (await session.execute(_LOCK, params)).first() is None:
        await ensure_profile(session, user)
        await session.execute(_LOCK, params)


async def update_profile(
    session: AsyncSession, user: User, data: ProfileUpdate
) -> VolunteerProfile:
    profile = await ensure_profile(session, user)
    if data.area_id is not None:
        await recovery.get_area(session, data.area_id)
    before = profile_snapshot(profile)
    fields = data.model_dump(exclude_unset=True)
    consent = fields.pop("contact_consent", None)
    for key, value in fields.items():
        if key == "availability" and value is None:
            value = {}
        setattr(profile, key, value)
    if consent is not None and consent != profile.contact_consent:
        profile.contact_consent = consent
        profile.consented_at = utcnow() if consent else None
    profile.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="volunteer.profile.update",
        obj=profile,
        before=before,
        after=profile_snapshot(profile),
    )
    return profile


async def total_minutes(session: AsyncSession, user_id: int) -> int:
    return (
        await session.scalar(
            select(func.coalesce(func.sum(Signup.minutes), 0)).where(
                Signup.volunteer_id == user_id, Signup.attendance == Attendance.attended
            )
        )
    ) or 0


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


async def profile_view(session: AsyncSession, user: User) -> ProfilePublic:
    """The volunteer's own view of their profile and total hours."""
    profile = await ensure_profile(session, user)
    return ProfilePublic(
        user_id=user.id,
        name=user.name,
        email=user.email,
        phone=profile.phone,
        contact_consent=profile.contact_consent,
        consented_at=profile.consented_at,
        skills=profile.skills,
        languages=profile.languages,
        area_id=profile.area_id,
        lat=profile.lat,
        lon=profile.lon,
        availability=profile.availability,
        hours=hours(await total_minutes(session, user.id)),
    )
