"""Request and response models of the donations domain (the API and the forms share them)."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from babel.numbers import list_currencies
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator

from core.api import Pagination, examples
from core.errors import FieldError
from core.i18n import _
from core.types import DbId, Input, Output, to_minor
from donations.models import MAX_AMOUNT_MINOR, ledger_time
from recovery.service import Category

ISO_CURRENCIES = frozenset(list_currencies())


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in ISO_CURRENCIES:
        raise ValueError(_("Not a known ISO 4217 currency code"))
    return code


def _category(value: str) -> str:
    if value not in {c.value for c in Category}:
        raise ValueError(_("Not a known category"))
    return value


def _ledger_time(value: Any) -> Any:
    return ledger_time(value) if isinstance(value, datetime) else value


Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
CategoryName = Annotated[str, AfterValidator(_category)]
AmountMinor = Annotated[int, Field(ge=1, le=MAX_AMOUNT_MINOR)]
Quantity = Annotated[int, Field(ge=1, le=10**9)]
LedgerTime = Annotated[str, BeforeValidator(_ledger_time)]


def amount_fields(data: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """A money form's fields for its schema: the amount typed in major units ("12.50") becomes
    `amount_minor` (1250); what does not parse is left for validation to refuse."""
    fields = {name: data.get(name) for name in names}
    if data.get("amount"):
        typed = str(data["amount"])
        # Text that does not parse stays as typed, so validation refuses it by name.
        fields["amount_minor"] = to_minor(typed, str(data.get("currency") or "")) or typed
    return fields


class _In(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- offers


class OfferCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "category": "food",
            "quantity": 200,
            "unit": "boxes",
            "lat": 30.6,
            "lon": 114.31,
            "radius_km": 50,
            "available_from": "2027-07-01",
            "available_until": "2027-07-31",
            "description": "Ready meals, boxed.",
            "value_minor": 1000000,
            "value_currency": "CNY",
        }
    )

    incident_id: DbId
    category: CategoryName
    quantity: Quantity
    unit: str = Field(min_length=1, max_length=40)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(ge=0, le=20000)
    available_from: date
    available_until: date
    description: str | None = Field(default=None, max_length=5000)
    # An estimate of what the goods or service are worth; shown as in kind, never as cash.
    value_minor: AmountMinor | None = None
    value_currency: Currency | None = None

    @model_validator(mode="after")
    def _window(self):
        if self.available_until < self.available_from:
            raise FieldError("available_until", _("The offer cannot end before it is available."))
        return _valued(self)


def _valued(offer):
    """An estimated value names its currency, and a currency alone means nothing."""
    if offer.value_minor is not None and offer.value_currency is None:
        raise FieldError("value_currency", _("Name the currency of the estimated value."))
    if offer.value_currency is not None and offer.value_minor is None:
        raise FieldError("value_minor", _("Give the estimated value, or leave both empty."))
    return offer


class OfferUpdate(_In):
    model_config = examples({"quantity": 150, "available_until": "2027-08-15"})

    category: CategoryName | None = None
    quantity: Quantity | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=40)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, ge=0, le=20000)
    available_from: date | None = None
    available_until: date | None = None
    description: str | None = Field(default=None, max_length=5000)
    value_minor: AmountMinor | None = None
    value_currency: Currency | None = None


class OfferPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    kind: str
    organization_id: int | None
    category: str
    quantity: int
    quantity_committed: int
    unit: str
    lat: float
    lon: float
    radius_km: float
    available_from: date
    available_until: date
    description: str
    value_minor: int | None
    value_currency: str | None
    status: str
    created_at: datetime


class OfferQuery(Pagination):
    model_config = examples({"incident_id": 1, "status": "open", "limit": 20, "offset": 0})

    incident_id: DbId | None = None
    status: Literal["open", "withdrawn"] | None = None


# ---- matching


class RunCreate(_In):
    model_config = examples({"incident_id": 1, "max_area_gap_pct": 20})

    incident_id: DbId
    # Fairness between areas: no area's covered share more than this many points below the
    # incident-wide share while supply that could serve it goes elsewhere.
    max_area_gap_pct: float | None = Field(default=None, ge=0, le=100)


class ProposalPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    need_id: int
    offer_id: int
    quantity: int
    quantity_fulfilled: int
    value_delivered_minor: int = 0
    distance_km: float
    reasons: list[str]
    status: str
    offer_kind: str | None = None
    warehouse_id: int | None = None


class DeliveryPublic(ProposalPublic):
    """An accepted match as the offering side sees it: what to bring, how much, and where."""

    to_deliver: int = Field(description="quantity still to deliver")
    needed_by: date
    unit: str
    offer_description: str | None = None
    incident_id: int
    incident: str | None = None
    need_title: str | None = None
    category: str | None = None
    priority: str | None = None
    area_id: int | None = None
    area: str | None = Field(default=None, description="the need's area (village, township)")
    lat: float | None = None
    lon: float | None = None
    value_delivered_minor: int = Field(
        default=0, description="estimated value delivered in kind, in minor units"
    )
    value_currency: str | None = None


class UnmetPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    need_id: int
    quantity: int
    reason: str


class BulkDecision(_In):
    """Decide every undecided proposal of a run that fits the filter (all when none given)."""

    model_config = examples({"action": "accept", "priority": "critical"})

    action: Literal["accept", "decline"]
    category: CategoryName | None = None
    area_id: DbId | None = None
    priority: Literal["critical", "high", "medium", "low"] | None = None


class BulkDecisionResult(Output):
    action: str
    decided: list[ProposalPublic]


class RunPublic(Output):
    id: int
    incident_id: int
    created_at: datetime
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100, description="percent done")
    phase: str = Field(description="queued, reading, matching, writing, done or failed")
    error: str | None = Field(default=None, description="why a failed run failed")
    max_area_gap_pct: float | None = None
    summary: dict[str, Any] | None = Field(
        default=None,
        description="total served and the worst-served area's share, with and without the "
        "fairness bound",
    )
    proposals: list[ProposalPublic]
    unmet: list[UnmetPublic]


class FulfilRequest(_In):
    model_config = examples({"quantity": 10})

    quantity: Quantity
    # The estimated value of this delivery when it differs from the offer's value pro rata.
    value_minor: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_MINOR)


class MatchQuery(Pagination):
    model_config = examples({"status": "accepted", "limit": 20, "offset": 0})

    status: Literal["proposed", "accepted", "declined", "fulfilled", "superseded"] | None = None


# ---- money


class DonationCreate(_In):
    model_config = examples(
        {"incident_id": 1, "amount_minor": 50000, "currency": "CNY", "public_name": "A neighbour"}
    )

    incident_id: DbId
    need_id: DbId | None = None
    project_id: DbId | None = None
    amount_minor: AmountMinor
    currency: Currency
    public_name: str | None = Field(default=None, max_length=200)
    # The fundraising activity (appeal) the gift answers; it does not restrict the gift.
    fundraising_id: DbId | None = None


class DonationPublic(Output):
    """What the donor and officials see; the public sees only ledger entries."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    incident_id: int
    need_id: int | None
    project_id: int | None
    fundraising_id: int | None = None
    amount_minor: int
    currency: str
    public_name: str | None
    channel: str
    reference: str | None
    received_minor: int | None
    allocated_minor: int
    refunded_minor: int
    unspent_minor: int
    verification_code: str | None
    created_at: datetime
    received_at: datetime | None


class DonationQuery(Pagination):
    model_config = examples({"incident_id": 1, "status": "received", "limit": 20, "offset": 0})

    incident_id: DbId | None = None
    status: Literal["pledged", "received", "reversed"] | None = None


class ReceiveRequest(_In):
    model_config = examples({"reference": "BANK-2027-000001"})

    reference: str = Field(min_length=1, max_length=200)
    # What actually arrived, when it differs from the pledge.
    amount_minor: AmountMinor | None = None


class ReceiptCreate(_In):
    """Money that came without a pledge; restricted when it names a project or need."""

    model_config = examples(
        {
            "incident_id": 1,
            "amount_minor": 100000,
            "currency": "CNY",
            "reference": "BANK-2027-000002",
            "channel": "bank_transfer",
            "donor_name": "Example Trading Co.",
            "public_name": "Example Trading Co.",
        }
    )

    incident_id: DbId
    amount_minor: AmountMinor
    currency: Currency
    reference: str = Field(min_length=1, max_length=200)
    channel: Literal["bank_transfer", "cash"] = "bank_transfer"
    project_id: DbId | None = None
    need_id: DbId | None = None
    # Kept for the officials' books only; `public_name` is what the public may see.
    donor_name: str | None = Field(default=None, max_length=200)
    public_name: str | None = Field(default=None, max_length=200)
    fundraising_id: DbId | None = None


class RefundRequest(_In):
    model_config = examples({"amount_minor": 1000, "reason": "The donor gave twice by mistake."})

    amount_minor: AmountMinor
    reason: str = Field(min_length=1, max_length=2000)


class PaymentInstructionsSet(_In):
    model_config = examples(
        {
            "account_holder": "Riverside County Recovery Office",
            "bank": "Example Bank, Riverside branch",
            "account_number": "6222 0000 0000 0000",
            "reference_hint": "FLOOD + your phone number",
            "text_en": "Transfers arrive within a day.",
            "text_zh": "转账一天内到账。",
        }
    )

    account_holder: str = Field(min_length=1, max_length=200)
    bank: str = Field(min_length=1, max_length=200)
    account_number: str = Field(min_length=1, max_length=100)
    reference_hint: str = Field(default="", max_length=200)
    text_en: str = Field(default="", max_length=5000)
    text_zh: str = Field(default="", max_length=5000)


class PaymentInstructionsPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    incident_id: int
    account_holder: str
    bank: str
    account_number: str
    reference_hint: str
    text_en: str
    text_zh: str
    updated_at: datetime


class ReceiptCheckQuery(Input):
    model_config = examples({"code": "EXAMPLE-CODE-0000"})

    code: str = Field(min_length=1, max_length=40)


class ReceiptCheck(Output):
    """What the public verification page confirms about a receipt: no donor identity."""

    valid: bool
    donation_id: int | None = None
    incident_id: int | None = None
    amount_minor: int | None = None
    currency: str | None = None
    received_on: date | None = None
    purpose: str | None = None
    public_name: str | None = None
    status: str | None = None


class TrailAllocation(Output):
    disbursement_id: int
    amount_minor: int
    purpose: str
    project_id: int | None
    need_id: int | None
    description: str
    payee: str | None = Field(None, description="who was paid, if an organization")
    payee_kind: Literal["organization", "person"] | None = None
    on: date


class TrailPublic(Output):
    """Which spending one gift paid for, and what of it is still unspent."""

    donation_id: int
    incident_id: int
    currency: str
    purpose: str
    public_name: str
    status: str
    received_minor: int
    refunded_minor: int
    allocations: list[TrailAllocation]
    unspent_minor: int


class DisbursementCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "amount_minor": 20000,
            "currency": "CNY",
            "description": "Tarpaulins for the school shelter",
            "receipt_reference": "INV-2027-0001",
            "allow_general_fund": True,
            "payee_name": "Example Supplies Ltd.",
            "payee_kind": "organization",
        }
    )

    incident_id: DbId
    project_id: DbId | None = None
    need_id: DbId | None = None
    amount_minor: AmountMinor
    currency: Currency
    description: str = Field(min_length=1, max_length=2000)
    receipt_reference: str | None = Field(default=None, max_length=200)
    # Once the funds restricted to the purpose run out, may it draw on the general fund?
    allow_general_fund: bool = True
    # Who received the money: an organization registered here, or a named payee. A person's
    # name is kept for officials and never published; without a kind, a name is a person's.
    payee_organization_id: DbId | None = None
    payee_name: str | None = Field(default=None, min_length=1, max_length=200)
    payee_kind: Literal["organization", "person"] | None = None

    @model_validator(mode="after")
    def _payee(self):
        if self.payee_organization_id is not None and self.payee_name:
            raise FieldError("payee_name", _("Name the payee or choose an organization, not both."))
        if self.payee_name:
            self.payee_kind = self.payee_kind or "person"
        else:
            self.payee_kind = None
        return self


class DisbursementPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    project_id: int | None
    need_id: int | None
    amount_minor: int
    currency: str
    description: str
    receipt_reference: str | None
    has_receipt_file: bool = False
    allow_general_fund: bool
    payee_organization_id: int | None = None
    payee_kind: Literal["organization", "person"] | None = Field(
        None, description="a named payee's kind; `organization` when one registered here"
    )
    payee: str | None = Field(
        None, description="who received the money; a person's name is never shown"
    )
    reversed: bool
    created_at: datetime


# ---- ledger


class LedgerEntryPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    seq: int
    kind: str
    amount_minor: int
    currency: str
    project_id: int | None
    need_id: int | None
    donation_id: int | None
    disbursement_id: int | None
    reverses_seq: int | None
    counterparty: str
    reference: str
    description: str
    recorded_at: LedgerTime
    prev_hash: str
    hash: str


class LedgerQuery(Pagination):
    model_config = examples({"incident_id": 1, "limit": 20, "offset": 0})

    incident_id: DbId | None = None


class VerifyQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId | None = None


class LedgerBreak(Output):
    incident_id: int
    seq: int
    entry_id: int | None
    reason: str


class ChainStatus(Output):
    incident_id: int
    entries: int
    ok: bool
    head_hash: str


class VerifyResult(Output):
    ok: bool
    entries: int
    chains: list[ChainStatus]
    first_break: LedgerBreak | None
    breaks: list[LedgerBreak]


class ReverseRequest(_In):
    model_config = examples({"reason": "Entered against the wrong incident."})

    reason: str = Field(min_length=1, max_length=2000)


class ExportQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId


# ---- don't send


class DontSendCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "category": "shelter",
            "label": "Used clothes",
            "reason": "Warehouses are full; please give money instead.",
        }
    )

    incident_id: DbId
    category: CategoryName
    label: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class DontSendPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    category: str
    label: str
    reason: str


class MostNeededItem(Output):
    category: str
    unit: str
    quantity: int
    needs: int
    priority: str
    needed_by: date


class DontSendBoard(Output):
    """What the incident needs most now, and what not to send."""

    most_needed: list[MostNeededItem]
    dont_send: list[DontSendPublic]


# ---- funds


class FundsPublic(Output):
    currency: str
    pledged_minor: int
    received_minor: int
    disbursed_minor: int
    balance_minor: int


class ProjectFundsPublic(Output):
    project_id: int
    funds_by_currency: list[FundsPublic]


class InKindPublic(Output):
    """Goods and services given in kind, at their givers' estimated value, per currency."""

    currency: str
    offered_value_minor: int = Field(description="estimated value of the open offers")
    delivered_value_minor: int = Field(description="estimated value of what was delivered")
    offers: int
    deliveries: int


class IncidentFundsPublic(Output):
    """In the deployment's currency as `funds`, every currency in `funds_by_currency`; what
    came in kind is apart in `in_kind` and never part of a cash figure."""

    funds: FundsPublic
    funds_by_currency: list[FundsPublic]
    projects: list[ProjectFundsPublic]
    in_kind: list[InKindPublic] = []


# ---- disclosures


class DisclosureCreate(_In):
    model_config = examples(
        {
            "period_start": "2025-10-01",
            "period_end": "2025-12-31",
            "body_markdown": "All gifts of the quarter went to the school rebuilding.",
        }
    )

    period_start: date
    period_end: date
    body_markdown: str = Field(default="", max_length=100_000)
    # A correction names the disclosure it corrects.
    corrects_id: DbId | None = None

    @model_validator(mode="after")
    def _period(self):
        if self.period_end < self.period_start:
            raise FieldError("period_end", _("The period cannot end before it starts."))
        return self


class DisclosurePublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    project_id: int | None
    fundraising_id: int | None = None
    period_start: date
    period_end: date
    body_markdown: str
    figures: dict[str, Any]
    corrects_id: int | None
    published_on: date


class CorrectionPublic(Output):
    id: int
    corrects_id: int
    published_on: date


class _CalendarRow(Output):
    title: str
    organization_id: int = Field(description="the responsible organization")
    disclosure_id: int | None = Field(description="the latest published disclosure")
    period_end: date | None
    published_on: date | None
    due_on: date | None = Field(description="when the next disclosure is due; none after the final")
    status: Literal["due", "overdue", "published"]
    final: bool
    schedule: Literal["quarterly", "at_end"] = Field(
        description="`quarterly` for a run longer than six months (every three months while it "
        "runs, then within three months of its end), else `at_end` (within three months of it)"
    )
    final_due_on: date | None = Field(description="when the final disclosure is due")
    next_period_start: date
    next_period_end: date
    corrections: list[CorrectionPublic]


class DisclosureRow(_CalendarRow):
    """One project's place in the disclosure calendar."""

    project_id: int
    project_title: str


class ActivityDisclosureRow(_CalendarRow):
    """One fundraising activity's place in the disclosure calendar."""

    fundraising_id: int


class DisclosureQuery(Pagination):
    model_config = examples({"incident_id": 1, "limit": 20, "offset": 0})

    incident_id: DbId


# ---- fundraising activities


class FundraisingCreate(_In):
    """A fundraising activity (appeal) for an incident, run by a verified organization (by
    default the official's own agency)."""

    model_config = examples(
        {
            "incident_id": 1,
            "title": "Rebuild the school appeal",
            "description": "Online appeal for the Willow Village school.",
            "record_number": "EXAMPLE-0000",
            "starts_on": "2027-07-01",
            "ends_on": "2027-09-30",
            "goal_minor": 100000000,
            "currency": "CNY",
        }
    )

    incident_id: DbId
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    record_number: str = Field(default="", max_length=100)
    organization_id: DbId | None = None
    starts_on: date
    ends_on: date
    goal_minor: AmountMinor | None = None
    currency: Currency

    @model_validator(mode="after")
    def _period(self):
        if self.ends_on < self.starts_on:
            raise FieldError("ends_on", _("The activity cannot end before it starts."))
        return self


class FundraisingPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    organization_id: int
    title: str
    description: str
    record_number: str
    starts_on: date
    ends_on: date
    goal_minor: int | None
    currency: str
    raised_minor: int = Field(0, description="received through it, less refunds, in its currency")
    gifts: int = 0


class FundraisingQuery(Pagination):
    model_config = examples({"incident_id": 1, "limit": 20, "offset": 0})

    incident_id: DbId
