"""Certificates of volunteer service: issued with a verification code, as a PDF (fpdf2) in
Chinese or English, and checked by anyone holding the code."""

import secrets
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import zone
from core.errors import Conflict, NotFound
from core.i18n import _, current_locale, ngettext
from core.models import Organization, User
from core.pdf import new_document
from recovery.service import get_incident
from volunteers.models import Attendance, Certificate
from volunteers.service.profiles import hours
from volunteers.service.signups import my_signups

# Unambiguous characters (no 0/O, 1/I/L) so a code read off paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


@dataclass
class CertificateLine:
    day: date
    shift: str
    organization: str
    location: str
    minutes: int


class _Writer:
    """Writes with a CJK font when the machine has one, else the built-in Helvetica.

    Helvetica only covers Latin-1, so other characters become "?" rather than failing.
    """

    def __init__(self):
        self.pdf, self.family, self.text = new_document(margin=18)

    def line(self, value: str, size: float = 11, height: float = 7, align: str = "L") -> None:
        from fpdf.enums import XPos, YPos  # only a process writing a PDF loads fpdf2

        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(
            0, height, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def row(self, cells: list[tuple[str, float, str]], size: float = 10) -> None:
        self.pdf.set_font(self.family, size=size)
        for value, width, align in cells:
            self.pdf.cell(width, 7, self.text(value)[:60], border="B", align=align)
        self.pdf.ln(7)


def masked_name(name: str) -> str:
    """Each part of a name reduced to its first character and stars ("张小明" -> "张**")."""
    return " ".join(part[0] + "*" * min(len(part) - 1, 3) for part in name.split()) or "*"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: str) -> str:
    """A code as typed (any case, with dashes or spaces) in its stored form."""
    return "".join(ch for ch in code.upper() if ch.isalnum())[:CODE_LENGTH]


def shown_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def service_records(session: AsyncSession, user: User) -> list[CertificateLine]:
    """The attended shifts with hours, oldest first, each dated in its incident's zone."""
    rows = await my_signups(session, user.id)
    attended = sorted(
        (row for row in rows if row[0].attendance == Attendance.attended and row[0].minutes > 0),
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
    zones = {}
    for incident_id in {shift.incident_id for _signup, shift in attended}:
        zones[incident_id] = zone((await get_incident(session, incident_id)).time_zone)
    return [
        CertificateLine(
            day=shift.starts_at.astimezone(zones[shift.incident_id]).date(),
            shift=shift.title,
            organization=names.get(shift.organization_id, ""),
            location=shift.location,
            minutes=signup.minutes,
        )
        for signup, shift in attended
    ]


def _record(line: CertificateLine) -> dict:
    return {
        "date": line.day.isoformat(),
        "shift": line.shift,
        "organization": line.organization,
        "location": line.location,
        "minutes": line.minutes,
    }


def certificate_lines(certificate: Certificate) -> list[CertificateLine]:
    return [
        CertificateLine(
            day=date.fromisoformat(r["date"]),
            shift=r["shift"],
            organization=r["organization"],
            location=r.get("location", ""),
            minutes=r["minutes"],
        )
        for r in certificate.records
    ]


async def issue_certificate(session: AsyncSession, user: User) -> Certificate:
    """The certificate of the volunteer's service so far: the last one issued if nothing has
    changed since, else a new one with its own code. None is issued for no hours."""
    lines = await service_records(session, user)
    total = sum(line.minutes for line in lines)
    if total <= 0:
        raise Conflict(
            _(
                "There are no attended hours to certify yet. Hours count once an organizer "
                "records your attendance."
            )
        )
    records = [_record(line) for line in lines]
    latest = await session.scalar(
        select(Certificate)
        .where(Certificate.volunteer_id == user.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )
    if latest is not None and latest.records == records and latest.holder == masked_name(user.name):
        return latest
    certificate = Certificate(
        code=_new_code(),
        volunteer_id=user.id,
        holder=masked_name(user.name),
        total_minutes=total,
        records=records,
    )
    session.add(certificate)
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="certificate.issued",
        obj=certificate,
        after={"total_minutes": total, "records": len(records)},
    )
    return certificate


async def find_certificate(session: AsyncSession, code: str) -> Certificate:
    found = await session.scalar(select(Certificate).where(Certificate.code == normal_code(code)))
    if found is None:
        raise NotFound(_("No certificate has this code. Check it against the paper."))
    return found


async def forget_certificates(session: AsyncSession, user: User) -> None:
    """Part of account deletion: the certificates go, so their codes no longer verify."""
    await session.execute(delete(Certificate).where(Certificate.volunteer_id == user.id))


def certificate_pdf(
    certificate: Certificate, *, name: str, verify_url: str, zone_name: str
) -> bytes:
    """The holder's service records (date, shift, place, organization, hours), the total,
    the verification code and where to check it. The name is the only personal detail."""
    locale = current_locale.get()
    lines = certificate_lines(certificate)
    writer = _Writer()
    pdf = writer.pdf
    pdf.set_title(writer.text(_("Certificate of volunteer service")))
    pdf.set_creator("Recovery Commons")
    writer.line(_("Recovery Commons"), size=10)
    pdf.ln(6)
    writer.line(_("Certificate of volunteer service"), size=20, height=10, align="C")
    pdf.ln(4)
    writer.line(_("This certifies that"), size=12, align="C")
    writer.line(name, size=18, height=10, align="C")
    total = hours(certificate.total_minutes)
    writer.line(
        ngettext(
            "served %(hours)s hours in %(num)d shift for the recovery.",
            "served %(hours)s hours in %(num)d shifts for the recovery.",
            len(lines),
        )
        % {"hours": format_decimal(total, locale=locale), "num": len(lines)},
        size=12,
        align="C",
    )
    pdf.ln(6)
    widths = (28, 58, 52, 38, 18)
    writer.row(
        [
            (_("Date"), widths[0], "L"),
            (_("Shift"), widths[1], "L"),
            (_("Place"), widths[2], "L"),
            (_("Recorded by"), widths[3], "L"),
            (_("Hours"), widths[4], "R"),
        ],
        size=10,
    )
    for line in lines:
        writer.row(
            [
                (format_date(line.day, "medium", locale=locale), widths[0], "L"),
                (line.shift, widths[1], "L"),
                (line.location, widths[2], "L"),
                (line.organization, widths[3], "L"),
                (format_decimal(hours(line.minutes), locale=locale), widths[4], "R"),
            ]
        )
    writer.row(
        [
            (_("Total"), sum(widths[:4]), "L"),
            (format_decimal(total, locale=locale), widths[4], "R"),
        ]
    )
    pdf.ln(6)
    writer.line(
        _("Each record was made by the organization that ran the shift, which certifies it."),
        size=9,
    )
    issued = certificate.issued_at.astimezone(zone(zone_name)).date()
    writer.line(
        _("Issued on %(date)s by Recovery Commons.")
        % {"date": format_date(issued, "medium", locale=locale)},
        size=10,
    )
    writer.line(
        _("Verification code %(code)s: check it at %(url)s")
        % {"code": shown_code(certificate.code), "url": verify_url},
        size=10,
    )
    return bytes(pdf.output())
