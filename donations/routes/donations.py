"""Giving money: the donor's pledge form, their donations and receipts, the pledge API."""

import secrets

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.errors import NotFound
from core.forms import form_page
from core.i18n import _
from core.models import Role, User
from core.web import render
from donations.schemas import (
    DonationCreate,
    DonationQuery,
    PaymentInstructionsSet,
    ReceiptCheckQuery,
    RefundRequest,
    amount_fields,
)
from donations.service import (
    donations,
    fundraising,
    in_kind,
    incidents,
    instructions,
    receipts,
    spending,
    trail,
)
from recovery.service import incident_projects, open_needs

PLEDGE_FIELDS = (
    "incident_id", "need_id", "project_id", "currency", "public_name", "fundraising_id",
)  # fmt: skip


async def _targets(session, incident_id: int | None) -> dict:
    """The needs and projects a gift to the incident may go to."""
    if not incident_id:
        return {"needs": [], "projects": [], "activities": []}
    appeals, _total = await fundraising.list_activities(session, incident_id)
    return {
        "needs": await open_needs(session, incident_id),
        "projects": await incident_projects(session, incident_id),
        "activities": [(a["id"], a["title"]) for a in appeals],
    }


async def give(request: Request) -> Response:
    user = await require(request, Role.donor)
    session = get_session(request)
    choices, incident_id = await incidents.choose(session, request.query_params.get("incident_id"))
    currency = request.app.state.settings.currency
    typed: dict = {}

    def prepare(data: dict) -> dict:
        typed.update(data)  # the re-rendered form shows the amount as typed, and keeps the key
        return amount_fields(data, PLEDGE_FIELDS)

    async def context(data: dict) -> dict:
        chosen = incidents.as_id(data.get("incident_id")) or incident_id
        return {"incidents": choices, "incident_id": incident_id, "currency": currency,
                "form": typed, **await _targets(session, chosen)}  # fmt: skip

    return await form_page(
        request, "donations/give.html", block="form", schema=DonationCreate, user=user,
        action=lambda session, body, user: donations.pledge(
            session, donor=user, data=body, idempotency_key=typed.get("idempotency_key")
        ),
        # The gift's page shows where to send the money.
        success=lambda answer: request.url_for("donations:gift", id=answer[0]["id"]),
        context=context, prepare=prepare,
        initial={
            "incident_id": incident_id,
            "project_id": request.query_params.get("project_id"),
            "need_id": request.query_params.get("need_id"),
            "currency": currency,
            # One key per rendered form: a double-submitted form pledges once.
            "idempotency_key": secrets.token_urlsafe(16),
        },
    )  # fmt: skip


async def mine(request: Request) -> Response:
    user = await require(request, Role.donor)
    session = get_session(request)
    rows = await donations.donor_donations(session, user.id)
    trails = await trail.trails(session, rows)
    return await render(
        request,
        "donations/mine.html",
        {
            "donations": rows,
            "trails": trails,
            "in_kind": await in_kind.donor_gifts_in_kind(session, user),
        },
    )


async def gift_page(request: Request) -> Response:
    """One gift's trail: what it paid for and what is unspent (the donor's, or a named gift)."""
    session = get_session(request)
    viewer = await current_user(request)
    donation = await trail.visible_donation(session, request.path_params["id"], viewer)
    return await render(
        request,
        "donations/gift.html",
        {
            "donation": donation,
            "trail": await trail.gift_trail(session, donation),
            "own": viewer is not None and donation.donor_id == viewer.id,
            "instructions": await instructions.get_instructions(session, donation.incident_id),
            "instruction_text": instructions.local_text(
                await instructions.get_instructions(session, donation.incident_id)
            ),
        },
    )


async def receipt_check_page(request: Request) -> Response:
    """Anyone checks a receipt's verification code; the answer names no donor."""
    code = request.query_params.get("code", "")
    result = await receipts.check_code(get_session(request), code) if code else None
    return await render(request, "donations/receipt_check.html", {"code": code, "result": result})


async def check_receipt(request: Request, query: ReceiptCheckQuery):
    """Is this verification code on a genuine receipt? Amount, date and purpose if so."""
    return await receipts.check_code(get_session(request), query.code)


async def refund_donation(request: Request, body: RefundRequest, user: User):
    """Return unspent money of a gift to its donor, as a refund entry in the ledger."""
    return await spending.refund(
        get_session(request),
        donation_id=request.path_params["id"],
        amount_minor=body.amount_minor,
        reason=body.reason,
        actor=user,
    )


async def put_instructions(request: Request, body: PaymentInstructionsSet, user: User):
    """Set where donors send money for this incident (shown after pledging, on receipts)."""
    return await instructions.set_instructions(
        get_session(request), incident_id=request.path_params["id"], data=body, actor=user
    )


async def get_instructions(request: Request):
    """Where donors send money for this incident."""
    row = await instructions.get_instructions(get_session(request), request.path_params["id"])
    if row is None:
        raise NotFound(_("No payment instructions for this incident yet."))
    return row


async def donation_trail(request: Request):
    """Which spending this gift paid for; the donor's own, or anyone's when it is named."""
    session = get_session(request)
    viewer = await current_user(request)
    donation = await trail.visible_donation(session, request.path_params["id"], viewer)
    return await trail.gift_trail(session, donation)


async def receipt_pdf(request: Request) -> Response:
    user = await require(request, Role.donor, Role.official)
    donation_id = request.path_params["id"]
    pdf = await receipts.donation_receipt(
        get_session(request),
        donation_id=donation_id,
        viewer=user,
        ledger_url=request.url_for("donations:ledger"),
        check_url=request.url_for("donations:receipt_check"),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{donation_id}.pdf"'},
    )


async def create_donation(request: Request, body: DonationCreate, user: User):
    """Pledge money; send an Idempotency-Key header so a retry never pledges twice."""
    answer, replayed = await donations.pledge(
        get_session(request),
        donor=user,
        data=body,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return api.Answer(answer, headers={"Idempotent-Replayed": "true"} if replayed else {})


async def list_donations(request: Request, query: DonationQuery, user: User):
    """Donors see their own donations; officials those of the incidents they act on."""
    rows, total = await donations.list_donations(
        get_session(request), viewer=user, **query.model_dump()
    )
    return api.page(rows, total)
