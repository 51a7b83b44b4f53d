"""What a run found, as the desk and the API show it: proposals, unmet needs, who offers what."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import gather
from core.models import Organization, User
from donations.labels import CATEGORY_CHOICES, PRIORITY_CHOICES
from donations.models import Match, MatchStatus, Offer, OfferKind, UnmetLine
from donations.service.matching import active_run, get_run, latest_run
from recovery.service import area_choices, need_rows

# Ids per IN (...) list: far below every engine's limit on bound parameters.
_IDS_PER_QUERY = 5000
# Proposals and unmet lines the desk shows at once; a province's run has tens of thousands.
DESK_PAGE = 200


async def run_details(
    session: AsyncSession, run_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple:
    """A run with its proposals and unmet lines (one page of each when `limit` is given)."""
    matching_run = await get_run(session, run_id)
    proposals = select(Match).where(Match.run_id == run_id).order_by(Match.need_id, Match.id)
    unmet = select(UnmetLine).where(UnmetLine.run_id == run_id).order_by(UnmetLine.need_id)
    if limit is not None:
        proposals = proposals.limit(limit).offset(offset)
        unmet = unmet.limit(limit).offset(offset)
    return (
        matching_run,
        list(await session.scalars(proposals)),
        list(await session.scalars(unmet)),
    )


async def offer_labels(session: AsyncSession, offer_ids: set[int]) -> dict[int, str]:
    """Who offers what, for officials deciding: the organization (or donor) and the amount."""
    wanted = sorted(offer_ids)
    labels = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        rows = await session.execute(
            select(Offer.id, Offer.quantity, Offer.unit, Organization.name, User.name)
            .join(User, User.id == Offer.owner_id)
            .outerjoin(Organization, Organization.id == Offer.organization_id)
            .where(Offer.id.in_(wanted[start : start + _IDS_PER_QUERY]))
        )
        for offer_id, quantity, unit, organization, person in rows:
            labels[offer_id] = f"{organization or person}: {quantity} {unit}"
    return labels


async def need_titles(session: AsyncSession, need_ids: set[int]) -> dict[int, str]:
    return {need_id: row.title for need_id, row in (await need_rows(session, need_ids)).items()}


async def proposal_view(session: AsyncSession, proposal: Match) -> dict:
    """What one proposal's row shows: the need's title and who offers what."""
    matching_run = await get_run(session, proposal.run_id)
    return {
        "p": proposal,
        "incident_id": matching_run.incident_id,
        "titles": await need_titles(session, {proposal.need_id}),
        "offer_labels": await offer_labels(session, {proposal.offer_id}),
    }


async def desk(session: AsyncSession, incident_id: int | None, *, offset: int = 0) -> dict:
    """The matching desk of an incident: its latest run, one page of proposals and unmet
    needs, and how many wait for a decision."""
    active = await active_run(session, incident_id) if incident_id else None
    view: dict = {"run": None, "active_run": active}
    latest = await latest_run(session, incident_id) if incident_id else None
    if latest is None:
        return view
    offset = max(offset, 0)
    matching_run, proposals, unmet = await run_details(
        session, latest.id, limit=DESK_PAGE, offset=offset
    )
    counts = dict(
        (
            await session.execute(
                select(Match.status, func.count())
                .where(Match.run_id == latest.id)
                .group_by(Match.status)
            )
        ).all()
    )
    unmet_total = await session.scalar(
        select(func.count()).select_from(UnmetLine).where(UnmetLine.run_id == latest.id)
    )
    need_ids = {p.need_id for p in proposals} | {u.need_id for u in unmet}
    return {
        "run": matching_run,
        "active_run": active,
        "undecided": counts.get(MatchStatus.proposed.value, 0),
        "proposal_total": sum(counts.values()),
        "unmet_total": unmet_total or 0,
        "offset": offset,
        "page_size": DESK_PAGE,
        "areas": await area_choices(session, incident_id),
        "category_choices": CATEGORY_CHOICES,
        "priority_choices": PRIORITY_CHOICES,
        "proposals": proposals,
        "unmet": unmet,
        "titles": await need_titles(session, need_ids),
        "offer_labels": await offer_labels(session, {p.offer_id for p in proposals}),
    }


async def run_report(session: AsyncSession, run_id: int) -> dict:
    """A run with its proposals and unmet lines, as the API answers it: a few queries
    whatever the size of the run."""
    matching_run = await get_run(session, run_id)
    columns = Match.__table__.c
    rows = await session.execute(
        select(
            columns.id,
            columns.run_id,
            columns.need_id,
            columns.offer_id,
            columns.quantity,
            columns.quantity_fulfilled,
            columns.distance_km,
            columns.reasons,
            columns.status,
            Offer.kind.label("offer_kind"),
        )
        .outerjoin(Offer, Offer.id == columns.offer_id)
        .where(columns.run_id == run_id)
        .order_by(columns.need_id, columns.id)
    )
    proposals = [dict(row._mapping) for row in rows]
    # What another domain knows of an offer's source, e.g. {"warehouse_id": n}: only stock
    # on hand has one, so only those few offers are asked about.
    sources = {}
    for offer_id in sorted(
        {p["offer_id"] for p in proposals if p["offer_kind"] == OfferKind.reserve}
    ):
        sources[offer_id] = await gather("offer.source", session, offer_id)
    for p in proposals:
        p.update(sources.get(p["offer_id"], {}))
    unmet = await session.execute(
        select(UnmetLine.need_id, UnmetLine.quantity, UnmetLine.reason)
        .where(UnmetLine.run_id == run_id)
        .order_by(UnmetLine.need_id)
    )
    return {
        "id": matching_run.id,
        "incident_id": matching_run.incident_id,
        "created_at": matching_run.created_at,
        "status": matching_run.status,
        "progress": matching_run.percent,
        "phase": matching_run.phase,
        "error": matching_run.error,
        "max_area_gap_pct": matching_run.max_area_gap_pct,
        "summary": matching_run.summary,
        "proposals": proposals,
        "unmet": [dict(row._mapping) for row in unmet],
    }
