"""Money coming in: pledges (idempotent per Idempotency-Key) and their receipt."""

import hashlib
import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.i18n import _
from core.models import User
from donations import ledger
from donations.errors import (
    DonationNotFound,
    IdempotencyMismatch,
    InvalidState,
)
from donations.models import (
    Donation,
    DonationStatus,
    FundBalance,
    IdempotencyKey,
    LedgerEntry,
    LedgerKind,
)
from donations.schemas import DonationCreate, DonationPublic
from donations.service.common import check_targets

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
        # The purpose is in project_id / need_id; pages word it in the reader's language.
        description="",
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


async def receipt_entry(session: AsyncSession, donation_id: int) -> LedgerEntry | None:
    return await session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.donation_id == donation_id, LedgerEntry.kind == LedgerKind.receipt.value
        )
    )
