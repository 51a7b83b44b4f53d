"""A volunteer's own data: download all of it, or delete the account keeping anonymous hours."""

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import end_sessions
from core.clock import utcnow
from core.domain import Extensions
from core.models import (
    AuditEntry,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from volunteers.models import ACTIVE, Certificate, Shift, Signup, SignupStatus
from volunteers.service.certificate import forget_certificates
from volunteers.service.profiles import ensure_profile, hours, lock_volunteer, total_minutes
from volunteers.service.signups import cancel_signup, my_signups

DELETED_NAME = "Deleted volunteer"
# A hash no password can match: argon2 rejects it as malformed, so sign-in always fails.
UNUSABLE_PASSWORD = "!deleted"


def _iso(value):
    return value.isoformat() if value is not None else None


async def export_data(session: AsyncSession, user: User) -> dict:
    """Everything the platform holds about this volunteer, as JSON-ready data."""
    profile = await ensure_profile(session, user)
    signups = await my_signups(session, user.id, include_cancelled=True)
    org_ids = {shift.organization_id for _s, shift in signups}
    orgs = {
        org.id: org.name
        for org in (
            await session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
        ).all()
    }
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
    )
    return {
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "locale": user.locale,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "profile": {
            "phone": profile.phone,
            "contact_consent": profile.contact_consent,
            "consented_at": _iso(profile.consented_at),
            "skills": profile.skills,
            "languages": profile.languages,
            "area_id": profile.area_id,
            "lat": profile.lat,
            "lon": profile.lon,
            "availability": profile.availability,
            "calendar_subscription": profile.calendar_token is not None,
        },
        "signups": [
            {
                "shift_id": shift.id,
                "shift_title": shift.title,
                "organization": orgs.get(shift.organization_id),
                "starts_at": _iso(shift.starts_at),
                "ends_at": _iso(shift.ends_at),
                "location": shift.location,
                "status": signup.status,
                "signed_up_at": _iso(signup.created_at),
                "cancelled_at": _iso(signup.cancelled_at),
                "attendance": signup.attendance,
                "checked_in_at": _iso(signup.checked_in_at),
                "checked_out_at": _iso(signup.checked_out_at),
                "hours": hours(signup.minutes),
            }
            for signup, shift in signups
        ],
        "total_hours": hours(await total_minutes(session, user.id)),
        "certificates": [
            {
                "code": c.code,
                "issued_at": _iso(c.issued_at),
                "hours": hours(c.total_minutes),
                "records": c.records,
            }
            for c in (
                await session.scalars(
                    select(Certificate)
                    .where(Certificate.volunteer_id == user.id)
                    .order_by(Certificate.id)
                )
            ).all()
        ],
        "messages": [
            {
                "kind": m.kind,
                "subject": m.subject,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in messages.all()
        ],
    }


async def erase_volunteer_data(session: AsyncSession, user: User) -> None:
    """The account-deletion hook: future places cancelled (the waitlist moves up), the profile
    emptied; attended hours stay on the sign-ups as anonymous counts."""
    if user.role != Role.volunteer:
        return
    # Same lock order as a sign-up (volunteer, then shift), so the two cannot deadlock.
    await lock_volunteer(session, user)
    now = utcnow()
    future = await session.scalars(
        select(Shift.id)
        .join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.volunteer_id == user.id, Signup.status.in_(ACTIVE), Shift.starts_at > now)
    )
    for shift_id in future.all():
        await cancel_signup(session, user=user, shift_id=shift_id)
    # Waitlist places on shifts already under way are dropped too; confirmed past ones stay.
    await session.execute(
        update(Signup)
        .where(Signup.volunteer_id == user.id, Signup.status == SignupStatus.waitlisted)
        .values(status=SignupStatus.cancelled, cancelled_at=now, waitlist_position=None)
        .execution_options(synchronize_session=False)
    )
    profile = await ensure_profile(session, user)
    profile.phone = None
    profile.contact_consent = False
    profile.consented_at = None
    profile.skills = []
    profile.languages = []
    profile.area_id = None
    profile.lat = profile.lon = None
    profile.availability = {}
    profile.calendar_token = None
    profile.deleted_at = now
    await forget_certificates(session, user)
    await session.flush()


async def delete_account(session: AsyncSession, user: User) -> None:
    """Erase the person, keep the work: every domain's deletion hook (this one's included)
    removes its personal data, then the account itself is anonymized and closed."""
    for hook in Extensions.of(session).account_deletion:
        await hook(session, user)
    now = utcnow()
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@deleted.invalid"
    user.password_hash = UNUSABLE_PASSWORD
    user.is_active = False
    user.locale = None
    await end_sessions(session, user.id)
    # Mail addressed to them must not go out afterwards nor keep their address or name.
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.failed, last_error="recipient deleted their account")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .values(to_email=user.email, body="")
        .execution_options(synchronize_session=False)
    )
    # The audit trail keeps who did what and when, but no longer the person's name or email.
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.object_type == "users", AuditEntry.object_id == user.id)
        .values(before=None, after={"redacted": "account deleted"})
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="volunteer.delete",
        object_type="users",
        object_id=user.id,
        after={"deleted_at": now.isoformat()},
    )
