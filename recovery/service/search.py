"""Site-wide search over recovery's public records: needs, projects, organizations."""

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import SearchGroup, SearchHit
from core.domain import search_contains as contains
from core.drills import not_drill
from core.i18n import lazy_gettext
from core.models import Organization, OrgStatus
from recovery.labels import CATEGORY, NEED_STATUS, ORG_KIND, label
from recovery.models import Need, Project


async def _group(session, kind, title, query, where, hit) -> SearchGroup:
    rows = await session.scalars(query.where(where))
    total = await session.scalar(select(func.count()).select_from(query.where(where).subquery()))
    return SearchGroup(kind=kind, label=title, hits=[hit(row) for row in rows], total=total or 0)


async def search(session: AsyncSession, text: str, limit: int) -> list[SearchGroup]:
    """Needs (title, description), projects (title, description) and verified organizations
    (name, description) containing `text`; all are on the public pages already, and drills'
    records are left out as from every platform-wide list."""
    needs = await _group(
        session,
        "needs",
        lazy_gettext("Needs"),
        select(Need).order_by(Need.priority_rank, Need.needed_by, Need.id).limit(limit),
        not_drill(Need.incident_id)
        & or_(contains(Need.title, text), contains(Need.description, text)),
        lambda n: SearchHit(
            title=n.title,
            route="recovery:need",
            params={"id": n.id},
            detail=f"{label(CATEGORY, n.category)} · {label(NEED_STATUS, n.status)}",
        ),
    )
    projects = await _group(
        session,
        "projects",
        lazy_gettext("Projects"),
        select(Project).order_by(Project.due_on, Project.id).limit(limit),
        not_drill(Project.incident_id)
        & or_(contains(Project.title, text), contains(Project.description, text)),
        lambda p: SearchHit(
            title=p.title,
            route="recovery:project",
            params={"id": p.id},
            detail=f"{p.progress} %",
        ),
    )
    organizations = await _group(
        session,
        "organizations",
        lazy_gettext("Organizations"),
        select(Organization).order_by(Organization.name, Organization.id).limit(limit),
        (Organization.status == OrgStatus.verified)
        & or_(contains(Organization.name, text), contains(Organization.description, text)),
        lambda o: SearchHit(
            title=o.name,
            route="recovery:organization",
            params={"id": o.id},
            detail=str(label(ORG_KIND, o.kind)),
        ),
    )
    return [needs, projects, organizations]
