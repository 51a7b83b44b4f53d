"""Matching runs: feed open needs and open offers to the engine, store and decide proposals."""

import asyncio
import time
from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.db import UTCDateTime
from core.i18n import _
from core.matching import NeedInput, OfferInput, match
from core.models import Organization, User
from donations.errors import (
    InvalidState,
    MatchNotFound,
    NeedAlreadyCovered,
    NotOwner,
    OfferCapacityExceeded,
    RunNotFound,
)
from donations.models import (
    Match,
    MatchingRun,
    MatchStatus,
    NeedLock,
    Offer,
    OfferStatus,
    UnmetLine,
)
from donations.service.common import owns_offer
from recovery.models import NeedStatus
from recovery.service import get_incident, get_need, open_needs, record_fulfilment

PENDING = (MatchStatus.accepted.value,)
CLOSED_NEED = (NeedStatus.closed.value, NeedStatus.cancelled.value)
COMMITTED = (MatchStatus.accepted.value, MatchStatus.fulfilled.value)


async def _pending_by_need(session: AsyncSession, need_ids: list[int]) -> dict[int, int]:
    """Accepted but not yet delivered quantities: promised, so not to be proposed again."""
    if not need_ids:
        return {}
    rows = await session.execute(
        select(Match.need_id, func.sum(Match.quantity - Match.quantity_fulfilled))
        .where(Match.need_id.in_(need_ids), Match.status.in_(PENDING))
        .group_by(Match.need_id)
    )
    return {need_id: int(total or 0) for need_id, total in rows}


async def inputs(
    session: AsyncSession, incident_id: int, today: date
) -> tuple[list[NeedInput], list[OfferInput]]:
    needs = await open_needs(session, incident_id)
    pending = await _pending_by_need(session, [n.id for n in needs])
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
                )
            )
    offers = await session.scalars(
        select(Offer).where(
            Offer.incident_id == incident_id,
            Offer.status == OfferStatus.open.value,
            Offer.available_until >= today,
            Offer.quantity_committed < Offer.quantity,
        )
    )
    offer_inputs = [
        OfferInput(
            id=o.id,
            category=o.category,
            unit=o.unit,
            quantity=o.quantity - o.quantity_committed,
            lat=o.lat,
            lon=o.lon,
            radius_km=o.radius_km,
            available_from=o.available_from,
            available_until=o.available_until,
        )
        for o in offers
    ]
    return need_inputs, offer_inputs


async def run(session: AsyncSession, *, incident_id: int, actor: User) -> MatchingRun:
    """Solve, store proposals and unmet lines; earlier undecided proposals are superseded."""
    await get_incident(session, incident_id)
    needs, offers = await inputs(session, incident_id, utcnow().date())
    started = time.perf_counter()
    # The solver is CPU-bound; a worker thread keeps other requests flowing meanwhile.
    result = await asyncio.to_thread(match, needs, offers)
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
    needed_by = {n.id: n.needed_by for n in needs}
    session.add_all(
        Match(
            run_id=matching_run.id,
            need_id=p.need_id,
            offer_id=p.offer_id,
            quantity=p.quantity,
            distance_km=p.distance_km,
            needed_by=needed_by[p.need_id],
            reasons=list(p.reasons),
        )
        for p in result.proposals
    )
    session.add_all(
        UnmetLine(run_id=matching_run.id, need_id=u.need_id, quantity=u.quantity, reason=u.reason)
        for u in result.unmet
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="matching.run",
        obj=matching_run,
        after=audit.snapshot(matching_run)
        | {"proposals": len(result.proposals), "unmet": len(result.unmet)},
    )
    return matching_run


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


async def get_match(session: AsyncSession, match_id: int) -> Match:
    row = await session.get(Match, match_id)
    if row is None:
        raise MatchNotFound(_("No such match."))
    return row


async def _decide(
    session: AsyncSession, match_id: int, status: MatchStatus, actor: User
) -> tuple[Match, dict]:
    row = await get_match(session, match_id)
    before = audit.snapshot(row)
    changed = await session.execute(
        update(Match)
        .where(Match.id == match_id, Match.status == MatchStatus.proposed.value)
        .values(status=status.value, decided_by_id=actor.id, decided_at=utcnow())
        .returning(Match.id)
        .execution_options(synchronize_session=False)
    )
    if changed.scalar_one_or_none() is None:
        raise InvalidState(
            _("Only a proposed match can be decided; this one is %(status)s.")
            % {"status": row.status},
            fields={"status": row.status},
        )
    return row, before


async def _lock_need(session: AsyncSession, need_id: int) -> None:
    """Serialize accepts per need: the row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) makes
    the read of what is already promised below current, so two accepts cannot both fit."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(NeedLock)
        .values(need_id=need_id, accepts=0)
        .on_conflict_do_nothing(index_elements=["need_id"])
    )
    await session.execute(
        update(NeedLock)
        .where(NeedLock.need_id == need_id)
        .values(accepts=NeedLock.accepts + 1)
        .execution_options(synchronize_session=False)
    )


async def accept(session: AsyncSession, *, match_id: int, actor: User) -> Match:
    """Commit the offer's capacity with one conditional update, so no offer is over-promised."""
    row, before = await _decide(session, match_id, MatchStatus.accepted, actor)
    await _lock_need(session, row.need_id)
    need = await get_need(session, row.need_id)
    await session.refresh(need)  # read after the lock: another accept may have committed
    pending = (await _pending_by_need(session, [row.need_id])).get(row.need_id, 0)
    if need.status in CLOSED_NEED:
        raise InvalidState(
            _("The need was closed or cancelled meanwhile."), fields={"need_id": need.status}
        )
    # `pending` already includes this match, accepted just above.
    if need.quantity_met + pending > need.quantity:
        raise NeedAlreadyCovered(
            _("The need is already covered by other accepted matches."),
            fields={"quantity": _("more than the need still lacks")},
        )
    committed = await session.execute(
        update(Offer)
        .where(
            Offer.id == row.offer_id,
            Offer.status == OfferStatus.open.value,
            Offer.quantity_committed + row.quantity <= Offer.quantity,
        )
        .values(quantity_committed=Offer.quantity_committed + row.quantity)
        .returning(Offer.id)
        .execution_options(synchronize_session=False)
    )
    if committed.scalar_one_or_none() is None:
        raise OfferCapacityExceeded(
            _("The offer no longer has that much capacity, or it was withdrawn."),
            fields={"quantity": _("more than the offer has left")},
        )
    await session.refresh(row)
    await audit.record(
        session,
        actor=actor,
        action="match.accept",
        obj=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row


async def decline(session: AsyncSession, *, match_id: int, actor: User) -> Match:
    row, before = await _decide(session, match_id, MatchStatus.declined, actor)
    await session.refresh(row)
    await audit.record(
        session,
        actor=actor,
        action="match.decline",
        obj=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row


async def fulfil(session: AsyncSession, *, match_id: int, quantity: int, actor: User) -> Match:
    """The offering side delivers; the need's quantity_met rises through the recovery service."""
    row = await get_match(session, match_id)
    offer = await session.get(Offer, row.offer_id)
    if offer is None or not owns_offer(actor, offer):
        raise NotOwner(_("Only the offering organization or person may fulfil this match."))
    before = audit.snapshot(row)
    now = utcnow()
    total = Match.quantity_fulfilled + quantity
    changed = await session.execute(
        update(Match)
        .where(
            Match.id == match_id,
            Match.status == MatchStatus.accepted.value,
            total <= Match.quantity,
        )
        .values(
            quantity_fulfilled=total,
            status=case((total >= Match.quantity, MatchStatus.fulfilled.value), else_=Match.status),
            fulfilled_at=case(
                (total >= Match.quantity, literal(now, UTCDateTime())), else_=Match.fulfilled_at
            ),
        )
        .returning(Match.id)
        .execution_options(synchronize_session=False)
    )
    if changed.scalar_one_or_none() is None:
        if row.status != MatchStatus.accepted:
            raise InvalidState(
                _("Only an accepted match can be fulfilled; this one is %(status)s.")
                % {"status": row.status},
                fields={"status": row.status},
            )
        raise InvalidState(
            _("Only %(n)s remain to deliver on this match.")
            % {"n": row.quantity - row.quantity_fulfilled},
            fields={"quantity": _("more than the match has left")},
        )
    await record_fulfilment(session, row.need_id, quantity, actor=actor, source=f"match:{row.id}")
    await session.refresh(row)
    await audit.record(
        session,
        actor=actor,
        action="match.fulfil",
        obj=row,
        before=before,
        after=audit.snapshot(row) | {"quantity_delivered": quantity},
    )
    return row


async def matches_for(session: AsyncSession, user: User) -> list[tuple[Match, Offer]]:
    """Accepted and fulfilled matches on the user's (or their organization's) offers."""
    mine = Offer.owner_id == user.id
    if user.organization_id is not None:
        mine = mine | (Offer.organization_id == user.organization_id)
    rows = await session.execute(
        select(Match, Offer)
        .join(Offer, Offer.id == Match.offer_id)
        .where(mine, Match.status.in_(COMMITTED))
        .order_by(Match.status, Match.needed_by, Match.id)
    )
    return [(m, o) for m, o in rows]


async def need_helpers(session: AsyncSession, need_id: int) -> dict:
    rows = await session.scalars(
        select(Organization.name)
        .join(Offer, Offer.organization_id == Organization.id)
        .join(Match, Match.offer_id == Offer.id)
        .where(Match.need_id == need_id, Match.status.in_(COMMITTED))
        .distinct()
        .order_by(Organization.name)
    )
    return {"organizations": list(rows)}


async def organization_record(session: AsyncSession, organization_id: int) -> dict:
    rows = await session.execute(
        select(Match.status, Match.fulfilled_at, Match.needed_by)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Offer.organization_id == organization_id, Match.status.in_(COMMITTED))
    )
    counts: dict[str, int] = defaultdict(int)
    for status, fulfilled_at, needed_by in rows:
        counts["matches_accepted"] += 1
        if status == MatchStatus.fulfilled:
            counts["matches_fulfilled"] += 1
            if fulfilled_at is not None and fulfilled_at.date() <= needed_by:
                counts["matches_fulfilled_on_time"] += 1
    return {
        "matches_accepted": counts["matches_accepted"],
        "matches_fulfilled": counts["matches_fulfilled"],
        "matches_fulfilled_on_time": counts["matches_fulfilled_on_time"],
    }
