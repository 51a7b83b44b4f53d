"""The certificate of volunteer hours, as a PDF (fpdf2), readable in Chinese and English."""

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow, zone
from core.i18n import _, current_locale
from core.models import Organization, User
from core.pdf import new_document
from volunteers.models import Attendance
from volunteers.service.profiles import hours
from volunteers.service.signups import my_signups


@dataclass
class CertificateLine:
    day: datetime
    shift: str
    organization: str
    hours: float


class _Writer:
    """Writes with a CJK font when the machine has one, else the built-in Helvetica.

    Helvetica only covers Latin-1, so other characters become "?" rather than failing.
    """

    def __init__(self):
        self.pdf, self.family, self.text = new_document(margin=18)

    def line(self, value: str, size: float = 11, height: float = 7, align: str = "L") -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(
            0, height, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def row(self, cells: list[tuple[str, float, str]], size: float = 10) -> None:
        self.pdf.set_font(self.family, size=size)
        for value, width, align in cells:
            self.pdf.cell(width, 7, self.text(value)[:60], border="B", align=align)
        self.pdf.ln(7)


def certificate_pdf(*, name: str, lines: list[CertificateLine], issued: datetime) -> bytes:
    """Hours per shift with the organization that ran it, and the total. The volunteer's own
    name is the only personal detail on it."""
    locale = current_locale.get()
    writer = _Writer()
    pdf = writer.pdf
    pdf.set_title(writer.text(_("Certificate of volunteer hours")))
    pdf.set_creator("Recovery Commons")
    writer.line(_("Recovery Commons"), size=10)
    pdf.ln(6)
    writer.line(_("Certificate of volunteer hours"), size=20, height=10, align="C")
    pdf.ln(4)
    writer.line(_("This certifies that"), size=12, align="C")
    writer.line(name, size=18, height=10, align="C")
    total = round(sum(line.hours for line in lines), 2)
    writer.line(
        _("volunteered %(hours)s hours in %(count)s shifts for the recovery.")
        % {"hours": f"{total:g}", "count": len(lines)},
        size=12,
        align="C",
    )
    pdf.ln(6)
    widths = (32, 78, 55, 25)
    writer.row(
        [
            (_("Date"), widths[0], "L"),
            (_("Shift"), widths[1], "L"),
            (_("Organization"), widths[2], "L"),
            (_("Hours"), widths[3], "R"),
        ],
        size=10,
    )
    for line in lines:
        day = format_date(line.day.date(), "medium", locale=locale)
        writer.row(
            [
                (day, widths[0], "L"),
                (line.shift, widths[1], "L"),
                (line.organization, widths[2], "L"),
                (f"{line.hours:g}", widths[3], "R"),
            ]
        )
    writer.row(
        [
            (_("Total"), widths[0] + widths[1] + widths[2], "L"),
            (f"{total:g}", widths[3], "R"),
        ]
    )
    pdf.ln(10)
    writer.line(
        _("Issued on %(date)s by Recovery Commons.")
        % {"date": format_date(issued.date(), "long", locale=locale)},
        size=10,
    )
    return bytes(pdf.output())


async def certificate_for(session: AsyncSession, user: User, *, time_zone: str) -> bytes:
    """The certificate of the shifts the volunteer attended, dated in `time_zone`."""
    local = zone(time_zone)
    rows = await my_signups(session, user.id)
    attended = sorted(
        (row for row in rows if row[0].attendance == Attendance.attended),
        key=lambda row: row[1].starts_at,
    )
    org_ids = {shift.organization_id for _signup, shift in attended}
    names = dict(
        (
            await session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
            )
        ).all()
    )
    lines = [
        CertificateLine(
            day=shift.starts_at.astimezone(local),
            shift=shift.title,
            organization=names.get(shift.organization_id, ""),
            hours=hours(signup.minutes),
        )
        for signup, shift in attended
    ]
    return certificate_pdf(name=user.name, lines=lines, issued=utcnow().astimezone(local))
