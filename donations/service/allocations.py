"""Which gifts a disbursement draws from: restricted funds of its purpose first, then the
general fund when the official allows, oldest received first; never another purpose's money.

Every allocation is a row and an `allocation` ledger entry. The caller has already bumped the
incident's fund balance row, which serializes spending per incident and currency (its row lock
on PostgreSQL, BEGIN IMMEDIATE on SQLite), so the gifts read here cannot change underneath;
the conditional update and the CHECK on donations are the backstop.
"""

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from core.i18n import _
from core.web import format_money
from donations.errors import InsufficientFunds
from donations.models import (
    Allocation,
    Disbursement,
    Donation,
    DonationStatus,
    LedgerEntry,
    LedgerKind,
)
from donations.service import ledger

UNSPENT = Donation.received_minor - Donation.allocated_minor - Donation.refunded_minor
GENERAL = and_(Donation.project_id.is_(None), Donation.need_id.is_(None))


def purpose_condition(project_id: int | None, need_id: int | None) -> ColumnElement[bool]:
    """The gifts restricted to exactly this purpose (a project first, else a need)."""
    if project_id is not None:
        return Donation.project_id == project_id
    if need_id is not None:
        return and_(Donation.need_id == need_id, Donation.project_id.is_(None))
    return GENERAL


def pools(
    project_id: int | None, need_id: int | None, allow_general: bool
) -> list[ColumnElement[bool]]:
    """The funds a disbursement may draw from, in the order it draws from them."""
    if project_id is None and need_id is None:
        return [GENERAL]
    found = [purpose_condition(project_id, need_id)]
    if allow_general:
        found.append(GENERAL)
    return found


async def available_for(
    session: AsyncSession,
    *,
    incident_id: int,
    currency: str,
    project_id: int | None,
    need_id: int | None,
    allow_general: bool,
) -> int:
    total = 0
    for condition in pools(project_id, need_id, allow_general):
        total += (
            await session.scalar(
                select(func.coalesce(func.sum(UNSPENT), 0)).where(
                    Donation.incident_id == incident_id,
                    Donation.currency == currency,
                    Donation.status == DonationStatus.received.value,
                    condition,
                )
            )
        ) or 0
    return int(total)


async def allocate(session: AsyncSession, disbursement: Disbursement) -> list[Allocation]:
    """Draw the disbursement's amount from gifts, oldest received first, pool by pool."""
    left = disbursement.amount_minor
    made: list[Allocation] = []
    conditions = pools(
        disbursement.project_id, disbursement.need_id, disbursement.allow_general_fund
    )
    for condition in conditions:
        if left == 0:
            break
        gifts = await session.execute(
            select(Donation.id, UNSPENT, Donation.public_name)
            .where(
                Donation.incident_id == disbursement.incident_id,
                Donation.currency == disbursement.currency,
                Donation.status == DonationStatus.received.value,
                condition,
                UNSPENT > 0,
            )
            .order_by(Donation.received_at, Donation.id)
        )
        for donation_id, unspent, public_name in gifts.all():
            take = min(left, int(unspent))
            made.append(await _draw(session, disbursement, donation_id, take, public_name))
            left -= take
            if left == 0:
                break
    if left:
        raise InsufficientFunds(
            _("Only %(available)s is available for this purpose.")
            % {"available": format_money(disbursement.amount_minor - left, disbursement.currency)},
            fields={"amount_minor": _("more than the funds available for this purpose")},
        )
    return made


async def _draw(
    session: AsyncSession,
    disbursement: Disbursement,
    donation_id: int,
    amount: int,
    public_name: str | None,
) -> Allocation:
    drawn = await session.execute(
        update(Donation)
        .where(Donation.id == donation_id, amount <= UNSPENT)
        .values(allocated_minor=Donation.allocated_minor + amount)
        .returning(Donation.id)
        .execution_options(synchronize_session=False)
    )
    if drawn.scalar_one_or_none() is None:
        raise Conflict(_("The funds changed while this was recorded; try again."))
    entry = await ledger.append(
        session,
        incident_id=disbursement.incident_id,
        kind=LedgerKind.allocation,
        amount_minor=amount,
        currency=disbursement.currency,
        counterparty=public_name or "Anonymous",
        project_id=disbursement.project_id,
        need_id=disbursement.need_id,
        donation_id=donation_id,
        disbursement_id=disbursement.id,
    )
    allocation = Allocation(
        incident_id=disbursement.incident_id,
        disbursement_id=disbursement.id,
        donation_id=donation_id,
        amount_minor=amount,
        currency=disbursement.currency,
        ledger_seq=entry.seq,
    )
    session.add(allocation)
    await session.flush()
    return allocation


async def release(session: AsyncSession, disbursement_id: int, reason: str) -> None:
    """A reversed disbursement gives its gifts back: each allocation gets a reversing entry."""
    rows = await session.scalars(
        select(Allocation)
        .where(Allocation.disbursement_id == disbursement_id, Allocation.reversed.is_(False))
        .order_by(Allocation.id)
    )
    for allocation in list(rows):
        await session.execute(
            update(Donation)
            .where(Donation.id == allocation.donation_id)
            .values(allocated_minor=Donation.allocated_minor - allocation.amount_minor)
            .execution_options(synchronize_session=False)
        )
        allocation.reversed = True
        original = await session.scalar(
            select(LedgerEntry).where(
                LedgerEntry.incident_id == allocation.incident_id,
                LedgerEntry.seq == allocation.ledger_seq,
            )
        )
        await ledger.append(
            session,
            incident_id=allocation.incident_id,
            kind=LedgerKind.reversal,
            amount_minor=allocation.amount_minor,
            currency=allocation.currency,
            counterparty=original.counterparty if original else "Anonymous",
            description=reason,
            project_id=original.project_id if original else None,
            need_id=original.need_id if original else None,
            donation_id=allocation.donation_id,
            disbursement_id=disbursement_id,
            reverses_seq=allocation.ledger_seq,
        )
    await session.flush()


async def of_disbursements(
    session: AsyncSession, disbursement_ids: list[int]
) -> dict[int, list[tuple[Allocation, Donation]]]:
    """Per disbursement, the live allocations with their gifts, oldest first."""
    if not disbursement_ids:
        return {}
    rows = await session.execute(
        select(Allocation, Donation)
        .join(Donation, Donation.id == Allocation.donation_id)
        .where(Allocation.disbursement_id.in_(disbursement_ids), Allocation.reversed.is_(False))
        .order_by(Allocation.id)
    )
    found: dict[int, list[tuple[Allocation, Donation]]] = {}
    for allocation, donation in rows.all():
        found.setdefault(allocation.disbursement_id, []).append((allocation, donation))
    return found


async def of_donation(
    session: AsyncSession, donation_id: int
) -> list[tuple[Allocation, Disbursement]]:
    """What one gift paid for: its live allocations with their disbursements, oldest first."""
    rows = await session.execute(
        select(Allocation, Disbursement)
        .join(Disbursement, Disbursement.id == Allocation.disbursement_id)
        .where(Allocation.donation_id == donation_id, Allocation.reversed.is_(False))
        .order_by(Allocation.id)
    )
    return [(a, d) for a, d in rows.all()]
