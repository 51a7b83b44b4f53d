"""IATI 2.03 export: each project of an incident as an activity with its money transactions.

Organizations carry no registered IATI identifiers here, so refs use the platform's own
scheme `XI-RC-<organization id>`; donors appear only by their public name or "Anonymous".
The incident's general fund (money given or spent without a project) is one more activity,
so the whole money trail is published and the file always holds the one activity the schema
requires. Reversed receipts and disbursements are left out: IATI has no reversal transaction.
"""

from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Organization, OrgKind, User
from core.types import printable
from donations.models import Disbursement, Donation, DonationStatus
from donations.service.donations import public_donor_name
from recovery.service import get_area, get_incident, incident_projects

IATI_VERSION = "2.03"
ORG_TYPES = {
    OrgKind.government: "10",
    OrgKind.ngo: "22",
    OrgKind.community: "24",
    OrgKind.company: "70",
}
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"
TX_INCOMING, TX_DISBURSEMENT = "1", "3"
# DAC 5-digit sector: immediate post-emergency reconstruction and rehabilitation.
SECTOR_VOCABULARY, SECTOR_CODE = "1", "73010"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
PLATFORM_REF, PLATFORM_NAME = "XI-RC-0", "Recovery Commons"
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


async def activities(session: AsyncSession, incident, currency: str):
    """Each activity without its transactions, with an async iterator of those."""
    yield await _fund_activity(session, incident, currency)
    for project in await incident_projects(session, incident.id):
        yield await _activity(session, incident, project)


async def _reporter(session: AsyncSession, created_by_id: int | None) -> Organization | None:
    creator = await session.get(User, created_by_id) if created_by_id else None
    return await _organization(session, creator.organization_id if creator else None)


def _open_activity(reporter: Organization | None, identifier: str, currency: str, **extra):
    activity = etree.Element(
        "iati-activity",
        humanitarian="1",
        **{"default-currency": currency, "last-updated-datetime": _stamp(utcnow())} | extra,
    )
    ref = org_ref(reporter) if reporter else PLATFORM_REF
    etree.SubElement(activity, "iati-identifier").text = f"{ref}-{identifier}"
    kind = ORG_TYPES.get(reporter.kind, "90") if reporter else "90"
    reporting = etree.SubElement(activity, "reporting-org", ref=ref, type=kind)
    _narrative(reporting, reporter.name if reporter else PLATFORM_NAME)
    return activity


async def _fund_activity(session: AsyncSession, incident, currency: str):
    """Money given to the incident or a need, or spent without a project."""
    reporter = await _reporter(session, incident.created_by_id)
    # Donations arrive as they come: a rapid-onset crisis has no budget (BudgetNotProvided 3).
    activity = _open_activity(reporter, f"I{incident.id}", currency, **{"budget-not-provided": "3"})
    _text(activity, "title", f"{incident.name}: general recovery fund")
    _text(activity, "description", incident.description or incident.name)
    _participant(activity, ROLE_FUNDING, None, "Public donors through Recovery Commons")
    if reporter is not None:
        _participant(activity, ROLE_ACCOUNTABLE, reporter)
    etree.SubElement(activity, "activity-status", code="2")
    etree.SubElement(activity, "activity-date", type="2", **{"iso-date": str(incident.started_on)})
    _sector(activity)
    return activity, _transactions(session, incident.id, None, None)


async def _activity(session: AsyncSession, incident, project):
    lead = await _organization(session, project.lead_org_id)
    reporter = await _reporter(session, project.created_by_id) or lead
    activity = _open_activity(reporter, f"I{incident.id}-P{project.id}", project.currency)
    _text(activity, "title", project.title)
    _text(activity, "description", project.description or project.title)
    _participant(activity, ROLE_FUNDING, None, "Public donors through Recovery Commons")
    _participant(activity, ROLE_ACCOUNTABLE, reporter)
    if lead is not None:
        _participant(activity, ROLE_IMPLEMENTING, lead)
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
    return activity, _transactions(session, incident.id, project.id, lead)


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


def _status(project) -> str:
    today = utcnow().date()
    if project.starts_on > today:
        return "1"  # pipeline
    return "3" if project.progress >= 100 else "2"  # finalisation, implementation


async def _transactions(
    session: AsyncSession, incident_id: int, project_id: int | None, lead
) -> AsyncIterator[etree._Element]:
    """The activity's transactions, each a detached element, read from server-side cursors."""
    donations = await session.stream_scalars(
        select(Donation)
        .where(
            Donation.incident_id == incident_id,
            Donation.project_id == project_id
            if project_id is not None
            else Donation.project_id.is_(None),
            Donation.status == DonationStatus.received,
        )
        .order_by(Donation.received_at, Donation.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for donation in donations:
        when = donation.received_at.date()
        tx = etree.Element("transaction", ref=f"RC-DON-{donation.id}")
        etree.SubElement(tx, "transaction-type", code=TX_INCOMING)
        etree.SubElement(tx, "transaction-date", **{"iso-date": when.isoformat()})
        _value(tx, "value", donation.amount_minor, donation.currency, when)
        _text(tx, "description", f"Donation received, reference {donation.reference}")
        _text(tx, "provider-org", public_donor_name(donation))
        yield tx
    disbursements = await session.stream_scalars(
        select(Disbursement)
        .where(
            Disbursement.incident_id == incident_id,
            Disbursement.project_id == project_id
            if project_id is not None
            else Disbursement.project_id.is_(None),
            Disbursement.reversed.is_(False),
        )
        .order_by(Disbursement.created_at, Disbursement.id)
        .execution_options(yield_per=TX_BATCH)
    )
    async for row in disbursements:
        when = row.created_at.date()
        tx = etree.Element("transaction", ref=f"RC-DIS-{row.id}")
        etree.SubElement(tx, "transaction-type", code=TX_DISBURSEMENT)
        etree.SubElement(tx, "transaction-date", **{"iso-date": when.isoformat()})
        _value(tx, "value", row.amount_minor, row.currency, when)
        _text(tx, "description", row.description)
        if lead is not None:
            receiver = etree.SubElement(tx, "receiver-org", ref=org_ref(lead))
            _narrative(receiver, lead.name)
        yield tx
