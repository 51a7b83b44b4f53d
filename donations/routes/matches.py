"""Matches: officials accept or decline proposals, the offering side records deliveries."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import api
from core.auth import require
from core.db import get_session
from core.errors import DomainError
from core.forms import form_page
from core.models import Role, User
from core.types import as_db_id, to_minor
from core.web import is_fragment_request, render
from donations.schemas import FulfilRequest, MatchQuery
from donations.service import deliveries, matches, matching, proposals

OFFERING = (Role.ngo, Role.donor)
DECISIONS = {"accept": matches.accept, "decline": matches.decline}
DELIVERIES_PAGE = 200


async def match_decide(request: Request) -> Response:
    """Accept or decline from the desk; under htmx the proposal's row comes back in place."""
    user = await require(request, Role.official)
    session = get_session(request)
    decide = DECISIONS.get(request.path_params["action"])
    if decide is None:
        raise HTTPException(404)
    match_id = request.path_params["id"]
    try:
        row = await decide(session, match_id=match_id, actor=user)
    except DomainError as exc:
        if not is_fragment_request(request):
            raise
        # 422 so htmx swaps the row in, and the request's transaction is rolled back.
        view = await proposals.proposal_view(session, await matches.get_match(session, match_id))
        return await render(request, "donations/matching.html", view | {"error": exc.message},
                            status_code=422, block="proposal")  # fmt: skip
    if is_fragment_request(request):
        view = await proposals.proposal_view(session, row)
        return await render(request, "donations/matching.html", view, block="proposal")
    run = await matching.get_run(session, row.run_id)
    target = request.url_for("donations:matching").include_query_params(incident_id=run.incident_id)
    return RedirectResponse(target, status_code=303)


async def _my_matches(request: Request, user: User) -> dict:
    offset = as_db_id(request.query_params.get("offset")) or 0
    rows, total = await deliveries.deliveries(
        get_session(request), user, limit=DELIVERIES_PAGE, offset=offset
    )
    return {"rows": rows, "total": total, "offset": offset, "page_size": DELIVERIES_PAGE}


async def my_matches(request: Request) -> Response:
    user = await require(request, *OFFERING)
    return await render(
        request, "donations/matches.html", await _my_matches(request, user) | {"errors": {}}
    )


async def match_fulfil(request: Request) -> Response:
    user = await require(request, *OFFERING)
    match_id = request.path_params["id"]
    await matches.ensure_offering(get_session(request), match_id, user)

    async def context(_data):
        return await _my_matches(request, user) | {"failed": match_id, "form": typed}

    typed: dict = {}

    async def prepare(data: dict) -> dict:
        typed.update(data)  # the re-rendered row shows what was typed
        fields = {"quantity": data.get("quantity")}
        if data.get("value"):
            # The estimate is typed in major units of the offer's value currency; text that
            # does not parse stays as typed, so validation refuses it by name.
            currency = await matches.value_currency(get_session(request), match_id) or ""
            typed_value = str(data["value"])
            fields["value_minor"] = to_minor(typed_value, currency) or typed_value
        return fields

    return await form_page(
        request, "donations/matches.html", block="matches", schema=FulfilRequest, user=user,
        prepare=prepare,
        action=lambda session, body, user: matches.fulfil(
            session, match_id=match_id, quantity=body.quantity, actor=user,
            value_minor=body.value_minor,
        ),
        success=lambda _row: request.url_for("donations:matches"),
        context=context,
    )  # fmt: skip


async def accept_match(request: Request, user: User):
    """Accept a proposal; the offer's capacity is committed atomically."""
    return await matches.accept(
        get_session(request), match_id=request.path_params["id"], actor=user
    )


async def decline_match(request: Request, user: User):
    """Decline a proposal."""
    return await matches.decline(
        get_session(request), match_id=request.path_params["id"], actor=user
    )


async def fulfil_match(request: Request, body: FulfilRequest, user: User):
    """Report delivery on an accepted match; the need's quantity_met rises by `quantity`, and
    a valued offer's estimated value delivered by `value_minor` (default: pro rata)."""
    return await matches.fulfil(
        get_session(request),
        match_id=request.path_params["id"],
        quantity=body.quantity,
        actor=user,
        value_minor=body.value_minor,
    )


async def list_my_matches(request: Request, query: MatchQuery, user: User):
    """Accepted and fulfilled matches on your (organization's) offers: what to deliver, how
    much is left, and where (the need's area and place), soonest needed first."""
    rows, total = await deliveries.deliveries(
        get_session(request), user, status=query.status, limit=query.limit, offset=query.offset
    )
    return api.page(rows, total)
