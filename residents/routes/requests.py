"""Help requests: the public form, the follow-up page and link, and their API operations."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.db import get_session
from core.forms import form_page
from core.models import User
from core.web import redirect, render
from recovery.service import CATEGORY_LABELS, incident_choices
from residents.models import VULNERABLE, Channel
from residents.schemas import Confirmation, HelpRequestCreate, HelpRequestReceipt
from residents.service import by_token, confirm, request_counts, submit, track
from residents.service.surveys import incident_surveys


def _follow_up_url(request: Request, token: str) -> str:
    return str(request.url_for("residents:track", token=token))


async def _form_context(request: Request):
    incidents = await incident_choices(get_session(request))
    return {
        "incidents": [(i.id, i.name) for i in incidents],
        "categories": [(key, label) for key, label in CATEGORY_LABELS.items()],
        "vulnerable": VULNERABLE,
    }


async def help_page(request: Request) -> Response:
    """The public form: no account, no JavaScript needed, one light page."""
    context = await _form_context(request)
    return await form_page(
        request,
        "residents/help.html",
        block="form",
        schema=HelpRequestCreate,
        lists=("vulnerable",),
        prepare=lambda data: {**data, "consent": data.get("consent") == "on"},
        context=context,
        action=lambda session, body, user: submit(session, body, channel=Channel.web),
        success=lambda result: _follow_up_url(request, result[1]),
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
    """Ask for help; answers the follow-up link (shown once) and a short reference code."""
    row, token = await submit(get_session(request), body, channel=Channel.web)
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
    row, token = await submit(get_session(request), body, channel=Channel.phone, actor=user)
    return api.Answer(
        HelpRequestReceipt(
            id=row.id,
            status=row.status,
            reference=row.reference,
            follow_up_url=_follow_up_url(request, token),
        ),
        status_code=201,
    )
