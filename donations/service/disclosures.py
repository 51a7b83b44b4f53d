"""Public disclosures on the Charity Law's calendar: per project and per fundraising activity
(Order 81 asks for one record of each); figures are frozen from the ledger when published,
and a correction is a new disclosure naming the one it corrects.

The Charity Law asks a project or a public fundraising that runs longer than six months to
disclose at least every three months while it runs, and every one, long or short, to
disclose in full within three months of its end.
So a long subject's next disclosure is due three months after it starts or after the period
the last one covered, as long as that falls within its run; after that (and for a short
subject, from the start) the final one is due three months after it ends. A disclosure whose
period reaches the end is the final one, and nothing more is due. "Today" is the incident's
calendar day, from core.clock. A project discloses the money given to it and spent on it; a
fundraising activity the gifts that came through it and how they were used.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.dates import format_day
from core.errors import InvalidInput, NotFound
from core.i18n import _
from core.models import User
from donations.models import (
    Disclosure,
    Donation,
    FundraisingActivity,
    LedgerEntry,
    LedgerHead,
    LedgerKind,
)
from recovery.service import (
    ensure_can_act,
    get_incident,
    get_project,
    incident_projects,
    incident_today,
)

# Every project and fundraising activity discloses at least every PERIOD_MONTHS while it
# runs and in full within PERIOD_MONTHS of its end. The Charity Law asks the quarterly entries
# of runs longer than six months; disclosing more often is allowed, and donors of a
# four-month project should not wait until after its end to see where their money went.
PERIOD_MONTHS = 3


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Subject:
    """What a disclosure is of: a project or a fundraising activity, with its run."""

    kind: str  # "project" or "fundraising"
    id: int
    incident_id: int
    title: str
    organization_id: int
    starts_on: date
    ends_on: date

    @property
    def column(self) -> str:
        return "project_id" if self.kind == "project" else "fundraising_id"

    @property
    def runs_long(self) -> bool:
        """Runs past its first quarter, so a disclosure falls due while it runs, not only the
        one in full after its end."""
        return self.ends_on > add_months(self.starts_on, PERIOD_MONTHS)


def project_subject(project) -> Subject:
    return Subject(
        "project", project.id, project.incident_id, project.title, project.lead_org_id,
        project.starts_on, project.due_on,
    )  # fmt: skip


def activity_subject(activity: FundraisingActivity) -> Subject:
    return Subject(
        "fundraising", activity.id, activity.incident_id, activity.title,
        activity.organization_id, activity.starts_on, activity.ends_on,
    )  # fmt: skip


async def publish(session: AsyncSession, *, project_id: int, data, actor: User) -> Disclosure:
    """Publish a disclosure of one project's money for a period, with its figures frozen."""
    project = await get_project(session, project_id)
    return await publish_for(session, project_subject(project), data=data, actor=actor)


async def publish_for_activity(
    session: AsyncSession, *, activity_id: int, data, actor: User
) -> Disclosure:
    """Publish a disclosure of what one fundraising activity raised and how it was used."""
    activity = await get_activity(session, activity_id)
    return await publish_for(session, activity_subject(activity), data=data, actor=actor)


async def get_activity(session: AsyncSession, activity_id: int) -> FundraisingActivity:
    activity = await session.get(FundraisingActivity, activity_id)
    if activity is None:
        raise NotFound(_("No such fundraising activity."))
    return activity


async def publish_for(session: AsyncSession, subject: Subject, *, data, actor: User) -> Disclosure:
    incident = await get_incident(session, subject.incident_id)
    await ensure_can_act(session, actor, subject.incident_id)
    today = incident_today(incident)
    if data.period_end > today:
        raise InvalidInput(
            _("A disclosure covers a period that has ended."),
            fields={"period_end": _("in the future")},
        )
    if data.corrects_id is not None:
        corrected = await session.get(Disclosure, data.corrects_id)
        if corrected is None or getattr(corrected, subject.column) != subject.id:
            raise InvalidInput(
                _("A correction names a disclosure of the same project or activity."),
                fields={"corrects_id": _("not a disclosure of this project or activity")},
            )
    else:
        await _refuse_a_period_out_of_turn(session, subject, data.period_start, data.period_end)
    if subject.kind == "project":
        figures = await frozen_figures(
            session, subject.incident_id, subject.id, data.period_start, data.period_end
        )
    else:
        figures = await activity_figures(
            session, subject.incident_id, subject.id, data.period_start, data.period_end
        )
    row = Disclosure(
        incident_id=subject.incident_id,
        period_start=data.period_start,
        period_end=data.period_end,
        body_markdown=data.body_markdown,
        figures=figures,
        corrects_id=data.corrects_id,
        published_on=today,
        created_by_id=actor.id,
        **{subject.column: subject.id},
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor=actor, action="disclosure.publish", obj=row, after=audit.snapshot(row)
    )
    return row


async def _refuse_a_period_out_of_turn(
    session: AsyncSession, subject: Subject, start: date, end: date
) -> None:
    """A regular disclosure covers time the project or activity ran, and no day another
    regular disclosure of it already covered: a changed figure is published as a correction."""
    if start < subject.starts_on:
        raise InvalidInput(
            _("A disclosure covers time since the project or activity started."),
            fields={
                "period_start": _("before it started (%(date)s)")
                % {"date": format_day(subject.starts_on)}
            },
        )
    column = getattr(Disclosure, subject.column)
    covered = await session.scalar(
        select(Disclosure)
        .where(
            column == subject.id,
            Disclosure.corrects_id.is_(None),
            Disclosure.period_start <= end,
            Disclosure.period_end >= start,
        )
        .order_by(Disclosure.period_start)
        .limit(1)
    )
    if covered is not None:
        span = {"start": format_day(covered.period_start), "end": format_day(covered.period_end)}
        raise InvalidInput(
            _("This period was disclosed already; publish a correction of that disclosure."),
            fields={"period_start": _("overlaps the disclosure of %(start)s – %(end)s") % span},
        )


async def frozen_figures(
    session: AsyncSession, incident_id: int, project_id: int, start: date, end: date
) -> dict:
    """The project's money in the period and to its end, summed from the ledger entries,
    with the chain's head at publication so anyone can tie the figures to the chain."""
    rows = list(
        await session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.incident_id == incident_id)
            .order_by(LedgerEntry.seq)
        )
    )
    kinds = {e.seq: e.kind for e in rows}
    general = set(
        await session.scalars(
            select(Donation.id).where(
                Donation.incident_id == incident_id,
                Donation.project_id.is_(None),
                Donation.need_id.is_(None),
            )
        )
    )
    by_currency: dict[str, dict] = {}
    for entry in rows:
        if entry.project_id != project_id:
            continue
        day = entry.recorded_at.date()
        if day > end:
            continue
        kind, sign = entry.kind, 1
        if kind == LedgerKind.reversal:
            kind, sign = kinds.get(entry.reverses_seq, ""), -1
        if kind == LedgerKind.refund:
            kind, sign = LedgerKind.receipt, -1
        figure = {
            LedgerKind.receipt: "received_minor",
            LedgerKind.disbursement: "disbursed_minor",
            LedgerKind.allocation: (
                "from_general_fund_minor"
                if entry.donation_id in general
                else "from_restricted_minor"
            ),
        }.get(kind)
        if figure is None:
            continue
        totals = by_currency.setdefault(
            entry.currency,
            {
                "currency": entry.currency,
                "received_minor": 0,
                "disbursed_minor": 0,
                "from_restricted_minor": 0,
                "from_general_fund_minor": 0,
                "received_to_date_minor": 0,
                "disbursed_to_date_minor": 0,
            },
        )
        if figure in ("received_minor", "disbursed_minor"):
            totals[figure.replace("_minor", "_to_date_minor")] += sign * entry.amount_minor
        if day >= start:
            totals[figure] += sign * entry.amount_minor
    head = await session.get(LedgerHead, incident_id)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "by_currency": [by_currency[c] for c in sorted(by_currency)],
        "ledger_seq": head.seq if head else 0,
        "ledger_hash": head.hash if head else None,
    }


async def activity_figures(
    session: AsyncSession, incident_id: int, activity_id: int, start: date, end: date
) -> dict:
    """What came through the activity in the period and to its end, and how it was used
    (drawn by disbursements, refunded), summed from the ledger entries of its gifts."""
    gifts = set(
        await session.scalars(
            select(Donation.id).where(
                Donation.incident_id == incident_id, Donation.fundraising_id == activity_id
            )
        )
    )
    rows = list(
        await session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.incident_id == incident_id)
            .order_by(LedgerEntry.seq)
        )
    )
    kinds = {e.seq: e.kind for e in rows}
    by_currency: dict[str, dict] = {}
    names = {
        LedgerKind.receipt: "received",
        LedgerKind.allocation: "used",
        LedgerKind.refund: "refunded",
    }
    for entry in rows:
        if entry.donation_id not in gifts or entry.recorded_at.date() > end:
            continue
        kind, sign = entry.kind, 1
        if kind == LedgerKind.reversal:
            kind, sign = kinds.get(entry.reverses_seq, ""), -1
        name = names.get(kind)
        if name is None:
            continue
        totals = by_currency.setdefault(
            entry.currency,
            {"currency": entry.currency}
            | {
                f"{n}{suffix}": 0 for n in names.values() for suffix in ("_minor", "_to_date_minor")
            },
        )
        totals[f"{name}_to_date_minor"] += sign * entry.amount_minor
        if entry.recorded_at.date() >= start:
            totals[f"{name}_minor"] += sign * entry.amount_minor
    for totals in by_currency.values():
        totals["unspent_to_date_minor"] = (
            totals["received_to_date_minor"]
            - totals["used_to_date_minor"]
            - totals["refunded_to_date_minor"]
        )
    head = await session.get(LedgerHead, incident_id)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "gifts": len(gifts),
        "by_currency": [by_currency[c] for c in sorted(by_currency)],
        "ledger_seq": head.seq if head else 0,
        "ledger_hash": head.hash if head else None,
    }


async def get_disclosure(session: AsyncSession, disclosure_id: int) -> Disclosure:
    row = await session.get(Disclosure, disclosure_id)
    if row is None:
        raise NotFound(_("No such disclosure."))
    return row


async def subject_disclosures(session: AsyncSession, subject: Subject) -> list[Disclosure]:
    column = getattr(Disclosure, subject.column)
    rows = await session.scalars(
        select(Disclosure)
        .where(column == subject.id)
        .order_by(Disclosure.period_end, Disclosure.id)
    )
    return list(rows)


def schedule_row(subject: Subject, rows: list[Disclosure], today: date) -> dict:
    """Where one project or activity stands: its latest disclosure and the next one due."""
    regular = [r for r in rows if r.corrects_id is None]
    latest = regular[-1] if regular else None
    final = latest is not None and latest.period_end >= subject.ends_on
    due_on = None
    if not final:
        due_on = add_months(subject.ends_on, PERIOD_MONTHS)
        if subject.runs_long:
            start = latest.period_end if latest else subject.starts_on
            quarterly = add_months(start, PERIOD_MONTHS)
            if quarterly <= subject.ends_on:
                due_on = quarterly
    next_start, next_end = period_after(subject, rows, today)
    if due_on is not None and due_on < today:
        status = "overdue"
    elif latest is not None:
        status = "published"
    else:
        status = "due"
    project = subject.kind == "project"
    return {
        "subject": subject.kind,
        "project_id": subject.id if project else None,
        "fundraising_id": None if project else subject.id,
        "title": subject.title,
        "project_title": subject.title if project else None,
        "organization_id": subject.organization_id,
        "disclosure_id": latest.id if latest else None,
        "period_end": latest.period_end if latest else None,
        "published_on": latest.published_on if latest else None,
        "due_on": due_on,
        "status": status,
        "final": final,
        "schedule": "quarterly" if subject.runs_long else "at_end",
        "final_due_on": None if final else add_months(subject.ends_on, PERIOD_MONTHS),
        "next_period_start": next_start,
        "next_period_end": next_end,
        "corrections": [
            {"id": r.id, "corrects_id": r.corrects_id, "published_on": r.published_on}
            for r in rows
            if r.corrects_id is not None
        ],
    }


async def subjects(session: AsyncSession, incident_id: int) -> list[Subject]:
    """The incident's projects, then its fundraising activities, oldest first."""
    found = [project_subject(p) for p in await incident_projects(session, incident_id)]
    activities = await session.scalars(
        select(FundraisingActivity)
        .where(FundraisingActivity.incident_id == incident_id)
        .order_by(FundraisingActivity.starts_on, FundraisingActivity.id)
    )
    return found + [activity_subject(a) for a in activities]


async def calendar_rows(
    session: AsyncSession, incident_id: int, kind: str | None = None
) -> list[dict]:
    """A row for every project and fundraising activity of the incident (public), or for
    those of one `kind` ("project" or "fundraising")."""
    incident = await get_incident(session, incident_id)
    today = incident_today(incident)
    rows = []
    for subject in await subjects(session, incident_id):
        if kind is not None and subject.kind != kind:
            continue
        rows.append(schedule_row(subject, await subject_disclosures(session, subject), today))
    return rows


async def overdue_items(session: AsyncSession, incident_id: int) -> dict:
    """Provider "supervision.items": overdue disclosures, each under the project's lead
    organization, for the supervision board and the reminders."""
    incident = await get_incident(session, incident_id)
    today = incident_today(incident)
    items = []
    for row in await calendar_rows(session, incident_id):
        if row["status"] != "overdue":
            continue
        items.append(
            {
                "organization_id": row["organization_id"],
                "kind": "disclosure",
                "id": row["project_id"] or row["fundraising_id"],
                "title": row["title"],
                "incident_id": incident_id,
                "project_id": row["project_id"],
                "due_on": row["due_on"],
                "days_late": (today - row["due_on"]).days,
                "status": "overdue",
            }
        )
    return {"overdue_disclosures": items}


def period_after(subject: Subject, rows: list[Disclosure], today: date) -> tuple[date, date]:
    """The period the next disclosure should cover (the publish form's defaults): from the
    day after the last one, a quarter for a long subject, else to its end, never past today."""
    regular = [r for r in rows if r.corrects_id is None]
    start = regular[-1].period_end + timedelta(days=1) if regular else subject.starts_on
    end = subject.ends_on
    if subject.runs_long:
        end = min(add_months(start, PERIOD_MONTHS) - timedelta(days=1), end)
    end = min(end, today)
    return start, max(start, end)


async def incident_disclosures(session: AsyncSession, incident_id: int) -> list[Disclosure]:
    rows = await session.scalars(
        select(Disclosure)
        .where(Disclosure.incident_id == incident_id)
        .order_by(
            Disclosure.project_id, Disclosure.fundraising_id, Disclosure.period_end, Disclosure.id
        )
    )
    return list(rows)
