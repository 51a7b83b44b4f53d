"""Lists other domains need (incidents to choose from, an incident's projects), read-only."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recovery.models import Incident, Project


async def list_incidents(session: AsyncSession, *, limit: int = 200) -> list[Incident]:
    rows = await session.scalars(select(Incident).order_by(Incident.started_on.desc()).limit(limit))
    return list(rows)


async def incident_projects(session: AsyncSession, incident_id: int) -> list[Project]:
    rows = await session.scalars(
        select(Project).where(Project.incident_id == incident_id).order_by(Project.id)
    )
    return list(rows)
