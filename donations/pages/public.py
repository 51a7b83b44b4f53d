"""Public pages: an incident's money flow and what to give, and the verifiable ledger."""

from starlette.requests import Request
from starlette.responses import Response

from core.db import get_session
from core.web import render
from donations import ledger
from donations.pages.common import CATEGORY_LABELS, incident_choice
from donations.service import figures, offers
from recovery.service import get_incident, incident_projects


async def giving(request: Request) -> Response:
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    per_project = await figures.projects_funds(session, incident.id)
    projects = [
        (p, per_project.get(p.id, {})) for p in await incident_projects(session, incident.id)
    ]
    spent, _total = await ledger.entries(session, incident_id=incident.id, newest_first=True,
                                         limit=20)  # fmt: skip
    return await render(
        request,
        "donations/giving.html",
        {
            "incident": incident,
            "figures": await figures.incident_funds(session, incident.id),
            "projects": projects,
            "most_needed": await figures.most_needed(session, incident.id),
            "dont_send": await offers.dont_send_list(session, incident.id),
            "entries": spent,
            "labels": CATEGORY_LABELS,
        },
    )


async def ledger_page(request: Request) -> Response:
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    offset = request.query_params.get("offset", "0")
    offset = int(offset) if offset.isdigit() else 0
    rows, total = await ledger.entries(session, incident_id=incident_id, limit=50, offset=offset)
    verdict = await ledger.verify(session, incident_id) if incident_id else None
    return await render(
        request,
        "donations/ledger.html",
        {
            "incidents": incidents,
            "incident_id": incident_id,
            "entries": rows,
            "total": total,
            "offset": offset,
            "verdict": verdict,
            "snippet": ledger.VERIFY_SNIPPET,
            "fmt_time": ledger.format_time,
        },
    )
