"""PDF receipts for received donations (fpdf2), with a CJK font when the system has one."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF

from core.i18n import _
from core.web import format_money

# Noto CJK ships with Debian's fonts-noto-cjk; index 2 of the collection is Simplified Chinese.
CJK_FONTS = (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),
)


@cache
def cjk_font() -> tuple[Path, int] | None:
    for path, index in CJK_FONTS:
        if path.is_file():
            return path, index
    return None


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
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    font = cjk_font()
    if font is not None:
        pdf.add_font("cjk", fname=str(font[0]), collection_font_number=font[1])
        family, clean = "cjk", _keep
    else:
        # Without a CJK font the core fonts only know Latin-1: never crash, mark what is lost.
        family, clean = "helvetica", _latin1
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


def _keep(text: str) -> str:
    return text


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
