"""Matching runs: feed open needs and open offers to the engine, store what it proposes."""

import asyncio
import time
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.domain import gather
from core.i18n import _
from core.matching import MatchResult, NeedInput, OfferInput, match
from core.models import Organization, User
from donations.errors import RunNotFound
from donations.labels import CATEGORY_CHOICES, PRIORITY_CHOICES
from donations.models import Match, MatchingRun, MatchStatus, Offer, OfferStatus, UnmetLine
from donations.service.matches import promised_in_incident
from recovery.service import area_choices, ensure_can_act, get_need, open_need_rows


async def inputs(
    session: AsyncSession, incident_id: int, today: date
) -> tuple[list[NeedInput], list[OfferInput]]:
    needs = await open_need_rows(session, incident_id)
    pending = await promised_in_incident(session, incident_id)
    need_inputs = []
    for n in needs:
        remaining = n.quantity - n.quantity_met - pending.get(n.id, 0)
        if remaining > 0:
            need_inputs.append(
                NeedInput(
                    id=n.id,
                    category=n.category,
                    unit=n.unit,
                    quantity=remaining,
                    priority=n.priority,
                    needed_by=n.needed_by,
                    lat=n.lat,
                    lon=n.lon,
                    area_id=n.area_id,
                )
            )
    # Other domains bring their offers up to date first (preparedness: warehouse stock).
    await gather("matching.offers", session, incident_id)
    # Plain rows, not ORM objects: a province has tens of thousands of offers.
    offers = await session.execute(
        select(
            Offer.id,
            Offer.category,
            Offer.unit,
            Offer.quantity,
            Offer.quantity_committed,
            Offer.lat,
            Offer.lon,
            Offer.radius_km,
            Offer.available_from,
            Offer.available_until,
        ).where(
            Offer.incident_id == incident_id,
            Offer.status == OfferStatus.open.value,
            Offer.available_until >= today,
            Offer.quantity_committed < Offer.quantity,
        )
    )
    offer_inputs = [
        OfferInput(id, category, unit, quantity - committed, lat, lon, radius, start, until)
        for id, category, unit, quantity, committed, lat, lon, radius, start, until in offers
    ]
    return need_inputs, offer_inputs


async def run(session: AsyncSession, *, incident_id: int, actor: User) -> MatchingRun:
    """Solve, store proposals and unmet lines; earlier undecided proposals are superseded."""
    incident = await ensure_can_act(session, actor, incident_id)
    # Offers run out by the incident's own calendar, as recovery's incident_today counts it.
    today = clock.today(incident.time_zone)
    needs, offers = await inputs(session, incident_id, today)
    started = time.perf_counter()
    # The solver is CPU-bound; a worker thread keeps other requests flowing meanwhile.
    result = await asyncio.to_thread(match, needs, offers, today=today)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    earlier_runs = select(MatchingRun.id).where(MatchingRun.incident_id == incident_id)
    await session.execute(
        update(Match)
        .where(Match.run_id.in_(earlier_runs), Match.status == MatchStatus.proposed.value)
        .values(status=MatchStatus.superseded.value)
        .execution_options(synchronize_session=False)
    )
    matching_run = MatchingRun(
        incident_id=incident_id,
        created_by_id=actor.id,
        needs_considered=len(needs),
        offers_considered=len(offers),
        duration_ms=elapsed_ms,
    )
    session.add(matching_run)
    await session.flush()
    await store_result(session, matching_run.id, needs, result)
    await audit.record(
        session,
        actor=actor,
        action="matching.run",
        obj=matching_run,
        after=audit.snapshot(matching_run)
        | {"proposals": len(result.proposals), "unmet": len(result.unmet)},
    )
    return matching_run


async def store_result(
    session: AsyncSession, run_id: int, needs: list[NeedInput], result: MatchResult
) -> None:
    """Proposals and unmet lines of a run, written in bulk (one executemany per table)."""
    needed_by = {n.id: n.needed_by for n in needs}
    now = clock.utcnow()
    if result.proposals:
        await session.execute(
            insert(Match.__table__),
            [
                {
                    "run_id": run_id,
                    "need_id": p.need_id,
                    "offer_id": p.offer_id,
                    "quantity": p.quantity,
                    "quantity_fulfilled": 0,
                    "distance_km": p.distance_km,
                    "needed_by": needed_by[p.need_id],
                    "reasons": list(p.reasons),
                    "status": MatchStatus.proposed.value,
                    "created_at": now,
                }
                for p in result.proposals
            ],
        )
    if result.unmet:
        await session.execute(
            insert(UnmetLine.__table__),
            [
                {"run_id": run_id, "need_id": u.need_id, "quantity": u.quantity, "reason": u.reason}
                for u in result.unmet
            ],
        )


async def get_run(session: AsyncSession, run_id: int) -> MatchingRun:
    row = await session.get(MatchingRun, run_id)
    if row is None:
        raise RunNotFound(_("No such matching run."))
    return row


async def latest_run(session: AsyncSession, incident_id: int) -> MatchingRun | None:
    return await session.scalar(
        select(MatchingRun)
        .where(MatchingRun.incident_id == incident_id)
        .order_by(MatchingRun.id.desc())
        .limit(1)
    )


async def run_details(
    session: AsyncSession, run_id: int
) -> tuple[MatchingRun, list[Match], list[UnmetLine]]:
    matching_run = await get_run(session, run_id)
    proposals = await session.scalars(
        select(Match).where(Match.run_id == run_id).order_by(Match.need_id, Match.offer_id)
    )
    unmet = await session.scalars(
        select(UnmetLine).where(UnmetLine.run_id == run_id).order_by(UnmetLine.need_id)
    )
    return matching_run, list(proposals), list(unmet)


async def offer_labels(session: AsyncSession, offer_ids: set[int]) -> dict[int, str]:
    """Who offers what, for officials deciding: the organization (or donor) and the amount."""
    labels = {}
    for offer_id in offer_ids:
        offer = await session.get(Offer, offer_id)
        if offer is None:
            continue
        owner = (
            await session.get(Organization, offer.organization_id)
            if offer.organization_id
            else None
        )
        if owner is None:
            owner = await session.get(User, offer.owner_id)
        labels[offer_id] = f"{owner.name}: {offer.quantity} {offer.unit}"
    return labels


async def need_titles(session: AsyncSession, need_ids: set[int]) -> dict[int, str]:
    return {need_id: (await get_need(session, need_id)).title for need_id in need_ids}


async def proposal_view(session: AsyncSession, proposal: Match) -> dict:
    """What one proposal's row shows: the need's title and who offers what."""
    matching_run = await get_run(session, proposal.run_id)
    return {
        "p": proposal,
        "incident_id": matching_run.incident_id,
        "titles": await need_titles(session, {proposal.need_id}),
        "offer_labels": await offer_labels(session, {proposal.offer_id}),
    }


async def desk(session: AsyncSession, incident_id: int | None) -> dict:
    """The matching desk of an incident: its latest run, proposals and unmet needs."""
    view: dict = {"run": None}
    latest = await latest_run(session, incident_id) if incident_id else None
    if latest is None:
        return view
    matching_run, proposals, unmet = await run_details(session, latest.id)
    need_ids = {p.need_id for p in proposals} | {u.need_id for u in unmet}
    return {
        "run": matching_run,
        "undecided": sum(p.status == MatchStatus.proposed.value for p in proposals),
        "areas": await area_choices(session, incident_id),
        "category_choices": CATEGORY_CHOICES,
        "priority_choices": PRIORITY_CHOICES,
        "proposals": proposals,
        "unmet": unmet,
        "titles": await need_titles(session, need_ids),
        "offer_labels": await offer_labels(session, {p.offer_id for p in proposals}),
    }


async def run_report(session: AsyncSession, run_id: int) -> dict:
    """A run with its proposals and unmet lines, as the API answers it."""
    matching_run, proposals, unmet = await run_details(session, run_id)
    described = []
    for p in proposals:
        offer = await session.get(Offer, p.offer_id)
        # What another domain knows of the offer's source, e.g. {"warehouse_id": n}.
        source = await gather("offer.source", session, p.offer_id)
        described.append(p.model_dump() | {"offer_kind": offer.kind if offer else None} | source)
    return {
        "id": matching_run.id,
        "incident_id": matching_run.incident_id,
        "created_at": matching_run.created_at,
        "proposals": described,
        "unmet": unmet,
    }
