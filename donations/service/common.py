"""Checks shared by the donations services: targets belong to their incident, who owns what."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.i18n import _
from core.models import Role, User
from donations.models import Offer
from recovery.service import get_incident, get_need, get_project


async def check_targets(
    session: AsyncSession,
    *,
    incident_id: int,
    need_id: int | None = None,
    project_id: int | None = None,
) -> None:
    """The incident exists and the need or project, when given, belongs to it."""
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


def owns_offer(user: User, offer: Offer) -> bool:
    """The person who posted it, or any member of the organization it was posted for."""
    if offer.owner_id == user.id:
        return True
    return (
        user.role == Role.ngo
        and offer.organization_id is not None
        and offer.organization_id == user.organization_id
    )
