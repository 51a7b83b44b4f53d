"""Early warning: CAP 1.2 alerts in two languages, the Atom feed, mail subscriptions by area."""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock, notifications
from core.db import settings_of
from core.drills import not_drill
from core.errors import Conflict, NotFound
from core.i18n import _, using_locale
from core.jobs import enqueue
from core.models import User
from core.types import printable
from preparedness.models import Alert, AlertSubscription
from preparedness.schemas import AlertCreate, AlertSubscribe
from recovery.service import ensure_can_act, get_area

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
LANGUAGES = (("en", "en-US"), ("zh", "zh-CN"))
# Unsubscribe links are signed, not stored: any alert mail's link stops its subscription.
UNSUBSCRIBE_SALT = "preparedness.alert-unsubscribe"


def cap_time(value: datetime) -> str:
    # CAP's dateTime pattern wants an explicit offset, never "Z" nor fractions of a second.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def get_alert(session: AsyncSession, alert_id: int, field: str = "id") -> Alert:
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(_("No such alert."), fields={field: _("not found")})
    return alert


async def _shapes(session: AsyncSession, data: AlertCreate) -> tuple[int, list[dict]]:
    incident_ids, shapes = set(), []
    for area_id in data.area_ids:
        area = await get_area(session, area_id)
        incident_ids.add(area.incident_id)
        shapes.append(
            {
                "area_id": area.id,
                "name": area.name,
                "circle": f"{area.lat:.5f},{area.lon:.5f} {data.radius_km:g}",
            }
        )
    if data.incident_id is not None:
        incident_ids.add(data.incident_id)
    if len(incident_ids) != 1:
        raise Conflict(
            _("An alert's areas belong to one incident."), fields={"area_ids": _("mixed")}
        )
    if data.polygon is not None:
        # The outline drawn stands for the areas together: the circles give way to it.
        for shape in shapes:
            shape.pop("circle")
        shapes[0]["polygon"] = " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in data.polygon)
    return incident_ids.pop(), shapes


async def publish(session: AsyncSession, data: AlertCreate, *, actor: User, base_url: str) -> Alert:
    """Publish an alert (or an update or cancellation of one); subscribers are mailed by a job."""
    incident_id, shapes = await _shapes(session, data)
    incident = await ensure_can_act(session, actor, incident_id)
    original = None
    if data.references_id is not None:
        original = await get_alert(session, data.references_id, "references_id")
        if original.superseded_by_id is not None or original.msg_type == "Cancel":
            raise Conflict(
                _("That alert was already updated or cancelled."),
                fields={"references_id": _("already replaced")},
            )
    en = {
        "event": data.event,
        "headline": data.headline,
        "description": data.description,
        "instruction": data.instruction,
    }
    zh = data.zh.model_dump() if data.zh else en
    alert = Alert(
        identifier=f"commons-{uuid.uuid4().hex}",
        incident_id=incident_id,
        organization_id=actor.organization_id,
        # A drill's alerts say so, whatever was asked.
        status="Exercise" if incident.exercise else data.status,
        msg_type=data.msg_type,
        references_id=data.references_id,
        category=data.category,
        urgency=data.urgency,
        severity=data.severity,
        certainty=data.certainty,
        texts={"en": en, "zh": zh},
        areas=shapes,
        area_ids=list(data.area_ids),
        sent_at=clock.utcnow().replace(microsecond=0),
        expires=data.expires.astimezone(UTC),
        created_by_id=actor.id,
    )
    session.add(alert)
    await session.flush()
    if original is not None:
        original.superseded_by_id = alert.id
    await audit.record(
        session, actor=actor, action="alert.publish", obj=alert, after=audit.snapshot(alert)
    )
    if alert.status == "Actual":
        await enqueue(
            session, "preparedness.send_alert", {"alert_id": alert.id, "base_url": base_url}
        )
    await session.flush()
    return alert


def _sender(alert: Alert) -> str:
    return f"org-{alert.organization_id}@recovery-commons"


async def cap_xml(session: AsyncSession, alert_id: int) -> bytes:
    """The alert as a CAP 1.2 document: one info block in English, one in Chinese."""
    # lxml is loaded when a feed is first asked for, not by every web worker at start.
    from lxml import etree

    alert = await get_alert(session, alert_id)

    def sub(parent, name, text=None):
        node = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
        if text is not None:
            node.text = printable(str(text))
        return node

    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    sub(root, "identifier", alert.identifier)
    sub(root, "sender", _sender(alert))
    sub(root, "sent", cap_time(alert.sent_at))
    sub(root, "status", alert.status)
    sub(root, "msgType", alert.msg_type)
    sub(root, "scope", "Public")
    if alert.references_id is not None:
        original = await get_alert(session, alert.references_id)
        sub(
            root,
            "references",
            f"{_sender(original)},{original.identifier},{cap_time(original.sent_at)}",
        )
    if alert.incident_id is not None:
        sub(root, "incidents", f"incident-{alert.incident_id}")
    for key, language in LANGUAGES:
        text = alert.texts[key]
        info = sub(root, "info")
        sub(info, "language", language)
        sub(info, "category", alert.category)
        sub(info, "event", text["event"])
        sub(info, "urgency", alert.urgency)
        sub(info, "severity", alert.severity)
        sub(info, "certainty", alert.certainty)
        sub(info, "expires", cap_time(alert.expires))
        sub(info, "headline", text["headline"])
        sub(info, "description", text["description"])
        if text.get("instruction"):
            sub(info, "instruction", text["instruction"])
        for shape in alert.areas:
            area = sub(info, "area")
            sub(area, "areaDesc", shape["name"])
            if "polygon" in shape:
                sub(area, "polygon", shape["polygon"])
            if "circle" in shape:
                sub(area, "circle", shape["circle"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def is_current(alert: Alert, now: datetime) -> bool:
    return (
        alert.status == "Actual"
        and alert.msg_type != "Cancel"
        and alert.superseded_by_id is None
        and alert.expires > now
    )


async def current_alerts(session: AsyncSession, area_id: int | None = None) -> list[Alert]:
    """Alerts in force for the public: not drills or tests, not replaced, not expired."""
    now = clock.utcnow()
    rows = await session.scalars(
        select(Alert)
        .where(
            Alert.status == "Actual",
            not_drill(Alert.incident_id),
            Alert.superseded_by_id.is_(None),
            Alert.expires > now,
        )
        .order_by(Alert.sent_at.desc(), Alert.id.desc())
    )
    found = [a for a in rows if is_current(a, now)]
    if area_id is not None:
        found = [a for a in found if area_id in a.area_ids]
    return found


async def atom_feed(session: AsyncSession, *, feed_url: str, cap_url) -> bytes:
    from lxml import etree

    alerts = await current_alerts(session)

    def sub(parent, name, text=None, **attrs):
        node = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", **attrs)
        if text is not None:
            node.text = printable(str(text))
        return node

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    sub(feed, "id", feed_url)
    sub(feed, "title", _("Current alerts"))
    updated = max((a.sent_at for a in alerts), default=clock.utcnow())
    sub(feed, "updated", cap_time(updated))
    sub(feed, "link", rel="self", href=feed_url)
    for alert in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:commons:alert:{alert.identifier}")
        sub(entry, "title", alert.texts["en"]["headline"])
        sub(entry, "updated", cap_time(alert.sent_at))
        sub(entry, "summary", alert.texts["en"]["description"])
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=cap_url(alert.id))
        author = sub(entry, "author")
        sub(author, "name", _sender(alert))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


async def subscribe(
    session: AsyncSession, data: AlertSubscribe, *, locale: str | None, confirm_url
) -> AlertSubscription:
    """Double opt-in: the address gets a link, and alerts only once it was followed."""
    area = await get_area(session, data.area_id)
    token = secrets.token_urlsafe(24)
    subscription = AlertSubscription(
        email=data.email.lower(), area_id=area.id, token_hash=_token_hash(token), locale=locale
    )
    session.add(subscription)
    await session.flush()
    with using_locale(locale):
        subject = _("Confirm alerts for %(area)s") % {"area": area.name}
        body = _(
            "Someone asked to receive early-warning alerts for %(area)s at this address. "
            "To confirm, open %(link)s — if it was not you, ignore this mail."
        ) % {"area": area.name, "link": confirm_url(token)}
    await notifications.queue(
        session, kind="alert.confirm", to_email=subscription.email, subject=subject, body=body
    )
    await audit.record(session, actor=None, action="alert_subscription.create", obj=subscription)
    return subscription


async def confirm_subscription(session: AsyncSession, token: str) -> AlertSubscription:
    subscription = await session.scalar(
        select(AlertSubscription).where(AlertSubscription.token_hash == _token_hash(token))
    )
    if subscription is None:
        raise NotFound(_("This confirmation link is not valid."), fields={"token": _("unknown")})
    if subscription.confirmed_at is None:
        subscription.confirmed_at = clock.utcnow()
        await session.flush()
    return subscription


def _unsubscribe_signer(session: AsyncSession) -> URLSafeSerializer:
    return URLSafeSerializer(settings_of(session).secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(session: AsyncSession, subscription: AlertSubscription) -> str:
    return _unsubscribe_signer(session).dumps(subscription.id)


async def subscription_by_unsubscribe_token(session: AsyncSession, token: str) -> AlertSubscription:
    """The subscription an unsubscribe link names; 404 for a link that was not signed by us."""
    try:
        subscription_id = _unsubscribe_signer(session).loads(token)
    except BadSignature:
        subscription_id = None
    subscription = (
        await session.get(AlertSubscription, subscription_id)
        if isinstance(subscription_id, int)
        else None
    )
    if subscription is None:
        raise NotFound(_("This unsubscribe link is not valid."), fields={"token": _("unknown")})
    return subscription


async def unsubscribe(session: AsyncSession, token: str) -> AlertSubscription:
    """Stop the subscription: no login, the signed link is the proof. Stopping twice is fine."""
    subscription = await subscription_by_unsubscribe_token(session, token)
    if subscription.stopped_at is None:
        subscription.stopped_at = clock.utcnow()
        await session.flush()
        await audit.record(
            session,
            actor=None,
            action="alert_subscription.stop",
            obj=subscription,
            after={"stopped_at": subscription.stopped_at.isoformat()},
        )
    return subscription


async def _with_ancestors(session: AsyncSession, area_ids: list[int]) -> set[int]:
    """The areas and every area containing them: a county's subscriber hears of its villages."""
    found: set[int] = set()
    for area_id in area_ids:
        current = area_id
        while current is not None and current not in found:
            found.add(current)
            current = (await get_area(session, current)).parent_id
    return found


async def send_alert(session: AsyncSession, payload: dict) -> None:
    """Job: mail a new alert to the confirmed subscribers of its areas, each in their language."""
    alert = await get_alert(session, payload["alert_id"])
    areas = await _with_ancestors(session, alert.area_ids)
    subscribers = await session.scalars(
        select(AlertSubscription).where(
            AlertSubscription.area_id.in_(areas),
            AlertSubscription.confirmed_at.is_not(None),
            AlertSubscription.stopped_at.is_(None),
        )
    )
    base = payload.get("base_url", "").rstrip("/")
    link = f"{base}/alerts/{alert.id}.cap"
    sent: set[str] = set()
    for subscription in subscribers:
        if subscription.email in sent:
            continue
        sent.add(subscription.email)
        text = alert.texts["zh" if subscription.locale == "zh_Hans" else "en"]
        with using_locale(subscription.locale):
            kinds = {"Alert": _("Alert"), "Update": _("Update"), "Cancel": _("Cancelled")}
            subject = f"[{kinds[alert.msg_type]}] {text['headline']}"
            body = "\n\n".join(
                part
                for part in (
                    text["description"],
                    text.get("instruction") or "",
                    _("Expires: %(at)s") % {"at": cap_time(alert.expires)},
                    link,
                    _("To receive no more alerts for this area, open %(link)s")
                    % {
                        "link": f"{base}/alerts/unsubscribe/"
                        + unsubscribe_token(session, subscription)
                    },
                )
                if part
            )
        await notifications.queue(
            session, kind="alert.new", to_email=subscription.email, subject=subject, body=body
        )
