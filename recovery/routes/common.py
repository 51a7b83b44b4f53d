"""Helpers the recovery handlers share: who is an official, form data, redirects, choices."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core import api, audit
from core.auth import current_user, require
from core.db import get_session
from core.forms import form_dict
from core.models import Role, User
from core.web import render
from recovery.labels import LABELS
from recovery.models import Incident
from recovery.service import incidents as incident_service
from recovery.service.access import ensure_official, is_official


async def official(request: Request) -> User:
    """The signed-in official of a verified government organization, else 401/403."""
    user = await require(request, Role.official)
    return await ensure_official(get_session(request), user)


async def viewer_is_official(request: Request) -> bool:
    return await is_official(get_session(request), await current_user(request))


async def form_data(request: Request) -> dict[str, Any]:
    """Submitted fields without the blank ones, so models apply their defaults."""
    return {k: v for k, v in (await form_dict(request)).items() if v is not None}


def int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() else None


async def incident_choices(request: Request) -> list[Incident]:
    incidents, _total = await incident_service.list_incidents(get_session(request), limit=200)
    return incidents


async def page(request: Request, name: str, context: dict[str, Any], **kwargs: Any) -> Response:
    """`render` with the domain's translated labels available as `L`."""
    return await render(
        request,
        name,
        {
            "L": LABELS,
            "incident_options": incident_options,
            "zone_options": zone_options,
            "org_options": org_options,
            "audit_changes": audit.changes,
            **context,
        },
        **kwargs,
    )


def incident_options(incidents: list[Incident]) -> list[tuple[int, str]]:
    return [(incident.id, incident.name) for incident in incidents]


def zone_options(zones: tuple[str, ...], current: str | None) -> list[tuple[str, str]]:
    """The usual time zones, plus the current one when it is not among them."""
    names = list(zones) + ([current] if current and current not in zones else [])
    return [(name, name) for name in names]


def org_options(organizations: list) -> list[tuple[int, str]]:
    return [(org.id, org.name) for org in organizations]


def api_route(path, handler, name, methods=("GET",), auth="public", tag="recovery", **kwargs):
    """An ApiRoute with the domain's usual arguments in a short form."""
    return api.ApiRoute(path, handler, methods=methods, name=name, auth=auth, tags=[tag], **kwargs)
