"""Offers: NGOs post capacity and donors in-kind pledges, edit and withdraw them (pages and API)."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import api
from core.auth import require
from core.db import get_session
from core.forms import form_page
from core.models import Role, User
from core.types import to_major, to_minor
from core.web import render
from donations.labels import CATEGORY_CHOICES
from donations.schemas import OfferCreate, OfferQuery, OfferUpdate
from donations.service import incidents, offers

OFFERING = (Role.ngo, Role.donor)
VIEWERS = (Role.ngo, Role.donor, Role.official)


def _fields(schema: type[OfferCreate | OfferUpdate], typed: dict):
    """Only the schema's own fields from the form (the edit form still carries incident_id);
    the estimated value is typed in major units, and a currency without a value is dropped."""

    def prepare(data: dict) -> dict:
        fields = {name: data.get(name) for name in schema.model_fields if name in data}
        typed["value"] = data.get("value")
        if data.get("value"):
            # Text that does not parse stays as typed, so validation names the field.
            value = str(data["value"])
            fields["value_minor"] = to_minor(value, str(data.get("value_currency") or "")) or value
        else:
            fields.pop("value_currency", None)
        return fields

    return prepare


def _typed(typed: dict, extra: dict):
    async def context(_data: dict) -> dict:
        return extra | {"form": {"value": typed.get("value")}}

    return context


async def offer_list(request: Request) -> Response:
    user = await require(request, *VIEWERS)
    session = get_session(request)
    choices, incident_id = await incidents.choose(session, request.query_params.get("incident_id"))
    rows, total = await offers.list_offers(session, viewer=user, incident_id=incident_id, limit=200)
    return await render(
        request,
        "donations/offers.html",
        {"offers": rows, "total": total, "incidents": choices, "incident_id": incident_id},
    )


async def offer_new(request: Request) -> Response:
    user = await require(request, *OFFERING)
    session = get_session(request)
    choices, incident_id = await incidents.choose(session, request.query_params.get("incident_id"))
    typed: dict = {}
    return await form_page(
        request, "donations/offer_form.html", block="form", schema=OfferCreate, user=user,
        action=lambda session, body, user: offers.create_offer(session, owner=user, data=body),
        success=lambda _offer: request.url_for("donations:offers"),
        context=_typed(typed, {"incidents": choices,
                               "incident_opts": [(i.id, i.name) for i in choices],
                               "categories": CATEGORY_CHOICES, "offer": None}),
        initial={"incident_id": incident_id, "radius_km": 25,
                 "value_currency": request.app.state.settings.currency},
        prepare=_fields(OfferCreate, typed),
    )  # fmt: skip


async def offer_edit(request: Request) -> Response:
    user = await require(request, *OFFERING)
    session = get_session(request)
    offer = await offers.editable_offer(session, request.path_params["id"], actor=user)
    choices, _chosen = await incidents.choose(session, None)
    typed: dict = {"value": to_major(offer.value_minor, offer.value_currency or "")}
    currency = offer.value_currency or request.app.state.settings.currency
    return await form_page(
        request, "donations/offer_form.html", block="form", schema=OfferUpdate, user=user,
        action=lambda session, body, user: offers.update_offer(
            session, offer_id=offer.id, actor=user, data=body
        ),
        success=lambda _offer: request.url_for("donations:offers"),
        context=_typed(typed, {"incidents": choices, "categories": CATEGORY_CHOICES,
                               "offer": offer}),
        initial=offer.model_dump() | {"value_currency": currency},
        prepare=_fields(OfferUpdate, typed),
    )  # fmt: skip


async def offer_withdraw(request: Request) -> Response:
    user = await require(request, *OFFERING)
    await offers.withdraw_offer(
        get_session(request), offer_id=request.path_params["id"], actor=user
    )
    return RedirectResponse(request.url_for("donations:offers"), status_code=303)


async def create_offer(request: Request, body: OfferCreate, user: User):
    """Post capacity (NGO) or an in-kind pledge (donor) for an incident."""
    return await offers.create_offer(get_session(request), owner=user, data=body)


async def list_offers(request: Request, query: OfferQuery, user: User):
    """Your own offers; officials see every offer."""
    rows, total = await offers.list_offers(get_session(request), viewer=user, **query.model_dump())
    return api.page(rows, total)


async def get_offer(request: Request, user: User):
    """One offer, for its owner or an official."""
    return await offers.get_offer(get_session(request), request.path_params["id"], viewer=user)


async def update_offer(request: Request, body: OfferUpdate, user: User):
    """Change your offer (quantity cannot drop below what accepted matches committed)."""
    return await offers.update_offer(
        get_session(request), offer_id=request.path_params["id"], actor=user, data=body
    )


async def withdraw_offer(request: Request, user: User):
    """Withdraw your offer; its undecided proposals lapse."""
    return await offers.withdraw_offer(
        get_session(request), offer_id=request.path_params["id"], actor=user
    )
