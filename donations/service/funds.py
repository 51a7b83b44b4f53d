"""Money figures per incident and project: pledged, received, disbursed and the balance.

Funds are reported in the deployment's currency (settings.currency) as `funds`; when money
came in other currencies too, `funds_by_currency` lists every currency (never converted).
For a project, `funds` is in the project's own currency. `pledged_minor` counts every pledge
not reversed (received ones included; money that came without a pledge is not a pledge),
`received_minor` what officials recorded as received (the amount that arrived, less refunds),
`disbursed_minor` what was spent, and `balance_minor` = received - disbursed. Money is pooled
per incident, so a project's balance may be negative when general funds paid for it. Gifts in
kind are figured apart (service.in_kind) and never enter these cash figures.
"""

from collections import defaultdict
from functools import cache

from sqlalchemy import bindparam, func, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import core_connection, json_rows
from core.domain import FigureColumns
from core.models import Organization, OrgStatus
from core.settings import Settings
from donations.models import Channel, Disbursement, Donation, DonationStatus
from donations.service import (
    donations,
    giving,
    in_kind,
    instructions,
    ledger,
    spending,
    trail,
)
from recovery.service import get_incident, incident_projects, open_needs, project_currency


@cache
def default_currency() -> str:
    return Settings().currency


def _empty(currency: str) -> dict:
    return {
        "currency": currency,
        "pledged_minor": 0,
        "received_minor": 0,
        "disbursed_minor": 0,
        "balance_minor": 0,
    }


def _grouped(column: str, value):
    """The gifts' totals and then the spending's where `column` (incident_id or project_id) is
    `value`: a bound value, or the id column of the statement asking (see PROJECT_FUNDS)."""
    gifts = (
        select(
            literal_column("'gift'").label("kind"),
            Donation.currency,
            Donation.status,
            Donation.channel,
            func.sum(Donation.amount_minor),
            func.sum(func.coalesce(Donation.received_minor, 0) - Donation.refunded_minor),
        )
        .where(getattr(Donation, column) == value)
        .correlate_except(Donation)
    )
    spent = (
        select(
            literal_column("'spent'"),
            Disbursement.currency,
            null(),
            null(),
            func.sum(Disbursement.amount_minor),
            literal_column("0"),
        )
        .where(Disbursement.reversed.is_(False), getattr(Disbursement, column) == value)
        .correlate_except(Disbursement)
    )
    return union_all(
        gifts.group_by(Donation.currency, Donation.status, Donation.channel),
        spent.group_by(Disbursement.currency),
    )


@cache
def _statement(column: str):
    """`_grouped` of the bound `id`, built once: the dashboard reads it on every rebuild."""
    return _grouped(column, bindparam("id"))


def _by_currency(rows) -> dict[str, dict]:
    """Funds by currency from the rows of `_grouped`."""
    by_currency: dict[str, dict] = defaultdict(dict)
    for kind, currency, status, channel, amount, received in rows:
        row = by_currency[currency] or _empty(currency)
        by_currency[currency] = row
        if kind == "spent":
            row["disbursed_minor"] += int(amount)
            continue
        if channel == Channel.pledge and status in (
            DonationStatus.pledged,
            DonationStatus.received,
        ):
            row["pledged_minor"] += int(amount)
        if status == DonationStatus.received:
            row["received_minor"] += int(received)
    for row in by_currency.values():
        row["balance_minor"] = row["received_minor"] - row["disbursed_minor"]
    return dict(by_currency)


async def _totals(session: AsyncSession, column: str, value: int) -> dict[str, dict]:
    """Funds by currency of the incident or project whose `column` is `value`."""
    rows = await (await core_connection(session)).execute(_statement(column), {"id": value})
    return _by_currency(rows)


def _shape(by_currency: dict[str, dict], main: str) -> dict:
    return {
        "funds": by_currency.get(main, _empty(main)),
        "funds_by_currency": [by_currency[c] for c in sorted(by_currency)],
    }


async def incident_funds(session: AsyncSession, incident_id: int) -> dict:
    totals = await _totals(session, "incident_id", incident_id)
    return _shape(totals, default_currency())


def _project_funds(project_id) -> list:
    """The project's currency and its grouped totals (a JSON column of `_grouped`'s rows)."""
    grouped = _grouped("project_id", project_id).subquery()
    return [
        project_currency(project_id).label("donations_currency"),
        select(json_rows(*grouped.c)).scalar_subquery().label("donations_funds"),
    ]


# The project's page reads its funds inside its own statement (core/domain.py FigureColumns);
# `funds` is in the project's currency.
PROJECT_FUNDS = FigureColumns(
    columns=_project_funds,
    read=lambda values: _shape(
        _by_currency(values["donations_funds"] or ()), values["donations_currency"]
    ),
)


async def projects_funds(session: AsyncSession, incident_id: int) -> dict[int, dict[str, dict]]:
    """Per project of the incident that has any money attached: totals by currency."""
    ids = set(
        await session.scalars(
            select(Donation.project_id).where(
                Donation.incident_id == incident_id, Donation.project_id.is_not(None)
            )
        )
    ) | set(
        await session.scalars(
            select(Disbursement.project_id).where(
                Disbursement.incident_id == incident_id, Disbursement.project_id.is_not(None)
            )
        )
    )
    result = {}
    for project_id in sorted(ids):
        result[project_id] = await _totals(session, "project_id", project_id)
    return result


async def incident_summary(session: AsyncSession, incident_id: int) -> dict:
    """An incident's funds, overall and per project that has money attached (public)."""
    incident = await get_incident(session, incident_id)
    summary = await incident_funds(session, incident.id)
    per_project = await projects_funds(session, incident.id)
    summary["projects"] = [
        {"project_id": project_id, "funds_by_currency": list(totals.values())}
        for project_id, totals in per_project.items()
    ]
    summary["in_kind"] = await in_kind.incident_in_kind(session, incident.id)
    return summary


async def desk(session: AsyncSession, incident_id: int | None) -> dict:
    """The officials' funds desk of an incident: pledges to receive, spending, corrections."""
    view: dict = {
        "incident_id": incident_id,
        "pledges": [],
        "received": [],
        "instructions": None,
        "disbursements": [],
        "dont_send": [],
        "projects": [],
        "needs": [],
        "figures": None,
        "entries": [],
        "names": {"projects": {}, "needs": {}},
        "reversed_seqs": set(),
        "organizations": [],
    }
    if not incident_id:
        return view
    entries, _count = await ledger.entries(session, incident_id=incident_id)
    pledges, _total = await donations.list_donations(
        session, incident_id=incident_id, status="pledged", limit=200
    )
    received, _total = await donations.list_donations(
        session, incident_id=incident_id, status="received", limit=200
    )
    return view | {
        "pledges": pledges,
        "received": received,
        "instructions": await instructions.get_instructions(session, incident_id),
        "disbursements": await spending.list_disbursements(session, incident_id=incident_id),
        "dont_send": await giving.dont_send_list(session, incident_id),
        "projects": await incident_projects(session, incident_id),
        "needs": await open_needs(session, incident_id),
        "figures": await incident_funds(session, incident_id),
        "entries": entries,
        "names": await trail.entry_names(session, entries),
        "reversed_seqs": {e.reverses_seq for e in entries if e.reverses_seq},
        "organizations": await payee_organizations(session),
    }


async def payee_organizations(session: AsyncSession) -> list[tuple[int, str]]:
    """The verified organizations a disbursement may be paid to, by name."""
    rows = await session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.status == OrgStatus.verified.value)
        .order_by(Organization.name, Organization.id)
    )
    return [(org_id, name) for org_id, name in rows]
