"""PDF receipts for received donations (fpdf2), with a CJK font when the system has one."""

from dataclasses import dataclass
from datetime import datetime

from core.i18n import _
from core.pdf import new_document
from core.web import format_money


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
        (_("Received on"), data.received_at.strftime("%Y-%m-%d %H:%M UTC")),
        (_("Reference"), data.reference),
    ]
    if data.ledger_seq is not None:
        rows.append((_("Ledger entry"), f"#{data.ledger_seq}"))
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
    return bytes(pdf.output())
