"""Fetch one recovery object by id (or lock it for an update), else raise the not-found error."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.i18n import _
from core.models import Organization
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


async def get_organization(session: AsyncSession, org_id: int) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organization."), fields={"id": _("not found")})
    return org


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


async def _locked(session: AsyncSession, model, object_id: int):
    """The row, locked for this transaction's read-modify-write.

    FOR UPDATE serializes writers on PostgreSQL; SQLite drops it, but there every write
    transaction starts with BEGIN IMMEDIATE and so already runs alone.
    """
    return await session.scalar(
        select(model)
        .where(model.id == object_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lock_need(session: AsyncSession, need_id: int) -> Need:
    need = await _locked(session, Need, need_id)
    if need is None:
        raise NeedNotFound(_("No such need."), fields={"need_id": _("not found")})
    return need


async def lock_project(session: AsyncSession, project_id: int) -> Project:
    project = await _locked(session, Project, project_id)
    if project is None:
        raise ProjectNotFound(_("No such project."), fields={"project_id": _("not found")})
    return project


async def lock_task(session: AsyncSession, task_id: int) -> Task:
    task = await _locked(session, Task, task_id)
    if task is None:
        raise TaskNotFound(_("No such task."), fields={"task_id": _("not found")})
    return task
