"""Matches: officials accept or decline proposals, the offering side delivers, track records."""

from collections import defaultdict

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, clock
from core.clock import utcnow
from core.db import UTCDateTime, bulk_insert, json_array
from core.domain import FigureColumns, gather
from core.drills import not_drill
from core.errors import DomainError
from core.i18n import _
from core.models import AuditEntry, Organization, User
from donations.errors import (
    BulkDecisionRefused,
    InvalidState,
    MatchNotFound,
    NeedAlreadyCovered,
    NotOwner,
    OfferCapacityExceeded,
    RunNotFound,
)
from donations.models import Match, MatchingRun, MatchStatus, NeedLock, Offer, OfferStatus
from donations.service.offers import owns_offer
from recovery.service import (
    NeedStatus,
    area_with_descendants,
    ensure_can_act,
    get_incident,
    get_need,
    need_rows,
    record_fulfilment,
)

PENDING = (MatchStatus.accepted.value,)
CLOSED_NEED = (NeedStatus.closed.value, NeedStatus.cancelled.value)
COMMITTED = (MatchStatus.accepted.value, MatchStatus.fulfilled.value)
# The tables' columns, not the models: a need's page reads the names on every rebuild.
_ORGS, _OFFERS, _MATCHES = Organization.__table__, Offer.__table__, Match.__table__
# Ids per IN (...) list of a bulk decision: far below every engine's bound-parameter limit.
_IDS_PER_UPDATE = 5000


async def promised_by_need(session: AsyncSession, need_ids: list[int]) -> dict[int, int]:
    """Accepted but not yet delivered quantities: promised, so not to be proposed again."""
    if not need_ids:
        return {}
    rows = await session.execute(
        select(Match.need_id, func.sum(Match.quantity - Match.quantity_fulfilled))
        .where(Match.need_id.in_(need_ids), Match.status.in_(PENDING))
        .group_by(Match.need_id)
    )
    return {need_id: int(total or 0) for need_id, total in rows}


async def promised_in_incident(session: AsyncSession, incident_id: int) -> dict[int, int]:
    """`promised_by_need` for every need of an incident at once (no list of ids to send)."""
    runs = select(MatchingRun.id).where(MatchingRun.incident_id == incident_id)
    rows = await session.execute(
        select(Match.need_id, func.sum(Match.quantity - Match.quantity_fulfilled))
        .where(Match.run_id.in_(runs), Match.status.in_(PENDING))
        .group_by(Match.need_id)
    )
    return {need_id: int(total or 0) for need_id, total in rows}


async def get_match(session: AsyncSession, match_id: int) -> Match:
    row = await session.get(Match, match_id)
    if row is None:
        raise MatchNotFound(_("No such match."))
    return row


async def _decide(
    session: AsyncSession, match_id: int, status: MatchStatus, actor: User
) -> tuple[Match, dict]:
    row = await get_match(session, match_id)
    await ensure_can_act(session, actor, (await get_need(session, row.need_id)).incident_id)
    return row, await _decide_row(session, row, status, actor)


async def _decide_row(session: AsyncSession, row: Match, status: MatchStatus, actor: User) -> dict:
    """Mark one proposal decided, if it still is a proposal; answers its row before."""
    before = audit.snapshot(row)
    changed = await session.execute(
        update(Match)
        .where(Match.id == row.id, Match.status == MatchStatus.proposed.value)
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
    return before


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
    await _commit_capacity(session, row)
    await audit.record(
        session,
        actor=actor,
        action="match.accept",
        obj=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row


async def _commit_capacity(session: AsyncSession, row: Match) -> None:
    """The checks and the capacity of an accepted proposal (its status already set)."""
    await _lock_need(session, row.need_id)
    need = await get_need(session, row.need_id)
    await session.refresh(need)  # read after the lock: another accept may have committed
    pending = (await promised_by_need(session, [row.need_id])).get(row.need_id, 0)
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
    # Other domains act on the acceptance (preparedness holds the warehouse stock).
    await gather("match.accepted", session, row.id)


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


def delivery_value(offer: Offer, quantity: int, value_minor: int | None) -> int:
    """The estimated value of one delivery: as stated, else the offer's value pro rata."""
    if value_minor is not None:
        if offer.value_minor is None:
            raise InvalidState(
                _("This offer has no estimated value; add one to the offer first."),
                fields={"value_minor": _("the offer has no estimated value")},
            )
        return value_minor
    if offer.value_minor is None:
        return 0
    return offer.value_minor * quantity // offer.quantity


async def ensure_offering(session: AsyncSession, match_id: int, actor: User) -> Match:
    """The match, if `actor` is the organization or person whose offer it matched; else 403."""
    row = await get_match(session, match_id)
    offer = await session.get(Offer, row.offer_id)
    if offer is None or not owns_offer(actor, offer):
        raise NotOwner(_("Only the offering organization or person may fulfil this match."))
    return row


async def value_currency(session: AsyncSession, match_id: int) -> str | None:
    """The currency a delivery on the match is valued in: its offer's, if the offer has one."""
    return await session.scalar(
        select(Offer.value_currency)
        .join(Match, Match.offer_id == Offer.id)
        .where(Match.id == match_id)
    )


async def fulfil(
    session: AsyncSession,
    *,
    match_id: int,
    quantity: int,
    actor: User,
    value_minor: int | None = None,
) -> Match:
    """The offering side delivers; the need's quantity_met rises through the recovery service.
    A valued offer's delivery carries its estimated value (in kind, never in a cash balance)."""
    row = await ensure_offering(session, match_id, actor)
    offer = await session.get(Offer, row.offer_id)
    value = delivery_value(offer, quantity, value_minor)
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
            value_delivered_minor=Match.value_delivered_minor + value,
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
    # Other domains act on the delivery (preparedness issues the warehouse stock).
    await gather("match.fulfilled", session, row.id)
    await audit.record(
        session,
        actor=actor,
        action="match.fulfil",
        obj=row,
        before=before,
        after=audit.snapshot(row) | {"quantity_delivered": quantity, "value_delivered": value},
    )
    return row


def _need_organizations(need_id) -> list:
    """The names of the organizations that committed to a need, as one JSON array column."""
    names = (
        select(_ORGS.c.name)
        .join(_OFFERS, _OFFERS.c.organization_id == _ORGS.c.id)
        .join(_MATCHES, _MATCHES.c.offer_id == _OFFERS.c.id)
        # Not IN (...): an expanding list is rendered anew on every execution, a third of
        # the need page's statement time.
        .where(_MATCHES.c.need_id == need_id, or_(*(_MATCHES.c.status == s for s in COMMITTED)))
        .distinct()
        .order_by(_ORGS.c.name)
        # The need's row comes from the asking page's statement.
        .correlate_except(_ORGS, _OFFERS, _MATCHES)
        .subquery()
    )
    return [select(json_array(names.c.name)).scalar_subquery().label("donations_organizations")]


# The need page reads them inside its own statement (core/domain.py FigureColumns).
NEED_HELPERS = FigureColumns(
    columns=_need_organizations,
    read=lambda values: {"organizations": list(values["donations_organizations"] or [])},
)


async def organization_record(session: AsyncSession, organization_id: int) -> dict:
    rows = await session.execute(
        select(Match.status, Match.fulfilled_at, Match.needed_by, Offer.incident_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            Offer.organization_id == organization_id,
            Match.status.in_(COMMITTED),
            # A drill's deliveries are not in the organization's public record.
            not_drill(Offer.incident_id),
        )
    )
    counts: dict[str, int] = defaultdict(int)
    zones: dict[int, str] = {}
    for status, fulfilled_at, needed_by, incident_id in rows.all():
        counts["matches_accepted"] += 1
        if status != MatchStatus.fulfilled:
            continue
        counts["matches_fulfilled"] += 1
        if fulfilled_at is None:
            continue
        if incident_id not in zones:
            zones[incident_id] = (await get_incident(session, incident_id)).time_zone
        # On time by the incident's calendar, which is the one `needed_by` is written in.
        if fulfilled_at.astimezone(clock.zone(zones[incident_id])).date() <= needed_by:
            counts["matches_fulfilled_on_time"] += 1
    return {
        "matches_accepted": counts["matches_accepted"],
        "matches_fulfilled": counts["matches_fulfilled"],
        "matches_fulfilled_on_time": counts["matches_fulfilled_on_time"],
    }


async def decide_all(
    session: AsyncSession,
    *,
    run_id: int,
    action: str,
    actor: User,
    category: str | None = None,
    area_id: int | None = None,
    priority: str | None = None,
) -> list[Match]:
    """Accept or decline every undecided proposal of a run that fits the filter, each with
    the checks of a single decision and its own audit row (written together at the end).
    All or nothing: if one cannot be decided, none is, and the refusal names it, so the
    official can set it aside first."""
    matching_run = await session.get(MatchingRun, run_id)
    if matching_run is None:
        raise RunNotFound(_("No such matching run."))
    await ensure_can_act(session, actor, matching_run.incident_id)
    candidates = list(
        await session.scalars(
            select(Match)
            .where(Match.run_id == run_id, Match.status == MatchStatus.proposed.value)
            .order_by(Match.id)
        )
    )
    needs = await need_rows(session, {p.need_id for p in candidates})
    # An area includes the villages under it.
    areas = set(await area_with_descendants(session, area_id)) if area_id else None

    def fits(need) -> bool:
        if (category and need.category != category) or (priority and need.priority != priority):
            return False
        return areas is None or need.area_id in areas

    chosen = [p for p in candidates if fits(needs[p.need_id])]
    if action == "accept":
        entries = []
        for proposal in chosen:
            try:
                before = await _decide_row(session, proposal, MatchStatus.accepted, actor)
                await _commit_capacity(session, proposal)
            except DomainError as exc:
                raise _refused(needs[proposal.need_id], proposal, exc.message) from exc
            entries.append((proposal.id, before, audit.snapshot(proposal)))
    else:
        entries = await _decline_all(session, chosen, needs, actor)
    await _audit_decisions(session, actor, f"match.{action}", entries)
    return chosen


def _refused(need, proposal: Match, reason: str) -> BulkDecisionRefused:
    return BulkDecisionRefused(
        _(
            "The proposal for “%(need)s” cannot be decided: %(reason)s Nothing was "
            "changed; decide that one alone, then try again."
        )
        % {"need": need.title, "reason": reason},
        fields={"proposals": str(proposal.id)},
    )


async def _decline_all(
    session: AsyncSession, chosen: list[Match], needs: dict, actor: User
) -> list[tuple[int, dict, dict]]:
    """Decline many proposals with one conditional update per few thousand."""
    now = utcnow()
    entries, declined = [], set()
    ids = [p.id for p in chosen]
    for start in range(0, len(ids), _IDS_PER_UPDATE):
        changed = await session.execute(
            update(Match)
            .where(
                Match.id.in_(ids[start : start + _IDS_PER_UPDATE]),
                Match.status == MatchStatus.proposed.value,
            )
            .values(status=MatchStatus.declined.value, decided_by_id=actor.id, decided_at=now)
            .returning(Match.id)
            .execution_options(synchronize_session=False)
        )
        declined.update(changed.scalars())
    for proposal in chosen:
        if proposal.id not in declined:  # decided by someone else meanwhile
            await session.refresh(proposal)
            reason = _("Only a proposed match can be decided; this one is %(status)s.") % {
                "status": proposal.status
            }
            raise _refused(needs[proposal.need_id], proposal, reason)
        before = audit.snapshot(proposal)
        # The rows were changed below the ORM: their objects learn it without another write.
        for name, value in (("status", MatchStatus.declined.value),
                            ("decided_by_id", actor.id), ("decided_at", now)):  # fmt: skip
            set_committed_value(proposal, name, value)
        entries.append((proposal.id, before, audit.snapshot(proposal)))
    return entries


async def _audit_decisions(
    session: AsyncSession, actor: User, action: str, entries: list[tuple[int, dict, dict]]
) -> None:
    """One audit row per decided proposal, written in one bulk insert."""
    now = utcnow()
    await bulk_insert(
        session,
        AuditEntry.__table__,
        ("at", "actor_id", "action", "object_type", "object_id", "before", "after"),
        ((now, actor.id, action, Match.__tablename__, match_id, before, after)
         for match_id, before, after in entries),
    )  # fmt: skip
