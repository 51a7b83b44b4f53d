"""Help requests: the public form, the follow-up page and link, and their API operations."""

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from core import api
from core.auth import client_address, require
from core.db import get_session
from core.errors import NotFound
from core.forms import form_page, validate
from core.i18n import _
from core.models import Role, User
from core.web import redirect, render
from recovery.service import CATEGORY_LABELS, area_choices, incident_choices
from residents.models import VULNERABLE, Channel
from residents.schemas import Confirmation, DuplicateQuery, HelpRequestCreate, HelpRequestReceipt
from residents.service import by_token, check_duplicates, confirm, request_counts, submit, track
from residents.service.photos import photo_path, read_photo
from residents.service.surveys import incident_surveys
from residents.service.throttle import allow_request
from residents.service.triage import request_for_staff

TRIAGE = (Role.official, Role.ngo)


def _follow_up_url(request: Request, token: str) -> str:
    return str(request.url_for("residents:track", token=token))


def _link_for(request: Request):
    return lambda token: _follow_up_url(request, token)


async def _form_context(request: Request):
    incidents = await incident_choices(get_session(request))
    return {
        "incidents": [(i.id, i.name) for i in incidents],
        "categories": [(key, label) for key, label in CATEGORY_LABELS.items()],
        "vulnerable": VULNERABLE,
    }


async def _throttle(request: Request, body: HelpRequestCreate) -> None:
    """429 past the public limits per address and per phone (shared by every worker)."""
    await allow_request(
        request.app.state.login_throttle.limiter,
        request.app.state.settings,
        address=client_address(request),
        phone=body.contact_phone,
    )


def _consent(data: dict) -> dict:
    return {
        **data,
        "consent": data.get("consent") == "on",
        "survey_consent": data.get("survey_consent") == "on",
    }


async def _operator_context(request: Request, data: dict) -> dict:
    """The operator's form: the chosen incident's areas, and likely duplicates so far."""
    context = await _form_context(request)
    incident_id = data.get("incident_id") or (context["incidents"] or [(None, "")])[0][0]
    areas = await area_choices(get_session(request), incident_id)
    return {**context, "areas": areas, "form": {"incident_id": incident_id}}


async def operator_page(request: Request) -> Response:
    """The hotline operator's form: the caller's number first, a duplicate check as they type."""
    user = await require(request, *TRIAGE)
    return await form_page(
        request,
        "residents/operator.html",
        block="form",
        schema=HelpRequestCreate,
        user=user,
        lists=("vulnerable",),
        prepare=_consent,
        initial={"incident_id": request.query_params.get("incident_id")},
        context=lambda data: _with_logged(request, data),
        action=lambda session, body, user: submit(session, body, channel=Channel.phone, actor=user),
        success=lambda result: request.url_for("residents:operator").include_query_params(
            incident_id=result[0].incident_id, logged=result[0].reference
        ),
    )


async def _with_logged(request: Request, data: dict) -> dict:
    context = await _operator_context(request, data)
    logged = request.query_params.get("logged", "")
    context["logged"] = logged if logged.isalnum() else None
    context["duplicates"] = []
    return context


async def operator_duplicates(request: Request) -> Response:
    """The duplicate check of the operator's form: its block under htmx, else the whole form
    with what was typed and the matches (no JavaScript needed)."""
    user = await require(request, *TRIAGE)
    data = {k: v.strip() or None for k, v in request.query_params.items() if k != "csrftoken"}
    data["vulnerable"] = request.query_params.getlist("vulnerable")
    query, _errors = validate(DuplicateQuery, {k: v for k, v in data.items() if v})
    duplicates = await check_duplicates(get_session(request), user, query) if query else []
    context = await _with_logged(request, data)
    context.update(form=_consent(data), errors={})
    context["duplicates"] = duplicates
    return await render(request, "residents/operator.html", context, block="duplicates")


async def duplicates_api(request: Request, query: DuplicateQuery, user: User):
    """Open requests likely the same as the one being typed: same phone, or similar words
    in the same place."""
    return await check_duplicates(get_session(request), user, query)


async def _help_context(request: Request, data: dict) -> dict:
    """The form's lists, and the chosen incident's areas (its first when none is chosen)."""
    context = await _form_context(request)
    chosen = data.get("incident_id") or (context["incidents"] or [(None, "")])[0][0]
    areas = await area_choices(get_session(request), chosen)
    located = [a for a, _depth in areas if a.lat is not None and a.lon is not None]
    center = (located[0].lat, located[0].lon) if located else (0.0, 0.0)
    return {**context, "areas": areas, "center": center}


async def help_page(request: Request) -> Response:
    """The public form: no account, no JavaScript needed, one light page; an optional photo."""
    files: dict = {}

    def prepare(data: dict) -> dict:
        files["photo"] = data.pop("photo", None)
        return _consent(data)

    async def action(session, body: HelpRequestCreate, user):
        await _throttle(request, body)
        photo = await read_photo(files.get("photo"), request.app.state.settings)
        return await submit(
            session, body, channel=Channel.web, photo=photo, link_for=_link_for(request)
        )

    return await form_page(
        request,
        "residents/help.html",
        block="form",
        schema=HelpRequestCreate,
        lists=("vulnerable",),
        prepare=prepare,
        initial={"incident_id": request.query_params.get("incident_id")},
        context=lambda data: _help_context(request, data),
        action=action,
        success=lambda result: _follow_up_url(request, result[1]),
        # A throttled post answers 429 (with Retry-After), the form and its message in place.
        keep_status=True,
    )


async def photo_page(request: Request) -> Response:
    """A request's photo, for triage staff only; never cached by anyone in between."""
    user = await require(request, *TRIAGE)
    row = await request_for_staff(get_session(request), user, request.path_params["id"])
    path = photo_path(request.app.state.settings, row.photo_file or "")
    if not row.photo_file or not path.is_file():
        raise NotFound(_("No photo was sent with this request."))
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )


async def track_page(request: Request) -> Response:
    session = get_session(request)
    token = request.path_params["token"]
    row = await by_token(session, token)
    context = {
        "view": await track(session, token),
        "token": token,
        "surveys": await incident_surveys(session, row.incident_id, row.area_id),
    }
    return await render(request, "residents/track.html", context)


async def confirm_page(request: Request) -> Response:
    form = await request.form()
    token = request.path_params["token"]
    await confirm(get_session(request), token, Confirmation(done=form.get("done") == "yes"))
    return redirect(request, _follow_up_url(request, token))


async def create_api(request: Request, body: HelpRequestCreate):
    """Ask for help; answers the follow-up link (shown once) and a short reference code.
    Past the limits per address and per phone: 429 with Retry-After."""
    await _throttle(request, body)
    row, token = await submit(
        get_session(request), body, channel=Channel.web, link_for=_link_for(request)
    )
    return api.Answer(
        HelpRequestReceipt(
            id=row.id,
            status=row.status,
            reference=row.reference,
            follow_up_url=_follow_up_url(request, token),
        ),
        status_code=201,
    )


async def track_api(request: Request):
    """The request's status and every update, in the reader's language."""
    return await track(get_session(request), request.path_params["token"])


async def confirm_api(request: Request, body: Confirmation):
    """The requester confirms it was done (closes it) or says not (reopens it)."""
    session = get_session(request)
    await confirm(session, request.path_params["token"], body)
    return await track(session, request.path_params["token"])


async def counts_api(request: Request, query):
    """Counts of requests per area, category and status: all the public may know."""
    return await request_counts(get_session(request), query.incident_id)


async def operator_create_api(request: Request, body: HelpRequestCreate, user: User):
    """A hotline operator logs a caller's request."""
    row, token = await submit(
        get_session(request), body, channel=Channel.phone, actor=user, link_for=_link_for(request)
    )
    return api.Answer(
        HelpRequestReceipt(
            id=row.id,
            status=row.status,
            reference=row.reference,
            follow_up_url=_follow_up_url(request, token),
        ),
        status_code=201,
    )
