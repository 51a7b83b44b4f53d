"""Helpers the donations pages share: incident choice, category labels, post-redirect."""

from starlette.requests import Request
from starlette.responses import Response

from core.web import redirect
from recovery import labels
from recovery.service import list_incidents

# Offers use the need categories, named as the recovery pages name them.
CATEGORY_LABELS = labels.CATEGORY
CATEGORIES = list(CATEGORY_LABELS.items())


async def incident_choice(request: Request, session) -> tuple[list, int | None]:
    """Incidents to pick from, and the one chosen by ?incident_id= (else the newest)."""
    incidents, _total = await list_incidents(session, limit=200)
    chosen = as_id(request.query_params.get("incident_id"))
    if chosen is None and incidents:
        chosen = incidents[0].id
    return incidents, chosen


def as_id(value) -> int | None:
    """A positive integer from a form or query value, or None (never an exception)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def done(request: Request, target) -> Response:
    """After a successful form: a redirect, or htmx's HX-Redirect for a fragment request."""
    return redirect(request, str(target))
