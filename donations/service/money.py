"""Money: pledges (idempotent), receipts, disbursements against the balance, reversals."""

import hashlib
import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.db import utcnow
from core.i18n import _
from core.models import Organization, User
from core.web import format_money
from donations import ledger
from donations.errors import (
    DisbursementNotFound,
    DonationNotFound,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidState,
    LedgerEntryNotFound,
)
from donations.models import (
    Disbursement,
    Donation,
    DonationStatus,
    FundBalance,
    IdempotencyKey,
    LedgerEntry,
    LedgerKind,
)
from donations.schemas import DisbursementCreate, DonationCreate, DonationPublic
from donations.service.common import check_targets
from recovery.service import get_project

ANONYMOUS = "Anonymous"


def public_donor_name(donation: Donation) -> str:
    """The only donor identity that ever leaves the donor's own pages."""
    return donation.public_name or ANONYMOUS


def request_hash(body: DonationCreate) -> str:
    text = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def get_donation(session: AsyncSession, donation_id: int) -> Donation:
    donation = await session.get(Donation, donation_id)
    if donation is None:
        raise DonationNotFound(_("No such donation."))
    return donation


async def pledge(
    session: AsyncSession,
    *,
    donor: User,
    data: DonationCreate,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Record a pledge; returns (the answer, replayed) so a retried request gets the same one.

    With a key, the donation and the key row are written in one savepoint: when a concurrent
    retry wins the unique (user_id, key) race, ours is rolled back and theirs is returned.
    """
    digest = request_hash(data)
    if idempotency_key is not None:
        stored = await _stored_answer(session, donor.id, idempotency_key, digest)
        if stored is not None:
            return stored, True
    await check_targets(
        session, incident_id=data.incident_id, need_id=data.need_id, project_id=data.project_id
    )
    try:
        async with session.begin_nested():
            donation = Donation(
                incident_id=data.incident_id,
                need_id=data.need_id,
                project_id=data.project_id,
                donor_id=donor.id,
                amount_minor=data.amount_minor,
                currency=data.currency,
                public_name=data.public_name or None,
            )
            session.add(donation)
            await session.flush()
            answer = DonationPublic.model_validate(donation).model_dump(mode="json")
            if idempotency_key is not None:
                session.add(
                    IdempotencyKey(
                        user_id=donor.id,
                        key=idempotency_key,
                        request_hash=digest,
                        donation_id=donation.id,
                        response=answer,
                    )
                )
                await session.flush()
    except IntegrityError:
        if idempotency_key is None:
            raise
        stored = await _stored_answer(session, donor.id, idempotency_key, digest)
        if stored is None:
            raise
        return stored, True
    await audit.record(
        session, actor=donor, action="donation.pledge", obj=donation, after=audit.snapshot(donation)
    )
    return answer, False


async def _stored_answer(
    session: AsyncSession, user_id: int, key: str, digest: str
) -> dict[str, Any] | None:
    row = await session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyMismatch(
            _("This Idempotency-Key was already used with a different request."),
            fields={"Idempotency-Key": _("already used for another request")},
        )
    return row.response


async def _ensure_balance(session: AsyncSession, incident_id: int, currency: str) -> None:
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(FundBalance)
        .values(incident_id=incident_id, currency=currency, received_minor=0, disbursed_minor=0)
        .on_conflict_do_nothing(index_elements=["incident_id", "currency"])
    )


async def receive(
    session: AsyncSession, *, donation_id: int, reference: str, actor: User
) -> Donation:
    """pledged → received, once: a conditional update, then the balance and the ledger."""
    donation = await get_donation(session, donation_id)
    before = audit.snapshot(donation)
    now = utcnow()
    changed = await session.execute(
        update(Donation)
        .where(Donation.id == donation_id, Donation.status == DonationStatus.pledged.value)
        .values(
            status=DonationStatus.received.value,
            reference=reference,
            received_at=now,
            received_by_id=actor.id,
        )
        .returning(Donation.id)
        .execution_options(synchronize_session=False)
    )
    if changed.scalar_one_or_none() is None:
        raise InvalidState(
            _("Only a pledged donation can be received; this one is %(status)s.")
            % {"status": donation.status},
            fields={"status": donation.status},
        )
    await session.refresh(donation)
    await _ensure_balance(session, donation.incident_id, donation.currency)
    await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == donation.incident_id,
            FundBalance.currency == donation.currency,
        )
        .values(received_minor=FundBalance.received_minor + donation.amount_minor)
        .execution_options(synchronize_session=False)
    )
    entry = await ledger.append(
        session,
        incident_id=donation.incident_id,
        kind=LedgerKind.receipt,
        amount_minor=donation.amount_minor,
        currency=donation.currency,
        counterparty=public_donor_name(donation),
        reference=reference,
        description=_public_purpose(donation),
        project_id=donation.project_id,
        need_id=donation.need_id,
        donation_id=donation.id,
    )
    await audit.record(
        session,
        actor=actor,
        action="donation.receive",
        obj=donation,
        before=before,
        after=audit.snapshot(donation) | {"ledger_seq": entry.seq},
    )
    return donation


def _public_purpose(donation: Donation) -> str:
    if donation.project_id:
        return f"donation for project {donation.project_id}"
    if donation.need_id:
        return f"donation for need {donation.need_id}"
    return "donation for the incident"


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
    receipt_file: str | None = None,
    receipt_content_type: str | None = None,
) -> Disbursement:
    """Spend from the incident's received funds; never more than the balance, atomically."""
    await check_targets(
        session, incident_id=data.incident_id, need_id=data.need_id, project_id=data.project_id
    )
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
        receipt_file=receipt_file,
        receipt_content_type=receipt_content_type,
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
        counterparty=await _recipient(session, data),
        reference=data.receipt_reference or "",
        description=data.description,
        project_id=data.project_id,
        need_id=data.need_id,
        disbursement_id=disbursement.id,
    )
    await audit.record(
        session,
        actor=actor,
        action="disbursement.create",
        obj=disbursement,
        after=audit.snapshot(disbursement) | {"ledger_seq": entry.seq},
    )
    return disbursement


async def _recipient(session: AsyncSession, data: DisbursementCreate) -> str:
    # Stored in the hashed ledger, so never translated: the text must not depend on a locale.
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
    original = await session.get(LedgerEntry, entry_id)
    if original is None:
        raise LedgerEntryNotFound(_("No such ledger entry."))
    if original.kind == LedgerKind.receipt:
        await _undo_receipt(session, original)
    elif original.kind == LedgerKind.disbursement:
        await _undo_disbursement(session, original)
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
    await audit.record(
        session,
        actor=actor,
        action="ledger.reverse",
        obj=entry,
        after={"reverses_seq": original.seq, "seq": entry.seq, "reason": reason},
    )
    return entry


async def _undo_receipt(session: AsyncSession, original: LedgerEntry) -> None:
    undone = await session.execute(
        update(Donation)
        .where(
            Donation.id == original.donation_id,
            Donation.status == DonationStatus.received.value,
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


async def donor_donations(session: AsyncSession, donor_id: int) -> list[Donation]:
    rows = await session.scalars(
        select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.id.desc())
    )
    return list(rows)


async def list_donations(
    session: AsyncSession,
    *,
    incident_id: int | None = None,
    status: str | None = None,
    donor_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Donation], int]:
    query = select(Donation)
    if incident_id is not None:
        query = query.where(Donation.incident_id == incident_id)
    if status is not None:
        query = query.where(Donation.status == status)
    if donor_id is not None:
        query = query.where(Donation.donor_id == donor_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Donation.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


async def list_disbursements(
    session: AsyncSession, *, incident_id: int | None = None, project_id: int | None = None
) -> list[Disbursement]:
    query = select(Disbursement)
    if incident_id is not None:
        query = query.where(Disbursement.incident_id == incident_id)
    if project_id is not None:
        query = query.where(Disbursement.project_id == project_id)
    return list(await session.scalars(query.order_by(Disbursement.id.desc())))


async def receipt_entry(session: AsyncSession, donation_id: int) -> LedgerEntry | None:
    return await session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.donation_id == donation_id, LedgerEntry.kind == LedgerKind.receipt.value
        )
    )
