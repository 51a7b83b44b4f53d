"""Matching runs: feed open needs and open offers to the engine, store what it proposes."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.db import bulk_insert, side_transaction
from core.domain import gather
from core.errors import DomainError
from core.i18n import _
from core.jobs import enqueue
from core.models import User
from donations.errors import RunInProgress, RunNotFound
from donations.labels import CATEGORY_LABELS
from donations.models import (
    Match,
    MatchingRun,
    MatchStatus,
    Offer,
    OfferStatus,
    RunStatus,
    UnmetLine,
)
from donations.service.fairness import summary, townships
from donations.service.matches import promised_in_incident
from recovery.service import ensure_can_act, get_incident, open_need_rows

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
    # Fairness is between townships: a village's need counts in its township.
    township_of, _names = await townships(session, incident_id)
    need_inputs = []
    for n in needs:
        promised = n.quantity_met + pending.get(n.id, 0)
        remaining = n.quantity - promised
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
                    area_id=township_of.get(n.area_id, n.area_id),
                    covered=promised,
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
    stats: dict | None = None,
) -> MatchingRun:
    """A whole run inside this transaction (the demo, the CLI); requests queue one instead.
    Earlier undecided proposals are superseded. `stats`, when given, receives the wall and
    CPU seconds of reading, matching and writing (benchmarks)."""
    clocks = [(time.perf_counter(), time.process_time())]
    incident = await ensure_can_act(session, actor, incident_id)
    # Offers run out by the incident's own calendar, as recovery's incident_today counts it.
    today = clock.today(incident.time_zone)
    needs, offers = await inputs(session, incident_id, today)
    from core.matching import match

    clocks.append((time.perf_counter(), time.process_time()))
    # The solver is CPU-bound; a worker thread keeps other requests flowing meanwhile.
    result = await asyncio.to_thread(
        match, needs, offers, today=today, max_area_gap_pct=max_area_gap_pct
    )
    clocks.append((time.perf_counter(), time.process_time()))
    elapsed_ms = round((clocks[2][0] - clocks[1][0]) * 1000)
    matching_run = MatchingRun(
        incident_id=incident_id, created_by_id=actor.id, max_area_gap_pct=max_area_gap_pct
    )
    session.add(matching_run)
    await session.flush()
    await _finish(session, matching_run, actor, needs, offers, result, elapsed_ms)
    clocks.append((time.perf_counter(), time.process_time()))
    if stats is not None:
        phases = zip(("read", "match", "write"), itertools.pairwise(clocks), strict=True)
        for phase, (start, end) in phases:
            stats[f"{phase}_s"] = end[0] - start[0]
            stats[f"{phase}_cpu_s"] = end[1] - start[1]
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
            .returning(
                MatchingRun.incident_id, MatchingRun.created_by_id, MatchingRun.max_area_gap_pct
            )
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
        result = await _match_reporting(session, run_id, needs, offers, today, row.max_area_gap_pct)
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


async def _match_reporting(session, run_id, needs, offers, today, gap) -> MatchResult:
    """match() in a thread; its progress reaches the run row every half second."""
    from core.matching import match

    done = [0.0]
    task = asyncio.ensure_future(
        asyncio.to_thread(
            match,
            needs,
            offers,
            today=today,
            max_area_gap_pct=gap,
            progress=lambda f: done.__setitem__(0, f),
        )  # fmt: skip
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
    await store_result(
        session, matching_run.id, needs, result, incident_id=matching_run.incident_id
    )
    matching_run.status = RunStatus.done.value
    matching_run.phase = "done"
    matching_run.percent = 100
    matching_run.error = None
    matching_run.needs_considered = len(needs)
    matching_run.offers_considered = len(offers)
    matching_run.duration_ms = elapsed_ms
    _townships, names = await townships(session, matching_run.incident_id)
    matching_run.summary = summary(result.fairness, names)
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
    session: AsyncSession,
    run_id: int,
    needs: list[NeedInput],
    result: MatchResult,
    *,
    incident_id: int | None = None,
) -> None:
    """Proposals and unmet lines of a run, written in bulk (COPY, or one executemany)."""
    needed_by = {n.id: n.needed_by for n in needs}
    now = clock.utcnow()
    proposed = MatchStatus.proposed.value
    await bulk_insert(
        session,
        Match.__table__,
        ("run_id", "need_id", "offer_id", "quantity", "quantity_fulfilled", "distance_km",
         "needed_by", "reasons", "status", "created_at"),
        ((run_id, p.need_id, p.offer_id, p.quantity, 0, p.distance_km, needed_by[p.need_id],
          list(p.reasons), proposed, now) for p in result.proposals),
        incident_id=incident_id,
    )  # fmt: skip
    await bulk_insert(
        session,
        UnmetLine.__table__,
        ("run_id", "need_id", "quantity", "reason"),
        ((run_id, u.need_id, u.quantity, u.reason) for u in result.unmet),
        incident_id=incident_id,
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
        "category_labels": CATEGORY_LABELS,
    }
