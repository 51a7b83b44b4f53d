"""Early-warning alerts: composed by officials, published as CAP and Atom, mailed to subscribers."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.db import get_session
from core.forms import form_page
from core.i18n import current_locale
from core.models import User
from core.web import redirect, render
from preparedness.labels import CAP_VALUES
from preparedness.schemas import AlertCreate, AlertReceipt, AlertSubscribe, SubscriptionReceipt
from preparedness.service import alerts
from recovery.service import area_choices, get_area, incident_choices


async def create_api(request: Request, body: AlertCreate, user: User):
    """Publish an alert, or an update or cancellation naming the original (`references_id`)."""
    alert = await alerts.publish(
        get_session(request), body, actor=user, base_url=str(request.base_url)
    )
    return api.Answer(AlertReceipt.model_validate(alert, from_attributes=True), status_code=201)


async def cap_document(request: Request) -> Response:
    body = await alerts.cap_xml(get_session(request), request.path_params["id"])
    return Response(body, media_type="application/cap+xml")


async def atom(request: Request) -> Response:
    body = await alerts.atom_feed(
        get_session(request),
        feed_url=str(request.url_for("preparedness:alerts_atom")),
        cap_url=lambda alert_id: str(request.url_for("preparedness:alert_cap", id=alert_id)),
    )
    return Response(body, media_type="application/atom+xml")


async def _area_options(session) -> list[tuple[int, str]]:
    """Every area of the real incidents, indented under its parent, to subscribe to."""
    options = []
    for incident in await incident_choices(session):
        for area, depth in await area_choices(session, incident.id):
            options.append((area.id, f"{incident.name} · {'— ' * depth}{area.name}"))
    return options


async def alerts_page(request: Request) -> Response:
    """Current alerts by area, and the form that subscribes an address to an area's alerts
    (double opt-in: the alerts start once the mailed link is followed)."""
    session = get_session(request)
    current = await alerts.current_alerts(session)
    by_area: dict[str, list] = {}
    for alert in current:
        for shape in alert.areas:
            by_area.setdefault(shape["name"], []).append(alert)
    language = "zh" if current_locale.get() == "zh_Hans" else "en"

    async def subscribe(session, body: AlertSubscribe, user):
        return await alerts.subscribe(
            session,
            body,
            locale=current_locale.get(),
            confirm_url=lambda token: str(
                request.url_for("preparedness:alert_confirm", token=token)
            ),
        )

    return await form_page(
        request,
        "preparedness/alerts.html",
        block="subscribe",
        schema=AlertSubscribe,
        action=subscribe,
        success=lambda _subscription: str(request.url_for("preparedness:alerts")) + "?subscribed=1",
        context={
            "by_area": sorted(by_area.items()),
            "language": language,
            "cap_values": CAP_VALUES,
            "area_options": await _area_options(session),
        },
    )


async def subscribe_api(request: Request, body: AlertSubscribe):
    """Ask for an area's alerts by mail; they start once the mailed link is followed."""
    await alerts.subscribe(
        get_session(request),
        body,
        locale=current_locale.get(),
        confirm_url=lambda token: str(request.url_for("preparedness:alert_confirm", token=token)),
    )
    return api.Answer(SubscriptionReceipt(status="pending"), status_code=202)


async def confirm_page(request: Request) -> Response:
    """The mailed link shows a button, so a mail scanner following links confirms nothing."""
    token = request.path_params["token"]
    if request.method == "POST":
        await alerts.confirm_subscription(get_session(request), token)
        return redirect(request, str(request.url_for("preparedness:alerts")) + "?confirmed=1")
    return await render(request, "preparedness/alert_confirm.html", {"token": token})


async def unsubscribe_page(request: Request) -> Response:
    """The link in every alert mail: no login; a button, so a link scanner stops nothing."""
    session = get_session(request)
    token = request.path_params["token"]
    if request.method == "POST":
        subscription = await alerts.unsubscribe(session, token)
    else:
        subscription = await alerts.subscription_by_unsubscribe_token(session, token)
    area = await get_area(session, subscription.area_id)
    return await render(
        request,
        "preparedness/alert_unsubscribe.html",
        {"token": token, "area": area, "stopped": subscription.stopped_at is not None},
    )
