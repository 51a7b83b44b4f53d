"""Site-wide search over recovery's public records: needs, projects, verified organizations."""

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import SearchHit, SearchSource
from core.domain import search_contains as contains
from core.drills import not_drill
from core.i18n import lazy_gettext
from core.models import Organization, OrgStatus
from core.search import search_columns
from recovery.labels import CATEGORY, NEED_STATUS, ORG_KIND, label
from recovery.models import Need, Project

# Needs, projects and verified organizations are all on the public pages already; drills'
# records are left out as from every platform-wide list.


def _of(column, incident_id: int | None):
    return true() if incident_id is None else column == incident_id


def _needs(text: str, incident_id: int | None):
    return select(
        *search_columns(
            id=Need.id,
            title=Need.title,
            incident_id=Need.incident_id,
            note=Need.category,
            state=Need.status,
            order_by=(Need.priority_rank, Need.needed_by, Need.id),
        )
    ).where(
        not_drill(Need.incident_id),
        _of(Need.incident_id, incident_id),
        or_(contains(Need.title, text), contains(Need.description, text)),
    )


async def _need_hits(session: AsyncSession, rows) -> list[SearchHit]:
    return [
        SearchHit(
            title=row.title,
            route="recovery:need",
            params={"id": row.id},
            detail=f"{label(CATEGORY, row.note)} · {label(NEED_STATUS, row.state)}",
        )
        for row in rows
    ]


def _projects(text: str, incident_id: int | None):
    return select(
        *search_columns(
            id=Project.id,
            title=Project.title,
            incident_id=Project.incident_id,
            note=Project.progress,
            order_by=(Project.due_on, Project.id),
        )
    ).where(
        not_drill(Project.incident_id),
        _of(Project.incident_id, incident_id),
        or_(contains(Project.title, text), contains(Project.description, text)),
    )


async def _project_hits(session: AsyncSession, rows) -> list[SearchHit]:
    return [
        SearchHit(
            title=row.title,
            route="recovery:project",
            params={"id": row.id},
            detail=f"{row.note} %",
        )
        for row in rows
    ]


def _organizations(text: str, incident_id: int | None):
    # An organization belongs to no incident: `incident_id` narrows the other kinds only.
    return select(
        *search_columns(
            id=Organization.id,
            title=Organization.name,
            note=Organization.kind,
            order_by=(Organization.name, Organization.id),
        )
    ).where(
        Organization.status == OrgStatus.verified,
        or_(contains(Organization.name, text), contains(Organization.description, text)),
    )


async def _organization_hits(session: AsyncSession, rows) -> list[SearchHit]:
    return [
        SearchHit(
            title=row.title,
            route="recovery:organization",
            params={"id": row.id},
            detail=label(ORG_KIND, row.note),
        )
        for row in rows
    ]


SOURCES = [
    SearchSource("needs", lazy_gettext("Needs"), _needs, _need_hits),
    SearchSource("projects", lazy_gettext("Projects"), _projects, _project_hits),
    SearchSource(
        "organizations", lazy_gettext("Organizations"), _organizations, _organization_hits
    ),
]
