"""Incidents as the money sees them: the one a desk shows, and targets that belong to it."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.i18n import _
from core.models import User
from core.types import as_db_id
from donations.models import FundraisingActivity
from recovery.service import (
    acting_incident_ids,
    ensure_can_act,
    get_incident,
    get_need,
    get_project,
    list_incidents,
)


def as_id(value) -> int | None:
    """An id from a form or query value, or None (never an exception)."""
    return as_db_id(value)


async def choose(session: AsyncSession, wanted) -> tuple[list, int | None]:
    """Incidents to pick from, and the one asked for by `wanted` (else the newest)."""
    incidents, _total = await list_incidents(session, limit=200)
    chosen = as_id(wanted)
    if chosen is None and incidents:
        chosen = incidents[0].id
    return incidents, chosen


def zone_of(incidents: list, incident_id: int | None, default: str = "UTC") -> str:
    """The chosen incident's time zone, which the desk's times are shown in."""
    return next((i.time_zone for i in incidents if i.id == incident_id), default)


async def choose_to_act(session: AsyncSession, wanted, actor: User) -> tuple[list, int | None]:
    """For an official's desk: the incidents their agency acts on, and the one asked for (403
    when another agency's, 404 when unknown), else the newest of theirs."""
    incidents, chosen = await choose(session, wanted)
    acting = set(await session.scalars(acting_incident_ids(actor)))
    choices = [incident for incident in incidents if incident.id in acting]
    if as_id(wanted) is not None:
        await ensure_can_act(session, actor, chosen)
    else:
        chosen = choices[0].id if choices else None
    return choices, chosen


async def check_targets(
    session: AsyncSession,
    *,
    incident_id: int,
    need_id: int | None = None,
    project_id: int | None = None,
    fundraising_id: int | None = None,
) -> None:
    """The incident exists and the need, project or fundraising activity, when given,
    belongs to it."""
    await get_incident(session, incident_id)
    if need_id is not None:
        need = await get_need(session, need_id)
        if need.incident_id != incident_id:
            raise InvalidInput(
                _("The need belongs to another incident."),
                fields={"need_id": _("not part of this incident")},
            )
    if project_id is not None:
        project = await get_project(session, project_id)
        if project.incident_id != incident_id:
            raise InvalidInput(
                _("The project belongs to another incident."),
                fields={"project_id": _("not part of this incident")},
            )
    if fundraising_id is not None:
        activity = await session.get(FundraisingActivity, fundraising_id)
        if activity is None or activity.incident_id != incident_id:
            raise InvalidInput(
                _("No such fundraising activity for this incident."),
                fields={"fundraising_id": _("not an activity of this incident")},
            )
