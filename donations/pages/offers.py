"""Pages for offers (NGOs and donors), the officials' matching desk and fulfilling matches."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.auth import require
from core.db import get_session
from core.errors import DomainError
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Organization, Role, User
from core.web import render
from donations.pages.common import CATEGORIES, as_id, done, incident_choice
from donations.schemas import OfferCreate, OfferUpdate
from donations.service import matching, offers
from recovery.service import get_need

FIELDS = (
    "incident_id",
    "category",
    "quantity",
    "unit",
    "lat",
    "lon",
    "radius_km",
    "available_from",
    "available_until",
    "description",
)


async def offer_list(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor, Role.official)
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    rows, total = await offers.list_offers(session, viewer=user, incident_id=incident_id, limit=200)
    return await render(
        request,
        "donations/offers.html",
        {"offers": rows, "total": total, "incidents": incidents, "incident_id": incident_id},
    )


async def offer_new(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    context = {
        "incidents": incidents,
        "incident_opts": [(i.id, i.name) for i in incidents],
        "categories": CATEGORIES,
        "errors": {},
        "offer": None,
    }
    if request.method == "GET":
        context["form"] = {"incident_id": incident_id, "radius_km": 25}
        return await render(request, "donations/offer_form.html", context)
    data = await form_dict(request)
    context["form"] = data
    body, errors = validate(OfferCreate, {k: data.get(k) for k in FIELDS})
    if body is None:
        context["errors"] = errors
        return await render(
            request, "donations/offer_form.html", context, status_code=422, block="form"
        )
    try:
        await offers.create_offer(session, owner=user, data=body)
    except DomainError as exc:
        context["errors"], context["message"] = exc.fields, exc.message
        return await render(
            request, "donations/offer_form.html", context, status_code=exc.status_code,
            block="form",
        )  # fmt: skip
    await session.commit()
    return done(request, request.url_for("donations:offers"))


async def offer_edit(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    offer = await offers.get_offer(session, request.path_params["id"])
    incidents, _selected = await incident_choice(request, session)
    context = {"incidents": incidents, "categories": CATEGORIES, "errors": {}, "offer": offer}
    if request.method == "GET":
        context["form"] = offer.model_dump()
        return await render(request, "donations/offer_form.html", context)
    data = await form_dict(request)
    context["form"] = data | {"incident_id": offer.incident_id}
    body, errors = validate(OfferUpdate, {k: data.get(k) for k in FIELDS if k != "incident_id"})
    try:
        if body is None:
            raise DomainError(_("Please correct the fields marked below."), 422, "invalid", errors)
        await offers.update_offer(session, offer_id=offer.id, actor=user, data=body)
    except DomainError as exc:
        context["errors"], context["message"] = exc.fields, exc.message
        return await render(
            request, "donations/offer_form.html", context, status_code=exc.status_code,
            block="form",
        )  # fmt: skip
    await session.commit()
    return done(request, request.url_for("donations:offers"))


async def offer_withdraw(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    await offers.withdraw_offer(session, offer_id=request.path_params["id"], actor=user)
    await session.commit()
    return RedirectResponse(request.url_for("donations:offers"), status_code=303)


async def matching_desk(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    if request.method == "POST":
        data = await form_dict(request)
        incident_id = as_id(data.get("incident_id")) or 0
        await matching.run(session, incident_id=incident_id, actor=user)
        await session.commit()
        target = request.url_for("donations:matching").include_query_params(incident_id=incident_id)
        return RedirectResponse(target, status_code=303)
    context = {"incidents": incidents, "incident_id": incident_id, "run": None}
    if incident_id:
        run = await matching.latest_run(session, incident_id)
        if run is not None:
            run, proposals, unmet = await matching.run_details(session, run.id)
            titles = {}
            for need_id in {p.need_id for p in proposals} | {u.need_id for u in unmet}:
                titles[need_id] = (await get_need(session, need_id)).title
            context |= {
                "run": run,
                "proposals": proposals,
                "unmet": unmet,
                "titles": titles,
                "offer_labels": await _offer_labels(session, {p.offer_id for p in proposals}),
            }
    return await render(request, "donations/matching.html", context)


async def _offer_labels(session, offer_ids: set[int]) -> dict[int, str]:
    """Who offers what, for officials deciding: the organization (or donor) and the amount."""
    labels = {}
    for offer_id in offer_ids:
        offer = await offers.get_offer(session, offer_id)
        owner = (
            await session.get(Organization, offer.organization_id)
            if offer.organization_id
            else None
        )
        if owner is None:
            owner = await session.get(User, offer.owner_id)
        labels[offer_id] = f"{owner.name}: {offer.quantity} {offer.unit}"
    return labels


async def match_decide(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    action = request.path_params["action"]
    decide = matching.accept if action == "accept" else matching.decline
    error = None
    try:
        # A savepoint, so a refused decision leaves the signed-in user's rows loaded.
        async with session.begin_nested():
            row = await decide(session, match_id=request.path_params["id"], actor=user)
        await session.commit()
    except DomainError as exc:
        row, error = await matching.get_match(session, request.path_params["id"]), exc.message
    if request.headers.get("HX-Request"):
        need = await get_need(session, row.need_id)
        return await render(
            request, "donations/_proposal_row.html",
            {
                "p": row,
                "titles": {row.need_id: need.title},
                "offer_labels": await _offer_labels(session, {row.offer_id}),
                "error": error,
            },
        )  # fmt: skip
    if error:
        raise DomainError(error, 409, "conflict")
    run = await matching.get_run(session, row.run_id)
    target = request.url_for("donations:matching").include_query_params(incident_id=run.incident_id)
    return RedirectResponse(target, status_code=303)


async def my_matches(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    rows = await matching.matches_for(session, user)
    titles = {m.need_id: (await get_need(session, m.need_id)).title for m, _o in rows}
    return await render(
        request, "donations/matches.html", {"rows": rows, "titles": titles, "errors": {}}
    )


async def match_fulfil(request: Request) -> Response:
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    data = await form_dict(request)
    quantity = as_id(data.get("quantity")) or 0
    if quantity < 1:
        message = _("Enter a quantity of at least 1.")
        raise DomainError(message, 422, "invalid", {"quantity": message})
    await matching.fulfil(
        session, match_id=request.path_params["id"], quantity=quantity, actor=user
    )
    await session.commit()
    return RedirectResponse(request.url_for("donations:matches"), status_code=303)
