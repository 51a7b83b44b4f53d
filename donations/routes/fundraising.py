"""Fundraising activities: the disclosures page's forms for them, and the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.forms import form_page
from core.models import Role, User
from core.types import to_minor
from donations.routes.disclosures import page_context, publish_form
from donations.schemas import (
    DisclosureCreate,
    FundraisingCreate,
    FundraisingQuery,
)
from donations.service import disclosures, fundraising
from recovery.service import ensure_can_act, get_incident


async def activity_new(request: Request) -> Response:
    user = await require(request, Role.official)
    incident = await get_incident(get_session(request), request.path_params["id"])
    # Refused before the form is read: a re-rendered form would show the incident's page.
    await ensure_can_act(get_session(request), user, incident.id)
    typed: dict = {}

    def prepare(data: dict) -> dict:
        typed.update(data)
        names = ("title", "description", "record_number", "starts_on", "ends_on", "currency")
        fields = {name: data[name] for name in names if data.get(name) is not None}
        if data.get("goal"):
            # The goal is typed in major units; text that does not parse is refused by name.
            goal = str(data["goal"])
            fields["goal_minor"] = to_minor(goal, str(data.get("currency") or "")) or goal
        return fields | {"incident_id": incident.id}

    async def context(_data: dict) -> dict:
        return await page_context(request, incident.id) | {
            "failed": "fundraising_new",
            "form": typed,
        }

    return await form_page(
        request, "donations/disclosures.html", block="fundraising", schema=FundraisingCreate,
        user=user, prepare=prepare, context=context,
        action=lambda session, body, user: fundraising.create_activity(
            session, data=body, actor=user
        ),
        success=lambda row: request.url_for("donations:disclosures", id=row.incident_id),
    )  # fmt: skip


async def activity_disclosure_publish(request: Request) -> Response:
    user = await require(request, Role.official)
    activity = await fundraising.get_activity(get_session(request), request.path_params["id"])
    return await publish_form(
        request, user, disclosures.activity_subject(activity),
        lambda session, body, user: disclosures.publish_for_activity(
            session, activity_id=activity.id, data=body, actor=user
        ),
    )  # fmt: skip


async def create_activity(request: Request, body: FundraisingCreate, user: User):
    """Register a fundraising activity (appeal); it discloses on the Charity Law's calendar."""
    activity = await fundraising.create_activity(get_session(request), data=body, actor=user)
    return activity.model_dump() | {"raised_minor": 0, "gifts": 0}


async def list_activities(request: Request, query: FundraisingQuery):
    """The incident's fundraising activities, with what each raised."""
    session = get_session(request)
    await get_incident(session, query.incident_id)
    rows, total = await fundraising.list_activities(
        session, query.incident_id, limit=query.limit, offset=query.offset
    )
    return api.page(rows, total)


async def create_activity_disclosure(request: Request, body: DisclosureCreate, user: User):
    """Publish what an activity raised and how it was used for a period, frozen from the ledger."""
    return await disclosures.publish_for_activity(
        get_session(request), activity_id=request.path_params["id"], data=body, actor=user
    )
