"""Fetch one recovery object by id, or raise the domain's not-found error."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from recovery.errors import (
    AreaNotFound,
    IncidentNotFound,
    NeedNotFound,
    ProjectNotFound,
    TaskNotFound,
)
from recovery.models import Area, Incident, Need, Project, Task


async def get_incident(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFound(_("No such incident."), fields={"incident_id": _("not found")})
    return incident


async def get_area(session: AsyncSession, area_id: int) -> Area:
    area = await session.get(Area, area_id)
    if area is None:
        raise AreaNotFound(_("No such area."), fields={"area_id": _("not found")})
    return area


async def get_need(session: AsyncSession, need_id: int) -> Need:
    need = await session.get(Need, need_id)
    if need is None:
        raise NeedNotFound(_("No such need."), fields={"need_id": _("not found")})
    return need


async def get_project(session: AsyncSession, project_id: int) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise ProjectNotFound(_("No such project."), fields={"project_id": _("not found")})
    return project


async def get_task(session: AsyncSession, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    if task is None:
        raise TaskNotFound(_("No such task."), fields={"task_id": _("not found")})
    return task
