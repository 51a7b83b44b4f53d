"""IATI 2.03 export: each project of an incident as an activity with its money transactions.

Organizations carry no registered IATI identifiers here, so refs use the platform's own
scheme `XI-RC-<organization id>`; donors appear only by their public name or "Anonymous".
The incident's general fund (money given or spent without a project) is one more activity,
so the whole money trail is published and the file always holds the one activity the schema
requires. Reversed receipts and disbursements are left out: IATI has no reversal transaction;
a gift counts what was received less what was refunded.

Every transaction names its provider and receiver organization. A gift comes from its donor
to the activity's reporting organization; a disbursement goes from the reporting
organization to its payee (a registered organization by name and ref, one the official
named by name only, a person only as "An individual"), else to the project's lead
(implementing) organization, or, without a project, is spent by the reporting organization
itself. A disbursement's description lists the gifts its allocations drew from, and an
allocation that drew a gift of another activity (the general fund paying for a project) is
a pair of transactions that links the two activities by `provider-activity-id` and
`receiver-activity-id`: a disbursement out of the gift's activity and incoming funds into
the disbursement's.

Gifts in kind are one more activity of their own, so no sum of an activity's transactions
mixes goods with cash. IATI 2.03 has no in-kind code (the Cash and Voucher Modalities
vocabulary of `aid-type` names only cash and vouchers), so the activity's title and every
transaction's description say "in kind, estimated value", and `value` is the giver's
estimate: an open valued pledge is an Incoming Pledge (13) of its estimated value, what was
delivered on a match Incoming Funds (1) of the value delivered, both grants (finance type
110). A warehouse's reserve stock is the government's own and is left out.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from lxml import etree
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.drills import is_drill
from core.models import Organization, OrgKind, User
from core.types import printable
from donations.models import (
    INDIVIDUAL_PAYEE,
    Allocation,
    Disbursement,
    Donation,
    DonationStatus,
    Match,
    Offer,
    OfferStatus,
    PayeeKind,
)
from donations.service.donations import public_donor_name
from donations.service.in_kind import GIVEN
from recovery.service import get_area, get_incident, incident_projects

IATI_VERSION = "2.03"
ORG_TYPES = {
    OrgKind.government: "10",
    OrgKind.ngo: "22",
    OrgKind.community: "24",
    OrgKind.company: "70",
}
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"
TX_INCOMING, TX_DISBURSEMENT, TX_INCOMING_PLEDGE = "1", "3", "13"
FINANCE_GRANT = "110"
# DAC 5-digit sector: immediate post-emergency reconstruction and rehabilitation.
SECTOR_VOCABULARY, SECTOR_CODE = "1", "73010"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
PLATFORM_REF, PLATFORM_NAME = "XI-RC-0", "Recovery Commons"
PUBLIC_DONORS = "Public donors through Recovery Commons"
# Rows per server-side cursor batch of a streamed export.
TX_BATCH = 500


def org_ref(org: Organization) -> str:
    return f"XI-RC-{org.id}"


def _narrative(parent: etree._Element, text: str) -> None:
    # Whatever a row holds, lxml refuses characters XML cannot carry: the file must still build.
    etree.SubElement(parent, "narrative").text = printable(text)


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    _narrative(element, text)
    return element


def _value(parent: etree._Element, tag: str, minor: int, currency: str, when: date) -> None:
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    element = etree.SubElement(parent, tag, currency=currency, **{"value-date": when.isoformat()})
    element.text = str(amount)


def _stamp(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


async def _organization(session: AsyncSession, org_id: int | None) -> Organization | None:
    return None if org_id is None else await session.get(Organization, org_id)


async def activities_xml(session: AsyncSession, incident_id: int, *, currency: str) -> bytes:
    chunks = await activities_chunks(session, incident_id, currency=currency)
    return b"".join([chunk async for chunk in chunks])


async def activities_chunks(
    session: AsyncSession, incident_id: int, *, currency: str
) -> AsyncIterator[bytes]:
    """The document as a stream, for an incident that exists (a 404 comes before any byte)."""
    incident = await get_incident(session, incident_id)
    return _chunks(session, incident, currency)


async def _chunks(session: AsyncSession, incident, currency: str) -> AsyncIterator[bytes]:
    """The same bytes lxml's pretty print of the whole tree gives: each activity's head,
    then its transactions a batch at a time, so no tree of the whole money trail is held."""
    root = _root()
    head = etree.tostring(
        _nest(root, 1), xml_declaration=True, encoding="UTF-8", pretty_print=True
    ).split(b"\n")
    yield b"\n".join(head[:2]) + b"\n"
    async for activity, transactions in activities(session, incident, currency):
        lines = _fragment(activity, 1).split(b"\n")
        # The activity up to its closing tag, which follows its transactions.
        yield b"\n".join(lines[:-2]) + b"\n"
        chunk: list[bytes] = []
        async for tx in transactions:
            chunk.append(_fragment(tx, 2))
            if len(chunk) >= 200:
                yield b"".join(chunk)
                chunk = []
        yield b"".join(chunk) + lines[-2] + b"\n"
    yield b"</iati-activities>\n"


def _root() -> etree._Element:
    return etree.Element(
        "iati-activities",
        version=IATI_VERSION,
        **{"generated-datetime": _stamp(utcnow())},
    )


def _nest(parent: etree._Element, depth: int) -> etree._Element:
    """`parent` with `depth` levels of placeholders below it; returns the top."""
    top = parent
    for _ in range(depth):
        parent = etree.SubElement(parent, "placeholder")
    return top


def _fragment(element: etree._Element, depth: int) -> bytes:
    """`element` serialized as it would be inside a pretty-printed document at `depth`:
    libxml2's indentation follows the depth, so it is printed inside placeholders."""
    holder = etree.Element("placeholder")
    inner = holder
    for _ in range(depth - 1):
        inner = etree.SubElement(inner, "placeholder")
    inner.append(element)
    lines = etree.tostring(holder, encoding="UTF-8", pretty_print=True).split(b"\n")
    # Drop the placeholders' opening and closing lines (and the final empty one).
    return b"\n".join(lines[depth : -depth - 1]) + b"\n"


@dataclass(frozen=True)
class Side:
    """One activity as a transaction names it: its identifier and its reporting organization."""

    identifier: str
    reporter: Organization | None
    lead: Organization | None = None


async def activities(session: AsyncSession, incident, currency: str):
    """Each activity without its transactions, with an async iterator of those; none for a
    drill, which is never in the open data."""
    if await is_drill(session, incident.id):
        return
    projects = await incident_projects(session, incident.id)
    sides: dict[int | None, Side] = {}
    reporter = await _reporter(session, incident.created_by_id)
    sides[None] = Side(_identifier(reporter, f"I{incident.id}"), reporter)
    for project in projects:
        lead = await _organization(session, project.lead_org_id)
        owner = await _reporter(session, project.created_by_id) or lead
        sides[project.id] = Side(_identifier(owner, f"I{incident.id}-P{project.id}"), owner, lead)
    yield (
        _fund_activity(incident, currency, sides),
        _transactions(session, incident.id, None, sides),
    )
    for project in projects:
        yield (
            await _activity(session, project, sides[project.id]),
            _transactions(session, incident.id, project.id, sides),
        )
    if await _has_in_kind(session, incident.id):
        side = Side(_identifier(reporter, f"I{incident.id}-K"), reporter)
        title = f"{incident.name}: gifts in kind (estimated value)"
        yield (
            _fund_activity(incident, currency, {None: side}, title=title),
            _in_kind_transactions(session, incident.id, side),
        )


async def _reporter(session: AsyncSession, created_by_id: int | None) -> Organization | None:
    creator = await session.get(User, created_by_id) if created_by_id else None
    return await _organization(session, creator.organization_id if creator else None)


def _identifier(reporter: Organization | None, suffix: str) -> str:
    return f"{org_ref(reporter) if reporter else PLATFORM_REF}-{suffix}"


def _open_activity(side: Side, currency: str, **extra):
    reporter = side.reporter
    activity = etree.Element(
        "iati-activity",
        humanitarian="1",
        **{"default-currency": currency, "last-updated-datetime": _stamp(utcnow())} | extra,
    )
    etree.SubElement(activity, "iati-identifier").text = side.identifier
    ref = org_ref(reporter) if reporter else PLATFORM_REF
    kind = ORG_TYPES.get(reporter.kind, "90") if reporter else "90"
    reporting = etree.SubElement(activity, "reporting-org", ref=ref, type=kind)
    _narrative(reporting, reporter.name if reporter else PLATFORM_NAME)
    return activity


def _fund_activity(incident, currency: str, sides: dict[int | None, Side], *, title: str = ""):
    """Money given to the incident or a need, or spent without a project (or, with its own
    title, the gifts in kind)."""
    side = sides[None]
    # Donations arrive as they come: a rapid-onset crisis has no budget (BudgetNotProvided 3).
    activity = _open_activity(side, currency, **{"budget-not-provided": "3"})
    _text(activity, "title", title or f"{incident.name}: general recovery fund")
    _text(activity, "description", incident.description or incident.name)
    _participant(activity, ROLE_FUNDING, None, PUBLIC_DONORS)
    if side.reporter is not None:
        _participant(activity, ROLE_ACCOUNTABLE, side.reporter)
    etree.SubElement(activity, "activity-status", code="2")
    etree.SubElement(activity, "activity-date", type="2", **{"iso-date": str(incident.started_on)})
    _sector(activity)
    return activity


async def _activity(session: AsyncSession, project, side: Side):
    activity = _open_activity(side, project.currency)
    _text(activity, "title", project.title)
    _text(activity, "description", project.description or project.title)
    _participant(activity, ROLE_FUNDING, None, PUBLIC_DONORS)
    _participant(activity, ROLE_ACCOUNTABLE, side.reporter)
    if side.lead is not None:
        _participant(activity, ROLE_IMPLEMENTING, side.lead)
    etree.SubElement(activity, "activity-status", code=_status(project))
    etree.SubElement(activity, "activity-date", type="1", **{"iso-date": str(project.starts_on)})
    etree.SubElement(activity, "activity-date", type="3", **{"iso-date": str(project.due_on)})
    if project.area_id is not None:
        area = await get_area(session, project.area_id)
        location = etree.SubElement(activity, "location")
        _text(location, "name", area.name)
        point = etree.SubElement(location, "point", srsName=WGS84)
        etree.SubElement(point, "pos").text = f"{area.lat:.6f} {area.lon:.6f}"
    _sector(activity)
    budget = etree.SubElement(activity, "budget", type="1", status="2")
    etree.SubElement(budget, "period-start", **{"iso-date": str(project.starts_on)})
    etree.SubElement(budget, "period-end", **{"iso-date": str(project.due_on)})
    _value(budget, "value", project.budget_minor, project.currency, project.starts_on)
    return activity


def _sector(activity) -> None:
    sector = etree.SubElement(
        activity, "sector", vocabulary=SECTOR_VOCABULARY, code=SECTOR_CODE, percentage="100"
    )
    _narrative(sector, "Immediate post-emergency reconstruction and rehabilitation")


def _participant(activity, role: str, org: Organization | None, name: str = "") -> None:
    attrs = {"role": role}
    if org is not None:
        attrs |= {"ref": org_ref(org), "type": ORG_TYPES.get(org.kind, "90")}
    element = etree.SubElement(activity, "participating-org", **attrs)
    _narrative(element, org.name if org is not None else name)


def _party(
    tx, tag: str, org: Organization | None, activity: Side | None = None, donor: str = ""
) -> None:
    """A transaction's provider-org or receiver-org: a donor by name only, else an organization
    with its ref (the platform's own when the activity has no organization), and the activity
    the money leaves or enters when it is one of this file's."""
    attrs: dict[str, str] = {}
    if not donor:
        attrs["ref"] = org_ref(org) if org is not None else PLATFORM_REF
    if activity is not None:
        attrs[f"{tag.removesuffix('-org')}-activity-id"] = activity.identifier
    if org is not None:
        attrs["type"] = ORG_TYPES.get(org.kind, "90")
    element = etree.SubElement(tx, tag, **attrs)
    _narrative(element, donor or (org.name if org is not None else PLATFORM_NAME))


def _status(project) -> str:
    today = utcnow().date()
    if project.starts_on > today:
        return "1"  # pipeline
    return "3" if project.progress >= 100 else "2"  # finalisation, implementation


def _in_activity(column, project_id: int | None):
    return column == project_id if project_id is not None else column.is_(None)


def _money(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-get_currency_precision(currency)))


async def _transactions(
    session: AsyncSession, incident_id: int, project_id: int | None, sides: dict
) -> AsyncIterator[etree._Element]:
    """The activity's transactions, each a detached element, read from server-side cursors:
    gifts received, money drawn in from other activities, disbursements, money drawn out."""
    here = sides[project_id]
    donations = await session.stream_scalars(
        select(Donation)
        .where(
            Donation.incident_id == incident_id,
            _in_activity(Donation.project_id, project_id),
            Donation.status == DonationStatus.received,
        )
        .order_by(Donation.received_at, Donation.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for donation in donations:
        # A received gift with no amount recorded was received in full (as d003 backfilled).
        received = (
            donation.amount_minor if donation.received_minor is None else donation.received_minor
        )
        net = received - donation.refunded_minor
        if net <= 0:
            continue
        when = donation.received_at.date()
        tx = _open_tx(f"RC-DON-{donation.id}", TX_INCOMING, when, net, donation.currency)
        _text(tx, "description", f"Donation received, reference {donation.reference}")
        _party(tx, "provider-org", None, donor=public_donor_name(donation))
        _party(tx, "receiver-org", here.reporter, here)
        yield tx
    async for tx in _links(session, incident_id, project_id, sides, incoming=True):
        yield tx
    async for tx in _disbursements(session, incident_id, project_id, here):
        yield tx
    async for tx in _links(session, incident_id, project_id, sides, incoming=False):
        yield tx


def _open_tx(ref: str, code: str, when: date, minor: int, currency: str) -> etree._Element:
    tx = etree.Element("transaction", ref=ref)
    etree.SubElement(tx, "transaction-type", code=code)
    etree.SubElement(tx, "transaction-date", **{"iso-date": when.isoformat()})
    _value(tx, "value", minor, currency, when)
    return tx


async def _disbursements(
    session: AsyncSession, incident_id: int, project_id: int | None, here: Side
) -> AsyncIterator[etree._Element]:
    """Each disbursement with the gifts its live allocations drew from, in one ordered read."""
    rows = await session.stream(
        select(Disbursement, Allocation.donation_id, Allocation.amount_minor)
        .outerjoin(
            Allocation,
            and_(Allocation.disbursement_id == Disbursement.id, Allocation.reversed.is_(False)),
        )
        .where(
            Disbursement.incident_id == incident_id,
            _in_activity(Disbursement.project_id, project_id),
            Disbursement.reversed.is_(False),
        )
        .order_by(Disbursement.created_at, Disbursement.id, Allocation.id)
        .execution_options(yield_per=TX_BATCH)
    )
    current: Disbursement | None = None
    drawn: list[str] = []
    payees: dict[int, Organization | None] = {}
    async for row, donation_id, amount in rows:
        if current is not None and row.id != current.id:
            yield _disbursement(current, drawn, here, payees)
            drawn = []
        current = row
        org_id = row.payee_organization_id
        if org_id is not None and org_id not in payees:
            payees[org_id] = await session.get(Organization, org_id)
        if donation_id is not None:
            drawn.append(f"RC-DON-{donation_id} {_money(amount, row.currency)}")
    if current is not None:
        yield _disbursement(current, drawn, here, payees)


def _disbursement(
    row: Disbursement, drawn: list[str], here: Side, payees: dict[int, Organization | None]
) -> etree._Element:
    when = row.created_at.date()
    tx = _open_tx(f"RC-DIS-{row.id}", TX_DISBURSEMENT, when, row.amount_minor, row.currency)
    text = row.description
    if drawn:
        text += f" (paid from gifts: {', '.join(drawn)})"
    _text(tx, "description", text)
    _party(tx, "provider-org", here.reporter, here)
    payee = payees.get(row.payee_organization_id) if row.payee_organization_id else None
    if payee is not None:
        _party(tx, "receiver-org", payee)
    elif row.payee_kind == PayeeKind.person:
        # A person paid directly is named by no more than that, as on the public ledger.
        _party(tx, "receiver-org", None, donor=INDIVIDUAL_PAYEE)
    elif row.payee_name:
        _party(tx, "receiver-org", None, donor=row.payee_name)
    else:
        # Without a payee, a project's lead (else the reporting organization) received it.
        _party(tx, "receiver-org", here.lead or here.reporter)
    return tx


async def _links(
    session: AsyncSession, incident_id: int, project_id: int | None, sides: dict, *, incoming: bool
) -> AsyncIterator[etree._Element]:
    """Allocations that drew a gift of one activity for a disbursement of another: incoming
    funds of the disbursement's activity, or a disbursement out of the gift's activity."""
    mine, theirs = (
        (Disbursement.project_id, Donation.project_id)
        if incoming
        else (Donation.project_id, Disbursement.project_id)
    )
    rows = await session.stream(
        select(Allocation, Disbursement.created_at, Donation.project_id, Disbursement.project_id)
        .join(Disbursement, Disbursement.id == Allocation.disbursement_id)
        .join(Donation, Donation.id == Allocation.donation_id)
        .where(
            Allocation.incident_id == incident_id,
            Allocation.reversed.is_(False),
            Disbursement.reversed.is_(False),
            _in_activity(mine, project_id),
            theirs.is_not(None)
            if project_id is None
            else or_(theirs.is_(None), theirs != project_id),
        )
        .order_by(Disbursement.created_at, Allocation.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for allocation, created_at, gift_project, spent_project in rows:
        source, target = sides.get(gift_project), sides.get(spent_project)
        if source is None or target is None:
            continue  # a project of another incident cannot hold this incident's money
        when = created_at.date()
        code = TX_INCOMING if incoming else TX_DISBURSEMENT
        tx = _open_tx(
            f"RC-ALC-{allocation.id}", code, when, allocation.amount_minor, allocation.currency
        )
        _text(
            tx,
            "description",
            f"Gift RC-DON-{allocation.donation_id} drawn for disbursement "
            f"RC-DIS-{allocation.disbursement_id}",
        )
        _party(tx, "provider-org", source.reporter, source)
        _party(tx, "receiver-org", target.reporter, target)
        yield tx


async def _has_in_kind(session: AsyncSession, incident_id: int) -> bool:
    valued = select(Offer.id).where(
        Offer.incident_id == incident_id, GIVEN, Offer.value_minor.is_not(None)
    )
    return await session.scalar(valued.limit(1)) is not None


async def _in_kind_transactions(
    session: AsyncSession, incident_id: int, here: Side
) -> AsyncIterator[etree._Element]:
    """Open valued pledges in kind, then what was delivered on each match, at estimated value."""
    givers: dict[int, Organization | None] = {}

    async def giver(offer: Offer) -> Organization | None:
        if offer.organization_id is not None and offer.organization_id not in givers:
            givers[offer.organization_id] = await session.get(Organization, offer.organization_id)
        return givers.get(offer.organization_id) if offer.organization_id else None

    pledges = await session.stream_scalars(
        select(Offer)
        .where(
            Offer.incident_id == incident_id,
            GIVEN,
            Offer.status == OfferStatus.open.value,
            Offer.value_minor.is_not(None),
        )
        .order_by(Offer.created_at, Offer.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for offer in pledges:
        when = offer.created_at.date()
        tx = _open_tx(
            f"RC-INK-{offer.id}", TX_INCOMING_PLEDGE, when, offer.value_minor, offer.value_currency
        )
        goods = _goods(offer, offer.quantity)
        _text(tx, "description", f"In kind, estimated value: pledged {goods}")
        _in_kind_parties(tx, await giver(offer), here)
        yield tx
    deliveries = await session.stream(
        select(Match, Offer)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            Offer.incident_id == incident_id,
            GIVEN,
            Offer.value_currency.is_not(None),
            Match.value_delivered_minor > 0,
        )
        .order_by(Match.created_at, Match.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for match, offer in deliveries:
        when = (match.fulfilled_at or match.decided_at or match.created_at).date()
        tx = _open_tx(
            f"RC-INKD-{match.id}", TX_INCOMING, when, match.value_delivered_minor,
            offer.value_currency,
        )  # fmt: skip
        _text(
            tx,
            "description",
            f"In kind, estimated value: delivered {_goods(offer, match.quantity_fulfilled)} "
            f"for need RC-NEED-{match.need_id}",
        )
        _in_kind_parties(tx, await giver(offer), here)
        yield tx


def _goods(offer: Offer, quantity: int) -> str:
    return f"{quantity} {offer.unit} of {offer.category}"


def _in_kind_parties(tx, giver: Organization | None, here: Side) -> None:
    # A gift in kind is a grant; IATI's schema wants finance-type after the parties.
    _party(tx, "provider-org", giver, donor="" if giver is not None else "Anonymous")
    _party(tx, "receiver-org", here.reporter, here)
    etree.SubElement(tx, "finance-type", code=FINANCE_GRANT)
