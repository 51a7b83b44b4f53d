"""Helpers the donations pages share: incident choice, category labels, post-redirect."""

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import lazy_gettext
from core.web import redirect
from recovery.service.catalog import list_incidents

CATEGORIES = [
    ("shelter", lazy_gettext("Shelter")),
    ("food", lazy_gettext("Food")),
    ("water_sanitation", lazy_gettext("Water and sanitation")),
    ("health", lazy_gettext("Health")),
    ("psychosocial", lazy_gettext("Psychosocial support")),
    ("education", lazy_gettext("Education")),
    ("logistics", lazy_gettext("Logistics")),
    ("debris_removal", lazy_gettext("Debris removal")),
    ("construction", lazy_gettext("Construction")),
    ("livelihoods", lazy_gettext("Livelihoods")),
    ("protection", lazy_gettext("Protection")),
]
CATEGORY_LABELS = dict(CATEGORIES)


async def incident_choice(request: Request, session) -> tuple[list, int | None]:
    """Incidents to pick from, and the one chosen by ?incident_id= (else the newest)."""
    incidents = await list_incidents(session)
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
