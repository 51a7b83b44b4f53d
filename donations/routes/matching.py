"""Matching runs: the officials' matching desk and the run operations of the API."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.api import Answer
from core.auth import require
from core.db import get_session
from core.errors import DomainError, InvalidInput
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Role, User
from core.web import render
from donations.schemas import BulkDecision, BulkDecisionResult, ProposalPublic, RunCreate
from donations.service import incidents, matches, matching, proposals
from recovery.service import ensure_can_act, get_incident


async def matching_desk(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    choices, incident_id = await incidents.choose_to_act(
        session, request.query_params.get("incident_id"), user
    )
    offset = incidents.as_id(request.query_params.get("offset")) or 0
    view = await proposals.desk(session, incident_id, offset=offset)
    return await render(
        request,
        "donations/matching.html",
        {
            "incidents": choices,
            "incident_id": incident_id,
            "time_zone": incidents.zone_of(choices, incident_id),
            **view,
        },
    )


async def run_matching(request: Request) -> Response:
    """The desk's one button: queue a run for the incident on the page, then watch it."""
    user = await require(request, Role.official)
    form = await form_dict(request)
    incident_id = incidents.as_id(form.get("incident_id")) or 0
    bound = form.get("max_area_gap_pct") or None
    # An unknown incident is the service's 404; only the bound is checked here.
    body, errors = validate(RunCreate, {"incident_id": incident_id or 1, "max_area_gap_pct": bound})
    if body is None:
        raise InvalidInput(_("Check the run's settings."), fields=errors)
    matching_run = await matching.start_run(
        get_session(request), incident_id=incident_id, actor=user,
        max_area_gap_pct=body.max_area_gap_pct,
    )  # fmt: skip
    target = request.url_for("donations:matching_run_page", id=matching_run.id)
    return RedirectResponse(target, status_code=303)


async def run_page(request: Request) -> Response:
    """One run: a progress bar (polled by htmx) until it is done, then what it found."""
    user = await require(request, Role.official)
    session = get_session(request)
    run = await matching.get_run(session, request.path_params["id"])
    await ensure_can_act(session, user, run.incident_id)
    view = await matching.run_progress(session, run.id)
    view["time_zone"] = (await get_incident(session, run.incident_id)).time_zone
    template = "donations/_run_progress.html" if "HX-Request" in request.headers else None
    return await render(request, template or "donations/run.html", view)


async def create_run(request: Request, body: RunCreate, user: User):
    """Queue a matching run (202): it goes through the job queue; poll its `Location`."""
    session = get_session(request)
    matching_run = await matching.start_run(
        session, incident_id=body.incident_id, actor=user,
        max_area_gap_pct=body.max_area_gap_pct,
    )  # fmt: skip
    location = str(request.url_for("api:matching_runs_get", id=matching_run.id))
    return Answer(
        await proposals.run_report(session, matching_run.id),
        status_code=202,
        headers={"Location": location},
    )


async def decide_all(request: Request, body: BulkDecision, user: User):
    """Accept or decline, in one action, every undecided proposal fitting a filter."""
    decided = await matches.decide_all(
        get_session(request), run_id=request.path_params["id"], actor=user,
        **body.model_dump(),
    )  # fmt: skip
    return BulkDecisionResult(
        action=body.action, decided=[ProposalPublic.model_validate(row) for row in decided]
    )


async def decide_all_page(request: Request) -> Response:
    """The desk's "decide all that fit" form; a refusal re-renders the desk saying which."""
    user = await require(request, Role.official)
    session = get_session(request)
    run_id = request.path_params["id"]
    run = await matching.get_run(session, run_id)
    # Refused before the form is read: another agency's official gets a 403, not the desk.
    await ensure_can_act(session, user, run.incident_id)
    body, errors = validate(BulkDecision, await form_dict(request))
    if body is not None:
        try:
            await matches.decide_all(session, run_id=run_id, actor=user, **body.model_dump())
        except DomainError as exc:
            errors = {"form": exc.message}
    if errors:
        choices, _chosen = await incidents.choose_to_act(session, run.incident_id, user)
        view = await proposals.desk(session, run.incident_id)
        return await render(
            request,
            "donations/matching.html",
            {"incidents": choices, "incident_id": run.incident_id, "bulk_errors": errors, **view},
            status_code=422,
        )
    target = request.url_for("donations:matching").include_query_params(incident_id=run.incident_id)
    return RedirectResponse(target, status_code=303)


async def get_run(request: Request, user: User):
    """A matching run with its proposals and unmet needs (officials acting on its incident)."""
    session = get_session(request)
    run = await matching.get_run(session, request.path_params["id"])
    await ensure_can_act(session, user, run.incident_id)
    return await proposals.run_report(session, run.id)
