"""Spending: disbursements drawn from gifts (see allocations), refunds, and reversing entries."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import InvalidInput
from core.i18n import _
from core.models import Organization, User
from core.web import format_money
from donations.errors import (
    DisbursementNotFound,
    DonationNotFound,
    InsufficientFunds,
    InvalidState,
)
from donations.models import (
    INDIVIDUAL_PAYEE,
    Disbursement,
    Donation,
    DonationStatus,
    FundBalance,
    LedgerEntry,
    LedgerKind,
    PayeeKind,
)
from donations.schemas import DisbursementCreate
from donations.service import allocations, ledger
from donations.service.incidents import check_targets
from donations.service.scans import Scan
from recovery.service import ensure_can_act, get_project


async def available(session: AsyncSession, incident_id: int, currency: str) -> int:
    row = await session.scalar(
        select(FundBalance).where(
            FundBalance.incident_id == incident_id, FundBalance.currency == currency
        )
    )
    return 0 if row is None else row.received_minor - row.disbursed_minor


async def disburse(
    session: AsyncSession,
    *,
    data: DisbursementCreate,
    actor: User,
    scan: Scan | None = None,
) -> Disbursement:
    """Spend from the incident's received funds; never more than the balance, atomically.

    A scanned receipt is written to disk last, once everything else is in place.
    """
    await ensure_can_act(session, actor, data.incident_id)
    await check_targets(
        session, incident_id=data.incident_id, need_id=data.need_id, project_id=data.project_id
    )
    payee_name, payee_kind = await _payee(session, data)
    spent = await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == data.incident_id,
            FundBalance.currency == data.currency,
            FundBalance.received_minor - FundBalance.disbursed_minor >= data.amount_minor,
        )
        .values(disbursed_minor=FundBalance.disbursed_minor + data.amount_minor)
        .returning(FundBalance.id)
        .execution_options(synchronize_session=False)
    )
    if spent.scalar_one_or_none() is None:
        left = await available(session, data.incident_id, data.currency)
        raise InsufficientFunds(
            _("This exceeds the received balance of the incident (%(balance)s available).")
            % {"balance": format_money(left, data.currency)},
            fields={"amount_minor": _("more than the received balance")},
        )
    disbursement = Disbursement(
        incident_id=data.incident_id,
        project_id=data.project_id,
        need_id=data.need_id,
        amount_minor=data.amount_minor,
        currency=data.currency,
        description=data.description,
        receipt_reference=data.receipt_reference,
        receipt_file=scan.name if scan else None,
        receipt_content_type=scan.content_type if scan else None,
        allow_general_fund=data.allow_general_fund,
        payee_organization_id=data.payee_organization_id,
        payee_name=payee_name,
        payee_kind=payee_kind,
        created_by_id=actor.id,
    )
    session.add(disbursement)
    await session.flush()
    entry = await ledger.append(
        session,
        incident_id=data.incident_id,
        kind=LedgerKind.disbursement,
        amount_minor=data.amount_minor,
        currency=data.currency,
        counterparty=await _recipient(session, data, disbursement),
        reference=data.receipt_reference or "",
        description=data.description,
        project_id=data.project_id,
        need_id=data.need_id,
        disbursement_id=disbursement.id,
    )
    drawn = await allocations.allocate(session, disbursement)
    await audit.record(
        session,
        actor=actor,
        action="disbursement.create",
        obj=disbursement,
        after=audit.snapshot(disbursement)
        | {
            "ledger_seq": entry.seq,
            "allocations": [[a.donation_id, a.amount_minor] for a in drawn],
        },
    )
    if scan is not None:
        scan.save()
    return disbursement


async def _payee(session: AsyncSession, data: DisbursementCreate) -> tuple[str | None, str | None]:
    """The payee's name and kind as recorded: a registered organization's name as it is now."""
    if data.payee_organization_id is None:
        return data.payee_name, data.payee_kind
    org = await session.get(Organization, data.payee_organization_id)
    if org is None:
        raise InvalidInput(
            _("No such organization."), fields={"payee_organization_id": _("not found")}
        )
    return org.name, PayeeKind.organization.value


async def _recipient(
    session: AsyncSession, data: DisbursementCreate, disbursement: Disbursement
) -> str:
    # Stored in the hashed ledger, so never translated: the text must not depend on a locale.
    if disbursement.payee_kind == PayeeKind.person:
        return INDIVIDUAL_PAYEE
    if disbursement.payee_name:
        return disbursement.payee_name
    if data.project_id is not None:
        project = await get_project(session, data.project_id)
        org = await session.get(Organization, project.lead_org_id)
        if org is not None:
            return org.name
    return "Recovery office"


async def get_disbursement(session: AsyncSession, disbursement_id: int) -> Disbursement:
    row = await session.get(Disbursement, disbursement_id)
    if row is None:
        raise DisbursementNotFound(_("No such disbursement."))
    return row


async def reverse_entry(
    session: AsyncSession, *, entry_id: int, reason: str, actor: User
) -> LedgerEntry:
    """Correct a receipt or disbursement by appending a reversing entry; nothing is edited."""
    original = await ledger.get_entry(session, entry_id)
    await ensure_can_act(session, actor, original.incident_id)
    if original.kind == LedgerKind.receipt:
        await _undo_receipt(session, original)
    elif original.kind == LedgerKind.disbursement:
        await _undo_disbursement(session, original)
    elif original.kind == LedgerKind.allocation:
        raise InvalidState(_("An allocation is reversed with its disbursement."))
    elif original.kind == LedgerKind.refund:
        raise InvalidState(_("A refund cannot be reversed; record the money as a new receipt."))
    else:
        raise InvalidState(_("A reversal cannot itself be reversed; record a new entry."))
    entry = await ledger.append(
        session,
        incident_id=original.incident_id,
        kind=LedgerKind.reversal,
        amount_minor=original.amount_minor,
        currency=original.currency,
        counterparty=original.counterparty,
        reference=original.reference,
        description=reason,
        project_id=original.project_id,
        need_id=original.need_id,
        donation_id=original.donation_id,
        disbursement_id=original.disbursement_id,
        reverses_seq=original.seq,
    )
    if original.kind == LedgerKind.disbursement:
        await allocations.release(session, original.disbursement_id, reason)
    await audit.record(
        session,
        actor=actor,
        action="ledger.reverse",
        obj=entry,
        after={"reverses_seq": original.seq, "seq": entry.seq, "reason": reason},
    )
    return entry


async def _undo_receipt(session: AsyncSession, original: LedgerEntry) -> None:
    donation = await session.get(Donation, original.donation_id, populate_existing=True)
    if (
        donation is not None
        and donation.status == DonationStatus.received
        and (donation.allocated_minor or donation.refunded_minor)
    ):
        raise InsufficientFunds(
            _("This gift already paid for disbursements; reverse those first."),
            fields={"amount_minor": _("already spent")},
        )
    undone = await session.execute(
        update(Donation)
        .where(
            Donation.id == original.donation_id,
            Donation.status == DonationStatus.received.value,
            Donation.allocated_minor == 0,
            Donation.refunded_minor == 0,
        )
        .values(status=DonationStatus.reversed.value)
        .returning(Donation.id)
        .execution_options(synchronize_session=False)
    )
    if undone.scalar_one_or_none() is None:
        raise InvalidState(_("This receipt was already reversed."))
    taken = await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == original.incident_id,
            FundBalance.currency == original.currency,
            FundBalance.received_minor - FundBalance.disbursed_minor >= original.amount_minor,
        )
        .values(received_minor=FundBalance.received_minor - original.amount_minor)
        .returning(FundBalance.id)
        .execution_options(synchronize_session=False)
    )
    if taken.scalar_one_or_none() is None:
        raise InsufficientFunds(
            _("This money was already disbursed; reverse a disbursement first."),
            fields={"amount_minor": _("more than the received balance")},
        )


async def _undo_disbursement(session: AsyncSession, original: LedgerEntry) -> None:
    undone = await session.execute(
        update(Disbursement)
        .where(Disbursement.id == original.disbursement_id, Disbursement.reversed.is_(False))
        .values(reversed=True)
        .returning(Disbursement.id)
        .execution_options(synchronize_session=False)
    )
    if undone.scalar_one_or_none() is None:
        raise InvalidState(_("This disbursement was already reversed."))
    await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == original.incident_id,
            FundBalance.currency == original.currency,
        )
        .values(disbursed_minor=FundBalance.disbursed_minor - original.amount_minor)
        .execution_options(synchronize_session=False)
    )


async def list_disbursements(
    session: AsyncSession, *, incident_id: int | None = None, project_id: int | None = None
) -> list[Disbursement]:
    query = select(Disbursement)
    if incident_id is not None:
        query = query.where(Disbursement.incident_id == incident_id)
    if project_id is not None:
        query = query.where(Disbursement.project_id == project_id)
    return list(await session.scalars(query.order_by(Disbursement.id.desc())))


async def refund(
    session: AsyncSession, *, donation_id: int, amount_minor: int, reason: str, actor: User
) -> LedgerEntry:
    """Return unspent money of a received gift to its donor: a `refund` entry, never an edit."""
    donation = await session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        raise DonationNotFound(_("No such donation."))
    await ensure_can_act(session, actor, donation.incident_id)
    unspent = Donation.received_minor - Donation.allocated_minor - Donation.refunded_minor
    taken = await session.execute(
        update(Donation)
        .where(
            Donation.id == donation_id,
            Donation.status == DonationStatus.received.value,
            unspent >= amount_minor,
        )
        .values(refunded_minor=Donation.refunded_minor + amount_minor)
        .returning(Donation.id)
        .execution_options(synchronize_session=False)
    )
    if taken.scalar_one_or_none() is None:
        raise InsufficientFunds(
            _("Only %(unspent)s of this gift is unspent and can be refunded.")
            % {"unspent": format_money(donation.unspent_minor, donation.currency)},
            fields={"amount_minor": _("more than the unspent part of the gift")},
        )
    await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == donation.incident_id,
            FundBalance.currency == donation.currency,
        )
        .values(received_minor=FundBalance.received_minor - amount_minor)
        .execution_options(synchronize_session=False)
    )
    entry = await ledger.append(
        session,
        incident_id=donation.incident_id,
        kind=LedgerKind.refund,
        amount_minor=amount_minor,
        currency=donation.currency,
        counterparty=donation.public_name or "Anonymous",
        reference=donation.reference or "",
        description=reason,
        project_id=donation.project_id,
        need_id=donation.need_id,
        donation_id=donation.id,
    )
    await audit.record(
        session,
        actor=actor,
        action="donation.refund",
        obj=donation,
        after={"amount_minor": amount_minor, "reason": reason, "ledger_seq": entry.seq},
    )
    return entry
