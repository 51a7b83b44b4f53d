"""PDF receipts for received donations (fpdf2), with a CJK font when the system has one."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import URL

from core.dates import format_moment
from core.errors import Conflict, Forbidden
from core.i18n import _
from core.models import Role, User
from core.pdf import new_document
from core.web import format_money
from donations.models import Donation, DonationStatus
from donations.service.donations import get_donation, public_donor_name, receipt_entry
from donations.service.instructions import get_instructions, local_text
from recovery.service import ensure_can_act, get_incident, get_need, get_project


@dataclass(frozen=True)
class ReceiptData:
    number: str
    donor_name: str
    amount_minor: int
    currency: str
    incident: str
    purpose: str
    received_at: datetime
    reference: str
    ledger_seq: int | None
    ledger_hash: str | None
    verify_url: str
    verification_code: str = ""
    check_url: str = ""
    instructions: tuple[str, ...] = ()
    time_zone: str = "UTC"


def render_receipt(data: ReceiptData) -> bytes:
    pdf, family, clean = new_document(margin=20)
    pdf.set_title(clean(_("Donation receipt")))
    pdf.set_font(family, size=20)
    pdf.cell(0, 12, clean(_("Donation receipt")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    pdf.cell(
        0, 8, clean(_("Receipt number: %(n)s") % {"n": data.number}), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    rows = [
        (_("Donor"), data.donor_name),
        (_("Amount"), format_money(data.amount_minor, data.currency)),
        (_("Incident"), data.incident),
        (_("For"), data.purpose),
        (_("Received on"), f"{format_moment(data.received_at, data.time_zone)} ({data.time_zone})"),
        (_("Reference"), data.reference),
    ]
    if data.ledger_seq is not None:
        rows.append((_("Ledger entry"), f"#{data.ledger_seq}"))
    if data.verification_code:
        rows.append((_("Verification code"), data.verification_code))
    for label, value in rows:
        pdf.set_font(family, size=11)
        pdf.cell(45, 8, clean(label))
        pdf.multi_cell(0, 8, clean(value), new_x="LMARGIN", new_y="NEXT")
    if data.ledger_hash:
        pdf.ln(2)
        pdf.set_font(family, size=8)
        pdf.multi_cell(0, 5, clean(_("Ledger hash: %(hash)s") % {"hash": data.ledger_hash}))
    pdf.ln(6)
    pdf.set_font(family, size=9)
    pdf.multi_cell(
        0,
        5,
        clean(
            _(
                "Thank you. Anyone can check this entry in the public ledger and verify "
                "its hash chain at %(url)s"
            )
            % {"url": data.verify_url}
        ),
    )
    if data.check_url:
        pdf.ln(2)
        pdf.multi_cell(
            0,
            5,
            clean(
                _("Check that this receipt is genuine with its verification code at %(url)s")
                % {"url": data.check_url}
            ),
        )
    if data.instructions:
        pdf.ln(4)
        pdf.set_font(family, size=9)
        pdf.multi_cell(0, 5, clean(_("Payment instructions")), new_x="LMARGIN", new_y="NEXT")
        for line in data.instructions:
            pdf.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def instruction_lines(row) -> tuple[str, ...]:
    if row is None:
        return ()
    lines = [
        _("Account holder: %(v)s") % {"v": row.account_holder},
        _("Bank: %(v)s") % {"v": row.bank},
        _("Account number: %(v)s") % {"v": row.account_number},
    ]
    if row.reference_hint:
        lines.append(_("Reference to quote: %(v)s") % {"v": row.reference_hint})
    text = local_text(row)
    if text:
        lines.append(text)
    return tuple(lines)


async def check_code(session: AsyncSession, code: str) -> dict:
    """The public check of a receipt's verification code; says nothing about who gave."""
    cleaned = code.strip().upper().replace("-", "").replace(" ", "")
    donation = None
    if cleaned:
        donation = await session.scalar(
            select(Donation).where(Donation.verification_code == cleaned)
        )
    if donation is None:
        return {"valid": False}
    return {
        "valid": donation.status == DonationStatus.received,
        "donation_id": donation.id,
        "incident_id": donation.incident_id,
        "amount_minor": donation.received_minor,
        "currency": donation.currency,
        "received_on": donation.received_at.date() if donation.received_at else None,
        "purpose": await _purpose(session, donation),
        "public_name": public_donor_name(donation),
        "status": donation.status,
    }


async def _purpose(session: AsyncSession, donation: Donation) -> str:
    if donation.project_id:
        return (await get_project(session, donation.project_id)).title
    if donation.need_id:
        return (await get_need(session, donation.need_id)).title
    return _("General recovery funds")


async def donation_receipt(
    session: AsyncSession, *, donation_id: int, viewer: User, ledger_url: URL, check_url: URL
) -> bytes:
    """The receipt PDF of a received donation, for its donor or an official acting on its
    incident; it points to the public ledger page (`ledger_url`) of the donation's incident."""
    donation = await get_donation(session, donation_id)
    if donation.donor_id != viewer.id:
        if viewer.role != Role.official:
            raise Forbidden(_("This is another donor's receipt."))
        # It names the donor: only officials of an agency acting on the incident see it.
        await ensure_can_act(session, viewer, donation.incident_id)
    if donation.status != "received":
        raise Conflict(_("A receipt exists only once the money was received."))
    incident = await get_incident(session, donation.incident_id)
    purpose = await _purpose(session, donation)
    entry = await receipt_entry(session, donation.id)
    donor = await session.get(User, donation.donor_id) if donation.donor_id else None
    data = ReceiptData(
        number=f"RC-{donation.incident_id}-{donation.id}",
        donor_name=donor.name if donor else donation.donor_name or public_donor_name(donation),
        amount_minor=donation.received_minor or donation.amount_minor,
        currency=donation.currency,
        incident=incident.name,
        purpose=purpose,
        received_at=donation.received_at,
        reference=donation.reference or "",
        ledger_seq=entry.seq if entry else None,
        ledger_hash=entry.hash if entry else None,
        verify_url=str(ledger_url.include_query_params(incident_id=donation.incident_id)),
        verification_code=donation.verification_code or "",
        check_url=str(check_url),
        instructions=instruction_lines(await get_instructions(session, donation.incident_id)),
        time_zone=incident.time_zone,
    )
    return render_receipt(data)
