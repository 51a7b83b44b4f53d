"""SMS through a gateway: "HELP <what> at <where>" becomes a request; replies carry the reference.

The gateway adapter's HTTP format, both directions carrying `X-Gateway-Secret: <sms_secret>`:
- inbound, the gateway calls us: `POST /api/v1/sms/inbound` with JSON
  `{"from": "+8613700000000", "text": "HELP ...", "received_at": "2026-03-16T02:00:00Z"}`;
  we answer 200 `{"reply": "..."}` (the reply is also queued as an outgoing SMS).
- outbound, we call the gateway: `POST <sms_gateway_url>` with JSON `{"to": "+86...",
  "text": "..."}`; any 2xx answer means accepted, anything else is retried on the next run.
Texts understood: `HELP <what> [at <where>]`, `DONE <reference>` (it was done),
`NO <reference>` (not done, or still needed: reopens it).
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import settings_of
from core.jobs import enqueue
from core.settings import Settings
from recovery.service import incident_choices
from residents.models import Channel, HelpRequest, SmsMessage
from residents.schemas import Confirmation, HelpRequestCreate
from residents.service.requests import confirm_request, submit

HEADER = "X-Gateway-Secret"
SEND_JOB = "residents.send_sms"
# First keyword found in the text picks the category; an official corrects it in triage.
KEYWORDS = {
    "water": "water_sanitation",
    "水": "water_sanitation",
    "food": "food",
    "食": "food",
    "粮": "food",
    "roof": "shelter",
    "tent": "shelter",
    "房": "shelter",
    "帐篷": "shelter",
    "doctor": "health",
    "medic": "health",
    "药": "health",
    "医": "health",
}
DEFAULT_CATEGORY = "shelter"
_COMMAND = re.compile(r"^\s*(HELP|DONE|NO|求助|完成|没有)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_HAN = re.compile(r"[\u3400-\u9fff]")
_WHERE = re.compile(r"\s+(?:at|@|在)\s+", re.IGNORECASE)


if TYPE_CHECKING:
    import httpx


class SmsGateway:
    """The adapter to one HTTP SMS gateway; `client` is swapped for a fake one in tests."""

    def __init__(self, url: str, secret: str, client: "httpx.AsyncClient | None" = None):
        self.url = url
        self.secret = secret
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmsGateway | None":
        if not (settings.sms_gateway_url and settings.sms_secret):
            return None
        return cls(settings.sms_gateway_url, settings.sms_secret)

    async def send(self, to: str, text: str) -> None:
        payload = {"to": to, "text": text}
        headers = {HEADER: self.secret}
        if self.client is not None:
            response = await self.client.post(self.url, json=payload, headers=headers)
        else:
            # Loaded on the first SMS, not by every web worker (httpx pulls in its CLI's libs).
            import httpx

            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(self.url, json=payload, headers=headers)
        response.raise_for_status()


def _category(text: str) -> str:
    lowered = text.lower()
    return next((cat for word, cat in KEYWORDS.items() if word in lowered), DEFAULT_CATEGORY)


async def queue_sms(
    session: AsyncSession, to: str, text: str, request_id: int | None = None
) -> None:
    """An outgoing SMS, sent by the `residents.send_sms` job once this transaction commits."""
    session.add(SmsMessage(request_id=request_id, to_phone=to, text=text[:480]))
    await session.flush()
    await enqueue(session, SEND_JOB, {})


async def _reply(session: AsyncSession, to: str, text: str, request_id: int | None = None) -> str:
    await queue_sms(session, to, text, request_id)
    return text


async def _by_reference(session: AsyncSession, reference: str, sender: str) -> HelpRequest | None:
    """The sender's own request: a reference code alone does not let anyone close it."""
    row = await session.execute(
        select(HelpRequest).where(HelpRequest.reference == reference.strip().upper()[:12])
    )
    request = row.scalar_one_or_none()
    digits = re.sub(r"\D", "", sender)[-11:]
    if request is None or re.sub(r"\D", "", request.contact_phone or "")[-11:] != digits:
        return None
    return request


async def handle_inbound(
    session: AsyncSession,
    sender: str,
    text: str,
    link_for: Callable[[str], str] | None = None,
) -> str:
    """Act on one incoming SMS and queue the reply; answers the reply's text. A new
    request's reply carries its follow-up link, made by `link_for(token)`."""
    match = _COMMAND.match(text)
    if match is None:
        return await _reply(session, sender, "Send: HELP <what you need> at <where>")
    command, rest = match.group(1).upper(), match.group(2).strip()
    if command in ("HELP", "求助"):
        incidents = await incident_choices(session)
        if not incidents or not rest:
            return await _reply(session, sender, "Send: HELP <what you need> at <where>")
        parts = _WHERE.split(rest, maxsplit=1)
        data = HelpRequestCreate(
            incident_id=incidents[0].id,
            category=_category(rest),
            description=parts[0][:4000],
            place=parts[1][:300] if len(parts) > 1 else None,
            contact_phone=re.sub(r"[^0-9+]", "", sender)[:40] or None,
            consent=True,  # the requester sent their number to ask for this help
        )
        # The update queues "[REF] We received your request." as the reply.
        locale = "zh_Hans" if _HAN.search(rest) else "en"
        request, _token = await submit(
            session, data, channel=Channel.sms, locale=locale, link_for=link_for
        )
        return f"[{request.reference}]"
    request = await _by_reference(session, rest.split()[0] if rest else "", sender)
    if request is None:
        return await _reply(session, sender, "No request of yours has this reference.")
    await confirm_request(session, request, Confirmation(done=command in ("DONE", "完成")))
    return f"[{request.reference}]"


async def send_pending(session: AsyncSession, gateway: SmsGateway, limit: int = 100) -> int:
    """Hand queued SMS to the gateway; a failure is kept for the next run."""
    import httpx

    query = (
        select(SmsMessage)
        .where(SmsMessage.sent_at.is_(None), SmsMessage.attempts < 10)
        .order_by(SmsMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers sending at once each take other messages (SQLite's BEGIN IMMEDIATE
        # already runs one writer at a time).
        query = query.with_for_update(skip_locked=True)
    rows = await session.execute(query)
    sent = 0
    for message in rows.scalars().all():
        message.attempts += 1
        try:
            await gateway.send(message.to_phone, message.text)
        except httpx.HTTPError as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:300]
            continue
        message.sent_at = utcnow()
        sent += 1
    await session.flush()
    return sent


async def send_sms(session: AsyncSession, payload: dict) -> dict:
    """Job `residents.send_sms`: the worker's settings name the gateway; queued with each new
    SMS and every few minutes for those a failure left behind."""
    gateway = SmsGateway.from_settings(settings_of(session))
    return {"sent": await send_pending(session, gateway) if gateway else 0}
