"""Progress reports: drafts, publishing with a frozen snapshot of the figures, safe Markdown."""

from functools import cache

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.domain import gather
from core.drills import not_drill
from core.errors import Conflict, Forbidden
from core.i18n import _
from core.models import User
from recovery.errors import ReportNotFound
from recovery.models import Need, NeedStatus, Project, Report, ReportStatus, Task, TaskStatus
from recovery.schemas import ReportCreate, ReportQuery, ReportUpdate
from recovery.service.access import acting_incident_ids, can_act, ensure_can_act, is_official
from recovery.service.met import average_met, met_share_sum


@cache
def _markdown():
    # Built on the first report shown: markdown-it and nh3 cost every web worker over 2 MB.
    from markdown_it import MarkdownIt

    # Raw HTML in the source is shown as text, and nh3 cleans what Markdown itself produces.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> str:
    import nh3

    return nh3.clean(_markdown().render(source or ""))


async def get_report(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise ReportNotFound(_("No such report."), fields={"report_id": _("not found")})
    return report


async def get_visible_report(session: AsyncSession, report_id: int, user: User | None) -> Report:
    """A published report for anyone; a draft only for the officials acting on its incident
    (everyone else, another agency's officials too, gets a 404)."""
    report = await get_report(session, report_id)
    if report.status != ReportStatus.published and not await can_act(
        session, user, report.incident_id
    ):
        raise ReportNotFound(_("No such report."), fields={"report_id": _("not found")})
    return report


async def create_report(session: AsyncSession, data: ReportCreate, *, actor: User) -> Report:
    await ensure_can_act(session, actor, data.incident_id)
    now = utcnow()
    report = Report(**data.model_dump(), created_by_id=actor.id, created_at=now, updated_at=now)
    session.add(report)
    await session.flush()
    await audit.record(
        session, actor=actor, action="report.create", obj=report, after=audit.snapshot(report)
    )
    return report


async def update_report(
    session: AsyncSession, report_id: int, data: ReportUpdate, *, actor: User
) -> Report:
    report = await get_report(session, report_id)
    await ensure_can_act(session, actor, report.incident_id)
    if report.status == ReportStatus.published:
        raise Conflict(
            _("A published report is part of the record and cannot be changed."),
            fields={"status": _("already published")},
        )
    before = audit.snapshot(report)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(report, key, value)
    report.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="report.update",
        obj=report,
        before=before,
        after=audit.snapshot(report),
    )
    return report


async def incident_figures(session: AsyncSession, incident_id: int) -> dict:
    """The figures a report freezes: needs met, tasks done, projects, and other domains' funds."""
    need_rows = await session.execute(
        select(
            Need.status,
            func.count(),
            met_share_sum(),
        )
        .where(Need.incident_id == incident_id, Need.status != NeedStatus.cancelled)
        .group_by(Need.status)
    )
    by_status = {}
    share_sum = 0.0
    for status, count, share in need_rows.all():
        by_status[status] = count
        share_sum += share or 0.0
    needs_total = sum(by_status.values())
    average = average_met(share_sum, needs_total)
    task_rows = await session.execute(
        select(Task.status, func.count())
        .join(Project, Project.id == Task.project_id)
        .where(Project.incident_id == incident_id)
        .group_by(Task.status)
    )
    tasks = {status: count for status, count in task_rows.all()}
    projects = await session.execute(
        select(func.count(), func.coalesce(func.avg(Project.progress), 0)).where(
            Project.incident_id == incident_id
        )
    )
    project_count, project_progress = projects.one()
    figures = {
        "needs": {
            "total": needs_total,
            "by_status": by_status,
            "met": by_status.get(NeedStatus.met, 0),
            "met_percent": round(100 * by_status.get(NeedStatus.met, 0) / needs_total, 1)
            if needs_total
            else 0.0,
            # The headline figure, as the dashboard shows it (recovery.service.met).
            "average_met_percent": round(100 * average, 1) if average is not None else None,
        },
        "tasks": {
            "total": sum(tasks.values()),
            "done": tasks.get(TaskStatus.done, 0),
            "blocked": tasks.get(TaskStatus.blocked, 0),
        },
        "projects": {"total": project_count, "average_progress": round(float(project_progress))},
    }
    figures.update(await gather("incident.figures", session, incident_id))
    return figures


async def publish_report(session: AsyncSession, report_id: int, *, actor: User) -> Report:
    report = await get_report(session, report_id)
    await ensure_can_act(session, actor, report.incident_id)
    if report.status == ReportStatus.published:
        raise Conflict(_("This report is already published."), fields={"status": _("published")})
    before = audit.snapshot(report)
    now = utcnow()
    report.snapshot = audit.snapshot(await incident_figures(session, report.incident_id)) | {
        "as_of": now.isoformat()
    }
    report.status = ReportStatus.published
    report.published_at = now
    report.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="report.publish",
        obj=report,
        before=before,
        after=audit.snapshot(report),
    )
    return report


async def list_reports(
    session: AsyncSession, query: ReportQuery, *, user: User | None
) -> tuple[list[Report], int]:
    """Published reports, newest first; officials may also list drafts."""
    conditions = []
    if query.incident_id is not None:
        conditions.append(Report.incident_id == query.incident_id)
    else:
        # The platform-wide list leaves drills out (a drill's own list shows its reports).
        conditions.append(not_drill(Report.incident_id))
    if query.status == ReportStatus.draft and not await is_official(session, user):
        raise Forbidden(
            _("Only officials may see draft reports."), fields={"status": _("officials only")}
        )
    if query.status is not None:
        conditions.append(Report.status == query.status)
    if not await is_official(session, user):
        conditions.append(Report.status == ReportStatus.published)
    else:  # an official sees the drafts of the incidents their agency acts on, no others
        conditions.append(
            or_(
                Report.status == ReportStatus.published,
                Report.incident_id.in_(acting_incident_ids(user)),
            )
        )
    total = await session.scalar(select(func.count()).select_from(Report).where(*conditions))
    rows = await session.scalars(
        select(Report)
        .where(*conditions)
        .order_by(Report.published_at.desc().nulls_first(), Report.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(rows), total or 0


async def feed_reports(session: AsyncSession, incident) -> list[Report]:
    """The incident's published reports for its Atom feed, newest first; none for a drill.

    A feed is syndicated beyond the page that marks a drill as an exercise, so a drill's feed
    is a well-formed, empty feed, like the open-data exports asked for by a drill's id."""
    if incident.exercise:
        return []
    query = ReportQuery(incident_id=incident.id, status=ReportStatus.published, limit=50)
    rows, _total = await list_reports(session, query, user=None)
    return rows


def report_view(report: Report) -> dict:
    """A report with its Markdown rendered, as the API shows it."""
    return report.model_dump() | {"body_html": render_markdown(report.body_markdown)}
