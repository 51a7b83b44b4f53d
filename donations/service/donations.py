"""Money coming in: pledges (idempotent per Idempotency-Key), their receipt, the donor's view."""

import hashlib
import json
import re
import secrets
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.errors import Conflict, DomainError
from core.events import publish
from core.i18n import _
from core.models import Role, User
from donations.errors import DonationNotFound, IdempotencyMismatch, InvalidState
from donations.models import (
    Donation,
    DonationStatus,
    FundBalance,
    IdempotencyKey,
    LedgerEntry,
    LedgerKind,
    Offer,
    OfferKind,
)
from donations.schemas import DonationCreate, DonationPublic, ReceiptCreate
from donations.service import ledger
from donations.service.incidents import check_targets
from recovery.service import acting_incident_ids, ensure_can_act

ANONYMOUS = "Anonymous"
# What a client may send as Idempotency-Key: 1 to 200 visible ASCII characters.
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def public_donor_name(donation: Donation) -> str:
    """The only donor identity that ever leaves the donor's own pages."""
    return donation.public_name or ANONYMOUS


def request_hash(body: DonationCreate) -> str:
    # Without an activity the hash is what it was before gifts could name one, so a retry
    # across the upgrade still finds its answer.
    data = body.model_dump(
        mode="json", exclude={"fundraising_id"} if not body.fundraising_id else None
    )
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
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

    The key row is claimed with an insert that does nothing on a conflict: a concurrent retry
    that got there first waits for it (PostgreSQL) or runs after it (SQLite's BEGIN
    IMMEDIATE), and then this request's donation is removed again and theirs is answered.
    """
    digest = request_hash(data)
    if idempotency_key is not None:
        check_key(idempotency_key)
        stored = await _stored_answer(session, donor.id, idempotency_key, digest)
        if stored is not None:
            return stored, True
    await check_targets(
        session,
        incident_id=data.incident_id,
        need_id=data.need_id,
        project_id=data.project_id,
        fundraising_id=data.fundraising_id,
    )
    donation = Donation(
        incident_id=data.incident_id,
        need_id=data.need_id,
        project_id=data.project_id,
        fundraising_id=data.fundraising_id,
        donor_id=donor.id,
        amount_minor=data.amount_minor,
        currency=data.currency,
        public_name=data.public_name or None,
    )
    session.add(donation)
    await session.flush()
    answer = DonationPublic.model_validate(donation).model_dump(mode="json")
    if idempotency_key is not None and not await _claim_key(
        session, donor.id, idempotency_key, digest, donation.id, answer
    ):
        await session.delete(donation)
        await session.flush()
        stored = await _stored_answer(session, donor.id, idempotency_key, digest)
        if stored is None:
            raise Conflict(_("The same request is still being processed; try again shortly."))
        return stored, True
    await audit.record(
        session, actor=donor, action="donation.pledge", obj=donation, after=audit.snapshot(donation)
    )
    publish(session, donation.incident_id, "donation")
    return answer, False


def check_key(key: str) -> None:
    if not _KEY.match(key):
        raise DomainError(
            _("The Idempotency-Key must be 1 to 200 visible ASCII characters."),
            400,
            "bad_idempotency_key",
            {"Idempotency-Key": _("invalid")},
        )


async def _claim_key(
    session: AsyncSession, user_id: int, key: str, digest: str, donation_id: int, answer: dict
) -> bool:
    """Store the key with its answer; False when another request holds the key already."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    claimed = await session.execute(
        insert(IdempotencyKey)
        .values(
            user_id=user_id,
            key=key,
            request_hash=digest,
            donation_id=donation_id,
            status_code=201,
            response=answer,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )
    return claimed.scalar_one_or_none() is not None


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
    session: AsyncSession,
    *,
    donation_id: int,
    reference: str,
    actor: User,
    amount_minor: int | None = None,
) -> Donation:
    """pledged → received, once: a conditional update, then the balance and the ledger.

    `amount_minor` is what actually arrived when it differs from the pledge (a bank fee, a
    donor who gave more); the gift then holds and may spend what arrived.
    """
    donation = await get_donation(session, donation_id)
    await ensure_can_act(session, actor, donation.incident_id)
    before = audit.snapshot(donation)
    changed = await session.execute(
        update(Donation)
        .where(Donation.id == donation_id, Donation.status == DonationStatus.pledged.value)
        .values(
            status=DonationStatus.received.value,
            reference=reference,
            received_minor=amount_minor or donation.amount_minor,
            received_at=utcnow(),
            received_by_id=actor.id,
            verification_code=new_verification_code(),
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
    entry = await _credit(session, donation)
    await audit.record(
        session,
        actor=actor,
        action="donation.receive",
        obj=donation,
        before=before,
        after=audit.snapshot(donation) | {"ledger_seq": entry.seq},
    )
    return donation


async def record_receipt(session: AsyncSession, *, data: ReceiptCreate, actor: User) -> Donation:
    """Money that came without a pledge: a bank transfer with its reference, or cash counted
    at a collection point; optionally restricted to a project or need, optionally named."""
    await ensure_can_act(session, actor, data.incident_id)
    await check_targets(
        session,
        incident_id=data.incident_id,
        need_id=data.need_id,
        project_id=data.project_id,
        fundraising_id=data.fundraising_id,
    )
    donation = Donation(
        incident_id=data.incident_id,
        need_id=data.need_id,
        project_id=data.project_id,
        fundraising_id=data.fundraising_id,
        donor_id=None,
        donor_name=data.donor_name or None,
        public_name=data.public_name or None,
        channel=data.channel,
        amount_minor=data.amount_minor,
        received_minor=data.amount_minor,
        currency=data.currency,
        status=DonationStatus.received,
        reference=data.reference,
        received_at=utcnow(),
        received_by_id=actor.id,
        verification_code=new_verification_code(),
    )
    session.add(donation)
    await session.flush()
    entry = await _credit(session, donation)
    await audit.record(
        session,
        actor=actor,
        action="donation.record_receipt",
        obj=donation,
        after=audit.snapshot(donation) | {"ledger_seq": entry.seq},
    )
    return donation


def new_verification_code() -> str:
    """Twelve characters from an alphabet without look-alikes, printed on the receipt."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


async def _credit(session: AsyncSession, donation: Donation) -> LedgerEntry:
    """What arrived enters the incident's balance and the ledger."""
    await _ensure_balance(session, donation.incident_id, donation.currency)
    await session.execute(
        update(FundBalance)
        .where(
            FundBalance.incident_id == donation.incident_id,
            FundBalance.currency == donation.currency,
        )
        .values(received_minor=FundBalance.received_minor + donation.received_minor)
        .execution_options(synchronize_session=False)
    )
    return await ledger.append(
        session,
        incident_id=donation.incident_id,
        kind=LedgerKind.receipt,
        amount_minor=donation.received_minor,
        currency=donation.currency,
        counterparty=public_donor_name(donation),
        reference=donation.reference or "",
        # The purpose is in project_id / need_id; pages word it in the reader's language.
        description="",
        project_id=donation.project_id,
        need_id=donation.need_id,
        donation_id=donation.id,
    )


async def donor_donations(session: AsyncSession, donor_id: int) -> list[Donation]:
    rows = await session.scalars(
        select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.id.desc())
    )
    return list(rows)


async def list_donations(
    session: AsyncSession,
    *,
    viewer: User | None = None,
    incident_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Donation], int]:
    """Donations, newest first; a donor `viewer` sees only their own, officials those of the
    incidents their agency acts on (to record receipts)."""
    query = select(Donation)
    if incident_id is not None:
        query = query.where(Donation.incident_id == incident_id)
    if status is not None:
        query = query.where(Donation.status == status)
    if viewer is not None and viewer.role == Role.official:
        query = query.where(Donation.incident_id.in_(acting_incident_ids(viewer)))
    elif viewer is not None:
        query = query.where(Donation.donor_id == viewer.id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Donation.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


async def receipt_entry(session: AsyncSession, donation_id: int) -> LedgerEntry | None:
    return await session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.donation_id == donation_id, LedgerEntry.kind == LedgerKind.receipt.value
        )
    )


async def forget_donor(session: AsyncSession, user: User) -> None:
    """Account deletion: drop what the donor told us about themselves, keep every amount.

    The name they chose to show is removed from their donations and the stored replay
    answers go; their in-kind pledges lose their free-text description. Ledger entries stay
    as they are: the chain is append-only and hashed, and it holds only the public name the
    donor chose to publish (or "Anonymous").
    """
    await session.execute(
        update(Donation)
        .where(Donation.donor_id == user.id)
        .values(public_name=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user.id))
    await session.execute(
        update(Offer)
        .where(Offer.owner_id == user.id, Offer.kind == OfferKind.pledge.value)
        .values(description="", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.flush()
