"""The donations domain's /api/v1 operations: offers, matching, money, the ledger, exports."""

import re

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.errors import DomainError, Forbidden
from core.i18n import _
from core.models import Role
from donations import iati, ledger
from donations.schemas import (
    DisbursementCreate,
    DisbursementPublic,
    DonationCreate,
    DonationPublic,
    DonationQuery,
    DontSendCreate,
    DontSendPublic,
    ExportQuery,
    FulfilRequest,
    LedgerEntryPublic,
    LedgerQuery,
    MatchQuery,
    MostNeededItem,
    OfferCreate,
    OfferPublic,
    OfferQuery,
    OfferUpdate,
    ProposalPublic,
    ReceiveRequest,
    ReverseRequest,
    RunCreate,
    RunPublic,
    UnmetPublic,
    VerifyQuery,
    VerifyResult,
)
from donations.service import figures, matching, money, offers, spending
from donations.service.common import owns_offer
from recovery.service import get_incident

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


# ---- offers


async def create_offer(request: Request, body: OfferCreate) -> Response:
    """Post capacity (NGO) or an in-kind pledge (donor) for an incident."""
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    offer = await offers.create_offer(session, owner=user, data=body)
    await session.commit()
    return api.ok(OfferPublic.model_validate(offer), 201)


async def list_offers(request: Request, query: OfferQuery) -> Response:
    """Your own offers; officials see every offer."""
    user = await require(request, Role.ngo, Role.donor, Role.official)
    rows, total = await offers.list_offers(
        get_session(request),
        viewer=user,
        incident_id=query.incident_id,
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    return api.page([OfferPublic.model_validate(o) for o in rows], total)


async def get_offer(request: Request) -> Response:
    """One offer, for its owner or an official."""
    user = await require(request, Role.ngo, Role.donor, Role.official)
    offer = await offers.get_offer(get_session(request), request.path_params["id"])
    if user.role != Role.official and not owns_offer(user, offer):
        raise Forbidden(_("Only the offering side and officials may see this offer."))
    return api.ok(OfferPublic.model_validate(offer))


async def update_offer(request: Request, body: OfferUpdate) -> Response:
    """Change your offer (quantity cannot drop below what accepted matches committed)."""
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    offer = await offers.update_offer(
        session, offer_id=request.path_params["id"], actor=user, data=body
    )
    await session.commit()
    return api.ok(OfferPublic.model_validate(offer))


async def withdraw_offer(request: Request) -> Response:
    """Withdraw your offer; its undecided proposals lapse."""
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    offer = await offers.withdraw_offer(session, offer_id=request.path_params["id"], actor=user)
    await session.commit()
    return api.ok(OfferPublic.model_validate(offer))


# ---- matching


async def _run_public(session, run_id: int) -> RunPublic:
    run, proposals, unmet = await matching.run_details(session, run_id)
    return RunPublic(
        id=run.id,
        incident_id=run.incident_id,
        created_at=run.created_at,
        proposals=[ProposalPublic.model_validate(p) for p in proposals],
        unmet=[UnmetPublic.model_validate(u) for u in unmet],
    )


async def create_run(request: Request, body: RunCreate) -> Response:
    """Match open offers to open needs of an incident; proposals wait for an official."""
    user = await require(request, Role.official)
    session = get_session(request)
    run = await matching.run(session, incident_id=body.incident_id, actor=user)
    answer = await _run_public(session, run.id)
    await session.commit()
    return api.ok(answer, 201)


async def get_run(request: Request) -> Response:
    """A matching run with its proposals and unmet needs."""
    await require(request, Role.official)
    return api.ok(await _run_public(get_session(request), request.path_params["id"]))


async def accept_match(request: Request) -> Response:
    """Accept a proposal; the offer's capacity is committed atomically."""
    user = await require(request, Role.official)
    session = get_session(request)
    row = await matching.accept(session, match_id=request.path_params["id"], actor=user)
    await session.commit()
    return api.ok(ProposalPublic.model_validate(row))


async def decline_match(request: Request) -> Response:
    """Decline a proposal."""
    user = await require(request, Role.official)
    session = get_session(request)
    row = await matching.decline(session, match_id=request.path_params["id"], actor=user)
    await session.commit()
    return api.ok(ProposalPublic.model_validate(row))


async def fulfil_match(request: Request, body: FulfilRequest) -> Response:
    """Report delivery on an accepted match; the need's quantity_met rises by `quantity`."""
    user = await require(request, Role.ngo, Role.donor)
    session = get_session(request)
    row = await matching.fulfil(
        session, match_id=request.path_params["id"], quantity=body.quantity, actor=user
    )
    await session.commit()
    return api.ok(ProposalPublic.model_validate(row))


async def my_matches(request: Request, query: MatchQuery) -> Response:
    """Accepted and fulfilled matches on your (organization's) offers."""
    user = await require(request, Role.ngo, Role.donor)
    rows = await matching.matches_for(get_session(request), user)
    items = [m for m, _o in rows if query.status is None or m.status == query.status]
    page = items[query.offset : query.offset + query.limit]
    return api.page([ProposalPublic.model_validate(m) for m in page], len(items))


# ---- money


async def create_donation(request: Request, body: DonationCreate) -> Response:
    """Pledge money; send an Idempotency-Key header so a retry never pledges twice."""
    user = await require(request, Role.donor)
    key = request.headers.get("idempotency-key")
    if key is not None and not _KEY.match(key):
        raise DomainError(
            _("The Idempotency-Key must be 1 to 200 visible ASCII characters."),
            400,
            "bad_idempotency_key",
            {"Idempotency-Key": _("invalid")},
        )
    session = get_session(request)
    answer, replayed = await money.pledge(session, donor=user, data=body, idempotency_key=key)
    await session.commit()
    response = api.ok(answer, 201)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


async def list_donations(request: Request, query: DonationQuery) -> Response:
    """Donors see their own donations; officials see all (to record receipts)."""
    user = await require(request, Role.donor, Role.official)
    rows, total = await money.list_donations(
        get_session(request),
        incident_id=query.incident_id,
        status=query.status,
        donor_id=None if user.role == Role.official else user.id,
        limit=query.limit,
        offset=query.offset,
    )
    return api.page([DonationPublic.model_validate(d) for d in rows], total)


async def receive_donation(request: Request, body: ReceiveRequest) -> Response:
    """Record that a pledged donation's money arrived; it enters the balance and the ledger."""
    user = await require(request, Role.official)
    session = get_session(request)
    donation = await money.receive(
        session, donation_id=request.path_params["id"], reference=body.reference, actor=user
    )
    await session.commit()
    return api.ok(DonationPublic.model_validate(donation))


def disbursement_public(row) -> DisbursementPublic:
    return DisbursementPublic.model_validate(row).model_copy(
        update={"has_receipt_file": bool(row.receipt_file)}
    )


async def create_disbursement(request: Request, body: DisbursementCreate) -> Response:
    """Spend received funds on a project or need; refused beyond the incident's balance."""
    user = await require(request, Role.official)
    session = get_session(request)
    row = await spending.disburse(session, data=body, actor=user)
    await session.commit()
    return api.ok(disbursement_public(row), 201)


async def list_disbursements(request: Request, query: ExportQuery) -> Response:
    """An incident's disbursements (public)."""
    rows = await spending.list_disbursements(get_session(request), incident_id=query.incident_id)
    return api.page([disbursement_public(r) for r in rows], len(rows))


async def incident_funds(request: Request) -> Response:
    """Pledged, received, disbursed and balance for an incident, overall and per project."""
    session = get_session(request)
    incident_id = (await get_incident(session, request.path_params["id"])).id
    data = await figures.incident_funds(session, incident_id)
    per_project = await figures.projects_funds(session, incident_id)
    data["projects"] = [
        {"project_id": pid, "funds_by_currency": list(totals.values())}
        for pid, totals in per_project.items()
    ]
    return api.ok(data)


async def most_needed(request: Request) -> Response:
    """What the incident needs most now, and what not to send."""
    session = get_session(request)
    incident_id = request.path_params["id"]
    items = await figures.most_needed(session, incident_id)
    dont = await offers.dont_send_list(session, incident_id)
    return api.ok(
        {
            "most_needed": [MostNeededItem(**item) for item in items],
            "dont_send": [DontSendPublic.model_validate(d) for d in dont],
        }
    )


async def add_dont_send(request: Request, body: DontSendCreate) -> Response:
    """Ask donors not to send a category of goods, with the reason."""
    user = await require(request, Role.official)
    session = get_session(request)
    item = await offers.add_dont_send(session, data=body, actor=user)
    await session.commit()
    return api.ok(DontSendPublic.model_validate(item), 201)


async def remove_dont_send(request: Request) -> Response:
    """Take a category off the don't-send list."""
    user = await require(request, Role.official)
    session = get_session(request)
    await offers.remove_dont_send(session, item_id=request.path_params["id"], actor=user)
    await session.commit()
    return Response(status_code=204)


# ---- ledger and exports


async def ledger_entries(request: Request, query: LedgerQuery) -> Response:
    """Ledger entries in chain order, each with prev_hash and hash."""
    rows, total = await ledger.entries(
        get_session(request), incident_id=query.incident_id, limit=query.limit, offset=query.offset
    )
    return api.page([LedgerEntryPublic(**ledger.public_entry(r)) for r in rows], total)


async def ledger_verify(request: Request, query: VerifyQuery) -> Response:
    """Recompute every hash chain and say where, if anywhere, it breaks."""
    result = await ledger.verify(get_session(request), query.incident_id)
    return api.ok(VerifyResult.model_validate(result))


async def ledger_reverse(request: Request, body: ReverseRequest) -> Response:
    """Correct a receipt or disbursement with a reversing entry (entries are never edited)."""
    user = await require(request, Role.official)
    session = get_session(request)
    entry = await spending.reverse_entry(
        session, entry_id=request.path_params["id"], reason=body.reason, actor=user
    )
    await session.commit()
    return api.ok(LedgerEntryPublic(**ledger.public_entry(entry)), 201)


async def ledger_json(request: Request, query: ExportQuery) -> Response:
    """The incident's whole chain as JSON, ready for the verification snippet."""
    rows, _total = await ledger.entries(get_session(request), incident_id=query.incident_id)
    return Response(
        ledger.to_json(rows, query.incident_id),
        media_type="application/json",
        headers=_attachment(f"ledger-incident-{query.incident_id}.json"),
    )


async def ledger_csv(request: Request, query: ExportQuery) -> Response:
    """The incident's chain as CSV."""
    rows, _total = await ledger.entries(get_session(request), incident_id=query.incident_id)
    return Response(
        ledger.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"ledger-incident-{query.incident_id}.csv"),
    )


async def iati_export(request: Request, query: ExportQuery) -> Response:
    """The incident's projects as IATI 2.03 activities with their transactions."""
    xml = await iati.activities_xml(
        get_session(request), query.incident_id, currency=request.app.state.settings.currency
    )
    return Response(xml, media_type="application/xml")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


R = api.ApiRoute
api_routes = [
    R("/offers", create_offer, methods=["POST"], name="offers_create", body=OfferCreate,
      response=OfferPublic, status_code=201, auth="ngo, donor", tags=["offers"]),
    R("/offers", list_offers, name="offers_list", query=OfferQuery,
      response=api.Page[OfferPublic], auth="ngo, donor, official", tags=["offers"]),
    R("/offers/{id:int}", get_offer, name="offers_get", response=OfferPublic,
      auth="owner, official", tags=["offers"]),
    R("/offers/{id:int}", update_offer, methods=["PATCH"], name="offers_update",
      body=OfferUpdate, response=OfferPublic, auth="owner", tags=["offers"]),
    R("/offers/{id:int}/withdraw", withdraw_offer, methods=["POST"], name="offers_withdraw",
      response=OfferPublic, auth="owner", tags=["offers"]),
    R("/matching/runs", create_run, methods=["POST"], name="matching_runs_create",
      body=RunCreate, response=RunPublic, status_code=201, auth="official", tags=["matching"]),
    R("/matching/runs/{id:int}", get_run, name="matching_runs_get", response=RunPublic,
      auth="official", tags=["matching"]),
    R("/matches", my_matches, name="matches_mine", query=MatchQuery,
      response=api.Page[ProposalPublic], auth="ngo, donor", tags=["matching"]),
    R("/matches/{id:int}/accept", accept_match, methods=["POST"], name="matches_accept",
      response=ProposalPublic, auth="official", tags=["matching"]),
    R("/matches/{id:int}/decline", decline_match, methods=["POST"], name="matches_decline",
      response=ProposalPublic, auth="official", tags=["matching"]),
    R("/matches/{id:int}/fulfil", fulfil_match, methods=["POST"], name="matches_fulfil",
      body=FulfilRequest, response=ProposalPublic, auth="offering org", tags=["matching"]),
    R("/donations", create_donation, methods=["POST"], name="donations_create",
      body=DonationCreate, response=DonationPublic, status_code=201, auth="donor",
      tags=["donations"]),
    R("/donations", list_donations, name="donations_list", query=DonationQuery,
      response=api.Page[DonationPublic], auth="donor, official", tags=["donations"]),
    R("/donations/{id:int}/receive", receive_donation, methods=["POST"],
      name="donations_receive", body=ReceiveRequest, response=DonationPublic,
      auth="official", tags=["donations"]),
    R("/disbursements", create_disbursement, methods=["POST"], name="disbursements_create",
      body=DisbursementCreate, response=DisbursementPublic, status_code=201,
      auth="official", tags=["donations"]),
    R("/disbursements", list_disbursements, name="disbursements_list", query=ExportQuery,
      response=api.Page[DisbursementPublic], tags=["donations"]),
    R("/incidents/{id:int}/funds", incident_funds, name="incident_funds", tags=["donations"]),
    R("/incidents/{id:int}/most-needed", most_needed, name="incident_most_needed",
      tags=["donations"]),
    R("/dont-send", add_dont_send, methods=["POST"], name="dont_send_create",
      body=DontSendCreate, response=DontSendPublic, status_code=201, auth="official",
      tags=["donations"]),
    R("/dont-send/{id:int}", remove_dont_send, methods=["DELETE"], name="dont_send_delete",
      status_code=204, auth="official", tags=["donations"]),
    R("/ledger", ledger_entries, name="ledger", query=LedgerQuery,
      response=api.Page[LedgerEntryPublic], tags=["ledger"]),
    R("/ledger/verify", ledger_verify, name="ledger_verify", query=VerifyQuery,
      response=VerifyResult, tags=["ledger"]),
    R("/ledger/{id:int}/reverse", ledger_reverse, methods=["POST"], name="ledger_reverse",
      body=ReverseRequest, response=LedgerEntryPublic, status_code=201, auth="official",
      tags=["ledger"]),
    R("/ledger/export.json", ledger_json, name="ledger_json", query=ExportQuery,
      tags=["ledger"]),
    R("/ledger/export.csv", ledger_csv, name="ledger_csv", query=ExportQuery,
      content_type="text/csv", tags=["ledger"]),
    R("/export/iati.xml", iati_export, name="export_iati", query=ExportQuery,
      content_type="application/xml", tags=["export"]),
]  # fmt: skip
