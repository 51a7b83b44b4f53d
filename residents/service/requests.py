"""Help requests from affected people: taking them in, the follow-up link, the requester's word."""

import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, notifications
from core.clock import utcnow
from core.db import settings_of
from core.errors import InvalidInput
from core.i18n import _, current_locale, lazy_gettext, using_locale
from core.jobs import enqueue
from core.models import User
from recovery.service import get_area, get_incident, get_need
from residents.errors import HelpRequestNotFound, RequestClosed
from residents.models import Channel, HelpRequest, HelpRequestUpdate, RequestStatus, SmsMessage
from residents.schemas import Confirmation, HelpRequestCreate, TrackUpdate, TrackView
from residents.service.duplicates import index_request
from residents.service.photos import Photo, erase_photo

# Update message keys -> the text the requester reads, in their language.
MESSAGES = {
    "received": lazy_gettext("We received your request."),
    "verified": lazy_gettext("Your request was checked and confirmed."),
    "rejected": lazy_gettext("Your request was not accepted: %(reason)s"),
    "duplicate": lazy_gettext("Your request was joined with request %(reference)s."),
    "converted": lazy_gettext("Your request became a need that organizations can take on."),
    "coming": lazy_gettext(
        "%(organization)s will bring the help, expected between %(start)s and %(end)s."
    ),
    "coming_giver": lazy_gettext(
        "A donor will bring the help, expected between %(start)s and %(end)s."
    ),
    "delivered": lazy_gettext(
        "%(organization)s reports that the help was delivered. Was it done? Answer on your "
        "follow-up page, or reply DONE %(reference)s (it was) or NO %(reference)s (it was not)."
    ),
    "delivered_giver": lazy_gettext(
        "The help was reported delivered. Was it done? Answer on your follow-up page, or "
        "reply DONE %(reference)s (it was) or NO %(reference)s (it was not)."
    ),
    # Kept for the steps recorded before "ask_still_needed", which also works by SMS.
    "still_needed": lazy_gettext("Is this still needed? Please tell us by this link."),
    "ask_still_needed": lazy_gettext(
        "Is this still needed? Answer on your follow-up page, or reply NO %(reference)s (still "
        "needed) or DONE %(reference)s (it was done); without an answer it closes in %(days)s "
        "days."
    ),
    "expired": lazy_gettext("Your request was closed because we did not hear back."),
    "closed": lazy_gettext("You confirmed that your request was done. Thank you."),
    "reopened": lazy_gettext("You said the help did not arrive; the request is open again."),
}
# Letters and digits a caller can read out over the phone without confusion.
_REFERENCE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def message_text(update: HelpRequestUpdate) -> str:
    return str(MESSAGES.get(update.message, update.message)) % (update.params or {})


async def add_update(
    session: AsyncSession,
    request: HelpRequest,
    status: str,
    message: str,
    *,
    link: str | None = None,
    **params,
) -> HelpRequestUpdate:
    """Record a step the requester sees, and tell them by SMS or mail, in their language,
    when they left a contact; `link` (the follow-up link, never stored in the update) is
    added to that message."""
    now = utcnow()
    request.status = status
    request.updated_at = now
    update = HelpRequestUpdate(
        request_id=request.id, at=now, status=status, message=message, params=params
    )
    session.add(update)
    await session.flush()
    if not request.consent or request.erased_at is not None:
        return update
    with using_locale(request.locale):
        text = message_text(update)
        if link:
            follow = _("Follow it here: %(link)s") % {"link": link}
            text = f"{text} {follow}"
        subject = _("Your help request %(reference)s") % {"reference": request.reference}
    if request.contact_email:
        await notifications.queue(
            session,
            kind="residents.update",
            to_email=request.contact_email,
            subject=subject,
            body=text,
        )
    if request.contact_phone:
        sms = f"[{request.reference}] {text}"
        session.add(
            SmsMessage(request_id=request.id, to_phone=request.contact_phone, text=sms[:480])
        )
        await session.flush()
        await enqueue(session, "residents.send_sms", {})
    return update


async def submit(
    session: AsyncSession,
    data: HelpRequestCreate,
    *,
    channel: str = Channel.web,
    actor: User | None = None,
    photo: Photo | None = None,
    locale: str | None = None,
    link_for: Callable[[str], str] | None = None,
) -> tuple[HelpRequest, str]:
    """Take a request in; answers the row and the raw follow-up token (shown once).
    `link_for(token)` makes the follow-up link sent to the requester's phone or mail."""
    await get_incident(session, data.incident_id)
    if data.area_id is not None:
        area = await get_area(session, data.area_id)
        if area.incident_id != data.incident_id:
            raise InvalidInput(
                _("No such area in this incident."), fields={"area_id": _("not found")}
            )
    token = secrets.token_urlsafe(24)
    request = HelpRequest(
        **data.model_dump(),
        channel=channel,
        locale=locale or current_locale.get(),
        photo_file=photo.name if photo else None,
        token_hash=token_hash(token),
        reference=new_reference(),
        created_by_id=actor.id if actor else None,
    )
    session.add(request)
    await session.flush()
    await index_request(session, request)
    link = link_for(token) if link_for else None
    await add_update(session, request, RequestStatus.received, "received", link=link)
    if photo is not None:
        photo.save(settings_of(session))
    return request, token


async def by_token(session: AsyncSession, token: str) -> HelpRequest:
    request = (
        await session.execute(
            select(HelpRequest).where(HelpRequest.token_hash == token_hash(token))
        )
    ).scalar_one_or_none()
    if request is None:
        raise HelpRequestNotFound("No help request has this follow-up link.")
    return request


async def updates(session: AsyncSession, request_id: int) -> list[HelpRequestUpdate]:
    rows = await session.execute(
        select(HelpRequestUpdate)
        .where(HelpRequestUpdate.request_id == request_id)
        .order_by(HelpRequestUpdate.at, HelpRequestUpdate.id)
    )
    return list(rows.scalars())


async def track(session: AsyncSession, token: str) -> TrackView:
    request = await by_token(session, token)
    need_status = None
    if request.need_id is not None:
        need_status = (await get_need(session, request.need_id)).status
    return TrackView(
        reference=request.reference,
        status=request.status,
        category=request.category,
        need_status=need_status,
        updates=[
            TrackUpdate(at=u.at, status=u.status, message=message_text(u))
            for u in await updates(session, request.id)
        ],
    )


async def confirm(session: AsyncSession, token: str, data: Confirmation) -> HelpRequest:
    """The requester says it was done (closed) or not (reopened, the responsible told)."""
    return await confirm_request(session, await by_token(session, token), data)


async def confirm_request(
    session: AsyncSession, request: HelpRequest, data: Confirmation
) -> HelpRequest:
    if request.status in (RequestStatus.duplicate, RequestStatus.rejected):
        raise RequestClosed("This request was closed by the coordinators.")
    before = audit.snapshot(request, exclude=_PERSONAL)
    if data.done:
        request.closed_at = utcnow()
        await add_update(session, request, RequestStatus.closed, "closed")
    else:
        request.closed_at = None
        status = RequestStatus.converted if request.need_id else RequestStatus.received
        await add_update(session, request, status, "reopened")
        await _alert_reopened(session, request, data.comment)
    await audit.record(
        session,
        actor=None,
        action="help_request.confirm",
        obj=request,
        before=before,
        after={**audit.snapshot(request, exclude=_PERSONAL), "comment": data.comment},
    )
    return request


async def _alert_reopened(session: AsyncSession, request: HelpRequest, comment: str | None):
    """The organizations that said they were coming hear that the help did not arrive; the
    incident's lead agency when none did. No contact data goes in the mail."""
    steps = await updates(session, request.id)
    targets = sorted(
        {u.params["organization_id"] for u in steps if (u.params or {}).get("organization_id")}
    )
    if not targets:
        incident = await get_incident(session, request.incident_id)
        targets = [incident.lead_org_id] if incident.lead_org_id else []

    def compose() -> tuple[str, str]:
        params = {"reference": request.reference, "need": request.need_id or "-"}
        body = (
            _(
                "The requester of help request %(reference)s (need %(need)s) says the help did not "
                "arrive or was not enough. The request is open again."
            )
            % params
        )
        if comment:
            said = _("Their comment:")
            body = f"{body}\n\n{said} {comment}"
        subject = _("Help request %(reference)s is open again") % params
        return subject, body

    for organization_id in targets:
        await notifications.queue_for_organization(
            session, organization_id=organization_id, kind="residents.reopened", compose=compose
        )


_PERSONAL = {
    "contact_name",
    "contact_phone",
    "contact_email",
    "phone_key",
    "token_hash",
    "description",
}


async def erase_contacts(session: AsyncSession, request: HelpRequest) -> None:
    """Erase the personal contact fields, the place, the photo and the SMS texts kept for the
    request (replies and survey invitations); the audit keeps that the request existed."""
    request.contact_name = request.contact_phone = request.contact_email = None
    request.phone_key = None
    request.survey_consent = False
    erase_photo(settings_of(session), request.photo_file)
    request.photo_file = None
    request.lat = request.lon = None
    request.place = None
    request.erased_at = utcnow()
    await session.execute(delete(SmsMessage).where(SmsMessage.request_id == request.id))
    await session.flush()
    await audit.record(session, actor=None, action="help_request.erase", obj=request)
