"""Tables of the donations domain: offers, matching, money, disbursements, the public ledger."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime

MAX_AMOUNT_MINOR = 10**12
GENESIS_HASH = "0" * 64
# What the public ledger and exports say for money paid to a person, whose name stays private.
INDIVIDUAL_PAYEE = "An individual (name withheld)"


def ledger_time(value: datetime) -> str:
    """The ledger's one time format, hashed and published: UTC ISO 8601 to the microsecond, "Z"."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OfferKind(StrEnum):
    capacity = "capacity"  # an organization's capacity (NGO, company, community group)
    pledge = "pledge"  # a donor's in-kind pledge
    reserve = "reserve"  # stock on hand in a warehouse (kept by preparedness)


class OfferStatus(StrEnum):
    open = "open"
    withdrawn = "withdrawn"


class MatchStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    fulfilled = "fulfilled"
    superseded = "superseded"  # a later run replaced this proposal before anyone decided


class DonationStatus(StrEnum):
    pledged = "pledged"
    received = "received"
    reversed = "reversed"


class LedgerKind(StrEnum):
    receipt = "receipt"
    disbursement = "disbursement"
    allocation = "allocation"  # how much of one gift one disbursement drew
    refund = "refund"  # received money returned to its donor
    reversal = "reversal"


class Channel(StrEnum):
    """How a gift's money arrived: against a pledge, or without one."""

    pledge = "pledge"
    bank_transfer = "bank_transfer"
    cash = "cash"


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_offers_quantity"),
        CheckConstraint(
            "quantity_committed >= 0 AND quantity_committed <= quantity",
            name="ck_offers_committed",
        ),
        CheckConstraint("radius_km >= 0", name="ck_offers_radius"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="ck_offers_lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="ck_offers_lon"),
        CheckConstraint("available_from <= available_until", name="ck_offers_window"),
        CheckConstraint(
            "(value_minor IS NULL AND value_currency IS NULL) OR "
            f"(value_minor > 0 AND value_minor <= {MAX_AMOUNT_MINOR} "
            "AND value_currency IS NOT NULL)",
            name="ck_offers_value",
        ),
        Index("ix_offers_incident_status", "incident_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    kind: str = Field(max_length=20)
    owner_id: int = Field(foreign_key="users.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    category: str = Field(max_length=40)
    quantity: int
    quantity_committed: int = 0
    unit: str = Field(max_length=40)
    lat: float
    lon: float
    radius_km: float
    available_from: date
    available_until: date
    description: str = Field(default="", sa_type=Text)
    # The giver's estimate of what the whole offer is worth: in kind, never cash.
    value_minor: int | None = Field(default=None, sa_type=BigInteger)
    value_currency: str | None = Field(default=None, max_length=3)
    status: str = Field(default=OfferStatus.open, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


ACTIVE_RUN = "status IN ('queued', 'running')"


class MatchingRun(SQLModel, table=True):
    """One matching run: queued, run by a worker (`phase`, `percent`), then done or failed."""

    __tablename__ = "matching_runs"
    __table_args__ = (
        # At most one queued or running run per incident: the database refuses the second.
        Index(
            "ux_matching_runs_active",
            "incident_id",
            unique=True,
            sqlite_where=text(ACTIVE_RUN),
            postgresql_where=text(ACTIVE_RUN),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    needs_considered: int = 0
    offers_considered: int = 0
    duration_ms: int = 0
    status: str = Field(default=RunStatus.done, max_length=20)
    phase: str = Field(default="done", max_length=20)  # queued, reading, matching, writing, done
    percent: int = 100
    error: str | None = Field(default=None, sa_type=Text)
    max_area_gap_pct: float | None = None
    # Total served and the worst-served area's share, with and without the fairness bound.
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last progress
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Match(SQLModel, table=True):
    """One proposal of a run: `quantity` of an offer for a need, and what became of it."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_matches_quantity"),
        CheckConstraint(
            "quantity_fulfilled >= 0 AND quantity_fulfilled <= quantity",
            name="ck_matches_fulfilled",
        ),
        CheckConstraint("value_delivered_minor >= 0", name="ck_matches_value_delivered"),
        Index("ix_matches_need_status", "need_id", "status"),
        Index("ix_matches_offer_status", "offer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="matching_runs.id", index=True)
    need_id: int = Field(foreign_key="needs.id")
    offer_id: int = Field(foreign_key="offers.id")
    quantity: int
    quantity_fulfilled: int = 0
    # The estimated value of what was delivered so far, in the offer's value currency.
    value_delivered_minor: int = Field(default=0, sa_type=BigInteger)
    distance_km: float
    needed_by: date  # the need's date when proposed, so the on-time record needs no join
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=MatchStatus.proposed, max_length=20)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NeedLock(SQLModel, table=True):
    """One row per need, updated by every accept, so accepts for one need run one at a time."""

    __tablename__ = "match_need_locks"

    need_id: int = Field(
        foreign_key="needs.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    accepts: int = 0


class UnmetLine(SQLModel, table=True):
    __tablename__ = "match_unmet"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="matching_runs.id", index=True)
    need_id: int = Field(foreign_key="needs.id")
    quantity: int
    reason: str = Field(sa_type=Text)


class DontSendItem(SQLModel, table=True):
    """What officials ask donors not to send, by category, with the reason shown to donors."""

    __tablename__ = "dont_send_items"
    __table_args__ = (UniqueConstraint("incident_id", "category", name="uq_dont_send_category"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    category: str = Field(max_length=40)
    label: str = Field(max_length=200)
    reason: str = Field(sa_type=Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Donation(SQLModel, table=True):
    """A gift: pledged, then received (perhaps a different amount), or received unpledged.

    A gift with a project or need is restricted to it; one with neither is the incident's
    general fund. `allocated_minor` is what disbursements drew from it, `refunded_minor` what
    went back to the donor; the CHECK keeps both within what was received.
    """

    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint(
            f"amount_minor > 0 AND amount_minor <= {MAX_AMOUNT_MINOR}", name="ck_donations_amount"
        ),
        CheckConstraint(
            "allocated_minor >= 0 AND refunded_minor >= 0 AND "
            "allocated_minor + refunded_minor <= COALESCE(received_minor, 0)",
            name="ck_donations_spent",
        ),
        UniqueConstraint("verification_code", name="uq_donations_verification_code"),
        Index("ix_donations_incident_status", "incident_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    need_id: int | None = Field(default=None, foreign_key="needs.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    # None for money that came without a pledge (a bank transfer, cash at a collection point).
    donor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    public_name: str | None = Field(default=None, max_length=200)
    # The name an official noted for unpledged money: personal data, never public.
    donor_name: str | None = Field(default=None, max_length=200)
    channel: str = Field(default=Channel.pledge, max_length=20)
    status: str = Field(default=DonationStatus.pledged, max_length=20)
    reference: str | None = Field(default=None, max_length=200)
    received_minor: int | None = Field(default=None, sa_type=BigInteger)
    allocated_minor: int = Field(default=0, sa_type=BigInteger)
    refunded_minor: int = Field(default=0, sa_type=BigInteger)
    # The fundraising activity (appeal) the gift came through, if any; no restriction.
    fundraising_id: int | None = Field(
        default=None, foreign_key="fundraising_activities.id", index=True
    )
    # Printed on the receipt PDF and checked at the public verification page.
    verification_code: str | None = Field(default=None, max_length=32)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def unspent_minor(self) -> int:
        if self.status != DonationStatus.received:
            return 0
        return (self.received_minor or 0) - self.allocated_minor - self.refunded_minor


class IdempotencyKey(SQLModel, table=True):
    """A replayable answer to one client's request, keyed by (user, Idempotency-Key)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    donation_id: int = Field(foreign_key="donations.id")
    status_code: int = 201
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PayeeKind(StrEnum):
    """Who a named payee (one not registered here) is: an organization's name is public, a
    person's never is."""

    organization = "organization"
    person = "person"


class Disbursement(SQLModel, table=True):
    __tablename__ = "disbursements"
    __table_args__ = (
        CheckConstraint(
            f"amount_minor > 0 AND amount_minor <= {MAX_AMOUNT_MINOR}",
            name="ck_disbursements_amount",
        ),
        CheckConstraint(
            "(payee_organization_id IS NULL OR payee_kind = 'organization') AND "
            "((payee_name IS NULL) = (payee_kind IS NULL))",
            name="ck_disbursements_payee",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="needs.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    description: str = Field(sa_type=Text)
    receipt_reference: str | None = Field(default=None, max_length=200)
    receipt_file: str | None = Field(default=None, max_length=100)
    receipt_content_type: str | None = Field(default=None, max_length=60)
    # Whether the official let it draw on the general fund once restricted funds ran out.
    allow_general_fund: bool = True
    # Who received the money: an organization registered here (its name kept as it was when
    # paid), or a payee the official named: an organization, or a person whose name stays
    # off public pages.
    payee_organization_id: int | None = Field(default=None, foreign_key="organizations.id")
    payee_name: str | None = Field(default=None, max_length=200)
    payee_kind: str | None = Field(default=None, max_length=20)
    reversed: bool = False
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def has_receipt_file(self) -> bool:
        return bool(self.receipt_file)

    @property
    def payee(self) -> str | None:
        """The payee as the public may see it: an organization's name, never a person's."""
        return self.payee_name if self.payee_kind == PayeeKind.organization else None


class Allocation(SQLModel, table=True):
    """How much of one gift one disbursement drew; mirrored by an `allocation` ledger entry."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="ck_allocations_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    disbursement_id: int = Field(foreign_key="disbursements.id", index=True)
    donation_id: int = Field(foreign_key="donations.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    ledger_seq: int
    reversed: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaymentInstructions(SQLModel, table=True):
    """How to pay an incident's recovery funds; shown after pledging and on the receipt."""

    __tablename__ = "payment_instructions"

    incident_id: int = Field(
        foreign_key="incidents.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    account_holder: str = Field(max_length=200)
    bank: str = Field(max_length=200)
    account_number: str = Field(max_length=100)
    reference_hint: str = Field(default="", max_length=200)
    text_en: str = Field(default="", sa_type=Text)
    text_zh: str = Field(default="", sa_type=Text)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FundBalance(SQLModel, table=True):
    """Money received and spent per incident and currency; the CHECK is the last line of defence."""

    __tablename__ = "fund_balances"
    __table_args__ = (
        UniqueConstraint("incident_id", "currency", name="uq_fund_balances_incident_currency"),
        CheckConstraint("received_minor >= 0 AND disbursed_minor >= 0", name="ck_fund_positive"),
        CheckConstraint("received_minor - disbursed_minor >= 0", name="ck_fund_balance"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    currency: str = Field(max_length=3)
    received_minor: int = Field(default=0, sa_type=BigInteger)
    disbursed_minor: int = Field(default=0, sa_type=BigInteger)


class LedgerHead(SQLModel, table=True):
    """The tip of one incident's chain; updating it in the append transaction serializes appends."""

    __tablename__ = "ledger_heads"

    incident_id: int = Field(
        foreign_key="incidents.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    seq: int = 0
    hash: str = Field(default=GENESIS_HASH, max_length=64)


class LedgerEntry(SQLModel, table=True):
    """An append-only, hash-chained record of money received, spent or corrected."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq", name="uq_ledger_incident_seq"),
        UniqueConstraint("incident_id", "prev_hash", name="uq_ledger_incident_prev"),
        CheckConstraint("amount_minor > 0", name="ck_ledger_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    seq: int
    kind: str = Field(max_length=20)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    need_id: int | None = Field(default=None, foreign_key="needs.id")
    donation_id: int | None = Field(default=None, foreign_key="donations.id", index=True)
    disbursement_id: int | None = Field(default=None, foreign_key="disbursements.id", index=True)
    reverses_seq: int | None = None
    counterparty: str = Field(max_length=200)
    reference: str = Field(default="", max_length=200)
    description: str = Field(default="", sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class FundraisingActivity(SQLModel, table=True):
    """A fundraising activity (an appeal) for an incident, run by one organization: gifts may
    name the activity they came through, and it discloses what it raised and how that was used
    on the Charity Law's calendar, like a project."""

    __tablename__ = "fundraising_activities"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="ck_fundraising_period"),
        CheckConstraint(
            f"goal_minor IS NULL OR (goal_minor > 0 AND goal_minor <= {MAX_AMOUNT_MINOR})",
            name="ck_fundraising_goal",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    # The filing number the civil affairs department gave the activity (备案编号), if any.
    record_number: str = Field(default="", max_length=100)
    starts_on: date
    ends_on: date
    goal_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Disclosure(SQLModel, table=True):
    """A published public disclosure of one project's or fundraising activity's money over a
    period, figures frozen from the ledger; a correction is a new row naming the one it
    corrects."""

    __tablename__ = "disclosures"
    __table_args__ = (
        CheckConstraint("period_start <= period_end", name="ck_disclosures_period"),
        CheckConstraint(
            "(project_id IS NULL) <> (fundraising_id IS NULL)", name="ck_disclosures_subject"
        ),
        Index("ix_disclosures_project_period", "project_id", "period_end"),
        Index("ix_disclosures_fundraising_period", "fundraising_id", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    fundraising_id: int | None = Field(default=None, foreign_key="fundraising_activities.id")
    period_start: date
    period_end: date
    body_markdown: str = Field(default="", sa_type=Text)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    corrects_id: int | None = Field(default=None, foreign_key="disclosures.id")
    published_on: date
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
