"""Disclosures: the public calendar page of an incident, the officials' publish form, and the
/api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.forms import form_page
from core.models import Role, User
from core.web import render
from donations.schemas import DisclosureCreate, DisclosureQuery
from donations.service import disclosures, fundraising
from recovery.service import can_act, ensure_can_act, get_incident, get_project, incident_today


async def page_context(request: Request, incident_id: int) -> dict:
    session = get_session(request)
    incident = await get_incident(session, incident_id)
    viewer = await current_user(request)
    return {
        "incident": incident,
        "rows": await disclosures.calendar_rows(session, incident.id),
        "history": {
            row.id: row for row in await disclosures.incident_disclosures(session, incident.id)
        },
        "may_publish": viewer is not None
        and viewer.role == Role.official
        and await can_act(session, viewer, incident.id),
        "today": incident_today(incident),
        "activities": (await fundraising.list_activities(session, incident.id))[0],
        "currency": request.app.state.settings.currency,
    }


async def disclosures_page(request: Request) -> Response:
    context = await page_context(request, request.path_params["id"])
    return await render(
        request, "donations/disclosures.html", context | {"errors": {}, "form": {}, "failed": None}
    )


async def publish_form(request: Request, user: User, subject, action) -> Response:
    """The calendar's publish form for one project or fundraising activity (`subject`): the
    agency is checked before the form is read, and a refusal re-renders the calendar."""
    await ensure_can_act(get_session(request), user, subject.incident_id)

    async def context(_data: dict) -> dict:
        return await page_context(request, subject.incident_id) | {
            "failed": (subject.kind, subject.id)
        }

    return await form_page(
        request, "donations/disclosures.html", block="calendar", schema=DisclosureCreate,
        user=user, drop_blank=True, context=context, action=action,
        success=lambda row: request.url_for("donations:disclosures", id=row.incident_id),
    )  # fmt: skip


async def disclosure_publish(request: Request) -> Response:
    user = await require(request, Role.official)
    project = await get_project(get_session(request), request.path_params["id"])
    return await publish_form(
        request, user, disclosures.project_subject(project),
        lambda session, body, user: disclosures.publish(
            session, project_id=project.id, data=body, actor=user
        ),
    )  # fmt: skip


async def create_disclosure(request: Request, body: DisclosureCreate, user: User):
    """Publish a project's disclosure for a period; its figures are frozen from the ledger."""
    return await disclosures.publish(
        get_session(request), project_id=request.path_params["id"], data=body, actor=user
    )


async def list_disclosures(request: Request, query: DisclosureQuery):
    """Every project of the incident with its latest disclosure and the next one due."""
    rows = await disclosures.calendar_rows(get_session(request), query.incident_id, "project")
    return api.page(rows[query.offset : query.offset + query.limit], len(rows))


async def list_activity_disclosures(request: Request, query: DisclosureQuery):
    """Every fundraising activity of the incident with its latest disclosure and the next one
    due (projects are listed by `GET /api/v1/disclosures`)."""
    rows = await disclosures.calendar_rows(get_session(request), query.incident_id, "fundraising")
    return api.page(rows[query.offset : query.offset + query.limit], len(rows))


async def get_disclosure(request: Request):
    """One published disclosure with its frozen figures."""
    return await disclosures.get_disclosure(get_session(request), request.path_params["id"])
