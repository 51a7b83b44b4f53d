"""Matching runs: feed open needs and open offers to the engine, store what it proposes."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.db import side_transaction
from core.domain import gather
from core.errors import DomainError
from core.i18n import _
from core.jobs import enqueue
from core.models import Organization, User
from donations.errors import RunInProgress, RunNotFound
from donations.labels import CATEGORY_CHOICES, PRIORITY_CHOICES
from donations.models import (
    Match,
    MatchingRun,
    MatchStatus,
    Offer,
    OfferStatus,
    RunStatus,
    UnmetLine,
)
from donations.service.matches import promised_in_incident
from recovery.service import area_choices, ensure_can_act, get_incident, get_need, open_need_rows

if TYPE_CHECKING:
    from core.matching import MatchResult, NeedInput, OfferInput

log = logging.getLogger("commons.matching")


async def inputs(
    session: AsyncSession, incident_id: int, today: date
) -> tuple[list[NeedInput], list[OfferInput]]:
    # The engine (and numpy with it) is loaded by the first run, not by every web worker.
    from core.matching import NeedInput, OfferInput

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


JOB = "matching.run"
STALE = timedelta(minutes=15)


async def run(
    session: AsyncSession,
    *,
    incident_id: int,
    actor: User,
    max_area_gap_pct: float | None = None,
) -> MatchingRun:
    """A whole run inside this transaction (the demo, the CLI); requests queue one instead.
    Earlier undecided proposals are superseded."""
    incident = await ensure_can_act(session, actor, incident_id)
    # Offers run out by the incident's own calendar, as recovery's incident_today counts it.
    today = clock.today(incident.time_zone)
    needs, offers = await inputs(session, incident_id, today)
    from core.matching import match

    started = time.perf_counter()
    # The solver is CPU-bound; a worker thread keeps other requests flowing meanwhile.
    result = await asyncio.to_thread(match, needs, offers, today=today)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    matching_run = MatchingRun(
        incident_id=incident_id, created_by_id=actor.id, max_area_gap_pct=max_area_gap_pct
    )
    session.add(matching_run)
    await session.flush()
    await _finish(session, matching_run, actor, needs, offers, result, elapsed_ms)
    return matching_run


async def start_run(
    session: AsyncSession,
    *,
    incident_id: int,
    actor: User,
    max_area_gap_pct: float | None = None,
) -> MatchingRun:
    """Queue a run for the job worker; refused while another run of the incident is queued
    or running."""
    await ensure_can_act(session, actor, incident_id)
    active = MatchingRun.status.in_([RunStatus.queued.value, RunStatus.running.value])
    # A run whose worker stopped reports nothing any more; after STALE it no longer blocks.
    await session.execute(
        update(MatchingRun)
        .where(
            MatchingRun.incident_id == incident_id,
            active,
            MatchingRun.updated_at < clock.utcnow() - STALE,
        )
        .values(
            status=RunStatus.failed.value,
            phase="failed",
            error="The worker running it stopped.",
            finished_at=clock.utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    busy = await session.scalar(
        select(MatchingRun.id).where(MatchingRun.incident_id == incident_id, active)
    )
    if busy is not None:
        raise RunInProgress(_("A matching run of this incident is already under way."))
    matching_run = MatchingRun(
        incident_id=incident_id,
        created_by_id=actor.id,
        max_area_gap_pct=max_area_gap_pct,
        status=RunStatus.queued.value,
        phase="queued",
        percent=0,
        updated_at=clock.utcnow(),
    )
    try:
        # Two requests at once both pass the check above; the partial unique index stops one.
        async with session.begin_nested():
            session.add(matching_run)
            await session.flush()
    except IntegrityError:
        raise RunInProgress(_("A matching run of this incident is already under way.")) from None
    await audit.record(
        session, actor=actor, action="matching.start", obj=matching_run,
        after=audit.snapshot(matching_run),
    )  # fmt: skip
    await enqueue(session, JOB, {"run_id": matching_run.id})
    return matching_run


async def run_job(session: AsyncSession, payload: dict) -> None:
    """The "matching.run" job: read, match, write, reporting each phase as it goes.

    Until the last phase it reads and reports through side transactions and leaves its own
    untouched, so on SQLite it holds the write lock only while it writes the result; a
    failure is recorded on the run (with why) instead of retried."""
    run_id = int(payload["run_id"])
    async with side_transaction(session) as side:
        # Claimed by a conditional update: one worker runs it, a repeated job does nothing.
        claimed = await side.execute(
            update(MatchingRun)
            .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.queued.value)
            .values(status=RunStatus.running.value, phase="reading", percent=5,
                    updated_at=clock.utcnow())
            .returning(MatchingRun.incident_id, MatchingRun.created_by_id)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        row = claimed.first()
        if row is None:
            return
        incident_id = row.incident_id
        actor = await side.get(User, row.created_by_id) if row.created_by_id else None
    try:
        async with side_transaction(session) as side:
            incident = await get_incident(side, incident_id)
            today = clock.today(incident.time_zone)
            needs, offers = await inputs(side, incident_id, today)
        await _report(session, run_id, "matching", 15)
        started = time.perf_counter()
        result = await _match_reporting(session, run_id, needs, offers, today)
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        await _report(session, run_id, "writing", 90)
    except Exception as exc:
        await _fail(session, run_id, exc)
        return
    matching_run = await session.get(MatchingRun, run_id)
    try:
        async with session.begin_nested():
            await _finish(session, matching_run, actor, needs, offers, result, elapsed_ms)
    except Exception as exc:
        # The savepoint is gone; this transaction (the worker's) records the failure.
        await _fail(session, run_id, exc, side=False)


async def _match_reporting(session, run_id, needs, offers, today) -> MatchResult:
    """match() in a thread; its progress reaches the run row every half second."""
    from core.matching import match

    done = [0.0]
    task = asyncio.ensure_future(
        asyncio.to_thread(
            match, needs, offers, today=today, progress=lambda f: done.__setitem__(0, f)
        )
    )
    reported = 0.0
    while not task.done():
        await asyncio.wait({task}, timeout=0.5)
        if done[0] > reported and not task.done():
            reported = done[0]
            await _report(session, run_id, "matching", 15 + round(75 * reported))
    return task.result()


async def _report(session: AsyncSession, run_id: int, phase: str, percent: int) -> None:
    async with side_transaction(session) as side:
        await side.execute(
            update(MatchingRun)
            .where(MatchingRun.id == run_id)
            .values(phase=phase, percent=percent, updated_at=clock.utcnow())
            .execution_options(synchronize_session=False)
        )


async def _fail(session: AsyncSession, run_id: int, exc: Exception, *, side: bool = True) -> None:
    log.warning("matching run %s failed: %s", run_id, exc, exc_info=exc)
    message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    values = {
        "status": RunStatus.failed.value,
        "phase": "failed",
        "error": str(message)[:2000],
        "finished_at": clock.utcnow(),
    }
    statement = (
        update(MatchingRun)
        .where(MatchingRun.id == run_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not side:
        await session.execute(statement)
        return
    async with side_transaction(session) as writer:
        await writer.execute(statement)


async def _finish(
    session: AsyncSession,
    matching_run: MatchingRun,
    actor: User | None,
    needs: list[NeedInput],
    offers: list[OfferInput],
    result: MatchResult,
    elapsed_ms: int,
) -> None:
    """Store a run's result: supersede the incident's earlier undecided proposals, write
    proposals and unmet lines in bulk, mark the run done, audit."""
    earlier_runs = select(MatchingRun.id).where(
        MatchingRun.incident_id == matching_run.incident_id, MatchingRun.id != matching_run.id
    )
    await session.execute(
        update(Match)
        .where(Match.run_id.in_(earlier_runs), Match.status == MatchStatus.proposed.value)
        .values(status=MatchStatus.superseded.value)
        .execution_options(synchronize_session=False)
    )
    await store_result(session, matching_run.id, needs, result)
    matching_run.status = RunStatus.done.value
    matching_run.phase = "done"
    matching_run.percent = 100
    matching_run.error = None
    matching_run.needs_considered = len(needs)
    matching_run.offers_considered = len(offers)
    matching_run.duration_ms = elapsed_ms
    matching_run.finished_at = clock.utcnow()
    session.add(matching_run)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="matching.run",
        obj=matching_run,
        after=audit.snapshot(matching_run)
        | {"proposals": len(result.proposals), "unmet": len(result.unmet)},
    )


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
    """The incident's latest finished run: its proposals are the ones to decide on."""
    return await session.scalar(
        select(MatchingRun)
        .where(MatchingRun.incident_id == incident_id, MatchingRun.status == RunStatus.done.value)
        .order_by(MatchingRun.id.desc())
        .limit(1)
    )


async def active_run(session: AsyncSession, incident_id: int) -> MatchingRun | None:
    """The incident's queued or running run, if any."""
    return await session.scalar(
        select(MatchingRun).where(
            MatchingRun.incident_id == incident_id,
            MatchingRun.status.in_([RunStatus.queued.value, RunStatus.running.value]),
        )
    )


def status_labels() -> dict[str, str]:
    return {
        RunStatus.queued.value: _("queued"),
        RunStatus.running.value: _("running"),
        RunStatus.done.value: _("done"),
        RunStatus.failed.value: _("failed"),
    }


def phase_labels() -> dict[str, str]:
    return {
        "queued": _("waiting for a worker"),
        "reading": _("reading needs and offers"),
        "matching": _("matching"),
        "writing": _("writing proposals"),
    }


async def run_progress(session: AsyncSession, run_id: int) -> dict:
    """What the run page shows: status, phase and percent, then counts and the fairness."""
    matching_run = await get_run(session, run_id)
    proposals = await session.scalar(
        select(func.count()).select_from(Match).where(Match.run_id == run_id)
    )
    unmet = await session.scalar(
        select(func.count()).select_from(UnmetLine).where(UnmetLine.run_id == run_id)
    )
    return {
        "run": matching_run,
        "active": matching_run.status in (RunStatus.queued.value, RunStatus.running.value),
        "proposals": proposals or 0,
        "unmet": unmet or 0,
        "status_labels": status_labels(),
        "phase_labels": phase_labels(),
    }


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
    active = await active_run(session, incident_id) if incident_id else None
    view: dict = {"run": None, "active_run": active}
    latest = await latest_run(session, incident_id) if incident_id else None
    if latest is None:
        return view
    matching_run, proposals, unmet = await run_details(session, latest.id)
    need_ids = {p.need_id for p in proposals} | {u.need_id for u in unmet}
    return {
        "run": matching_run,
        "active_run": active,
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
        "status": matching_run.status,
        "progress": matching_run.percent,
        "phase": matching_run.phase,
        "error": matching_run.error,
        "max_area_gap_pct": matching_run.max_area_gap_pct,
        "summary": matching_run.summary,
        "proposals": described,
        "unmet": unmet,
    }
