"""The donor's trail: what one gift paid for, by purpose name, and what is still unspent;
and the purposes' names the public ledger shows instead of bare ids."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotAuthenticated
from core.i18n import _
from core.models import Role, User
from donations.models import Donation, DonationStatus, LedgerEntry
from donations.service import allocations
from donations.service.donations import get_donation, public_donor_name
from recovery.service import get_need, get_project


async def purpose_name(session: AsyncSession, project_id: int | None, need_id: int | None) -> str:
    if project_id is not None:
        return (await get_project(session, project_id)).title
    if need_id is not None:
        return (await get_need(session, need_id)).title
    return _("General recovery funds")


def may_see(donation: Donation, viewer: User | None) -> bool:
    """The donor sees their own gift's trail, officials every one, anyone a named gift's."""
    if donation.public_name:
        return True
    if viewer is None:
        return False
    return viewer.role == Role.official or donation.donor_id == viewer.id


async def visible_donation(session: AsyncSession, donation_id: int, viewer: User | None):
    donation = await get_donation(session, donation_id)
    if not may_see(donation, viewer):
        if viewer is None:
            raise NotAuthenticated(_("Sign in to see the trail of your gift."))
        raise Forbidden(_("This gift's donor did not choose to be named publicly."))
    return donation


async def gift_trail(session: AsyncSession, donation: Donation) -> dict:
    """The trail of one gift; the caller has checked that the viewer may see it."""
    rows = await allocations.of_donation(session, donation.id)
    names: dict[tuple[int | None, int | None], str] = {}
    items = []
    for allocation, disbursement in rows:
        key = (disbursement.project_id, disbursement.need_id)
        if key not in names:
            names[key] = await purpose_name(session, *key)
        items.append(
            {
                "disbursement_id": disbursement.id,
                "amount_minor": allocation.amount_minor,
                "purpose": names[key],
                "project_id": disbursement.project_id,
                "need_id": disbursement.need_id,
                "description": disbursement.description,
                "payee": disbursement.payee,
                "payee_kind": disbursement.payee_kind,
                "on": disbursement.created_at.date(),
            }
        )
    received = (donation.received_minor or 0) if donation.status == DonationStatus.received else 0
    return {
        "donation_id": donation.id,
        "incident_id": donation.incident_id,
        "currency": donation.currency,
        "purpose": await purpose_name(session, donation.project_id, donation.need_id),
        "public_name": public_donor_name(donation),
        "status": donation.status,
        "received_minor": received,
        "refunded_minor": donation.refunded_minor,
        "allocations": items,
        "unspent_minor": donation.unspent_minor,
    }


async def trails(session: AsyncSession, donations: list[Donation]) -> dict[int, dict]:
    return {d.id: await gift_trail(session, d) for d in donations}


async def entry_names(session: AsyncSession, rows: list[LedgerEntry]) -> dict[str, dict]:
    """Project and need titles for the entries shown, so the ledger names what money was for."""
    projects = {e.project_id for e in rows if e.project_id}
    needs = {e.need_id for e in rows if e.need_id}
    return {
        "projects": {pid: (await get_project(session, pid)).title for pid in sorted(projects)},
        "needs": {nid: (await get_need(session, nid)).title for nid in sorted(needs)},
    }


async def drawn_from(session: AsyncSession, rows: list[LedgerEntry]) -> dict[int, list[dict]]:
    """Per disbursement entry shown, the gifts it drew from by public name, and how much."""
    ids = [e.disbursement_id for e in rows if e.kind == "disbursement" and e.disbursement_id]
    found = await allocations.of_disbursements(session, ids)
    return {
        disbursement_id: [
            {"name": public_donor_name(d), "amount_minor": a.amount_minor, "donation_id": d.id}
            for a, d in pairs
        ]
        for disbursement_id, pairs in found.items()
    }


async def named_gift_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    """Which of these gifts have a public name (their trail page is public)."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(Donation.id).where(Donation.id.in_(ids), Donation.public_name.is_not(None))
    )
    return set(rows)
