"""Pages for money: giving, the donor's own donations and receipts, the officials' funds desk."""

import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel.numbers import get_currency_precision
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from core.auth import require
from core.db import get_session
from core.errors import DomainError, Forbidden
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Role, User
from core.web import render, upload_path
from donations import ledger
from donations.errors import BadReceiptFile
from donations.pages.common import CATEGORIES, as_id, done, incident_choice
from donations.receipts import ReceiptData, render_receipt
from donations.schemas import DisbursementCreate, DonationCreate, DontSendCreate
from donations.service import figures, money, offers, spending
from donations.service.money import public_donor_name
from recovery.service import get_incident, get_need, get_project, incident_projects, open_needs

# Receipts are evidence, but scans may show names, signatures or bank details, so they are
# served to officials only; the ledger and disbursement list publish the receipt reference.
RECEIPT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
RECEIPT_MAGIC = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}


async def _targets(session, incident_id: int | None) -> tuple[list, list]:
    if not incident_id:
        return [], []
    return await open_needs(session, incident_id), await incident_projects(session, incident_id)


async def give(request: Request) -> Response:
    user = await require(request, Role.donor)
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    needs, projects = await _targets(session, incident_id)
    context = {
        "incidents": incidents,
        "incident_id": incident_id,
        "needs": needs,
        "projects": projects,
        "errors": {},
        "currency": request.app.state.settings.currency,
    }
    if request.method == "GET":
        context["form"] = {
            "incident_id": incident_id,
            "project_id": request.query_params.get("project_id"),
            "need_id": request.query_params.get("need_id"),
            "currency": request.app.state.settings.currency,
            # One key per rendered form: a double-submitted form pledges once.
            "idempotency_key": secrets.token_urlsafe(16),
        }
        return await render(request, "donations/give.html", context)
    data = await form_dict(request)
    context["form"] = data
    if (data.get("incident_id") or "").isdigit():
        context["needs"], context["projects"] = await _targets(session, int(data["incident_id"]))
    fields = ("incident_id", "need_id", "project_id", "amount_minor", "currency", "public_name")
    values = {k: data.get(k) for k in fields}
    if data.get("amount"):
        values["amount_minor"] = _to_minor(data["amount"], data.get("currency") or "")
    body, errors = validate(DonationCreate, values)
    if errors.get("amount_minor"):
        errors["amount"] = errors["amount_minor"]
    try:
        if body is None:
            raise DomainError(_("Please correct the fields marked below."), 422, "invalid", errors)
        await money.pledge(
            session, donor=user, data=body, idempotency_key=data.get("idempotency_key")
        )
    except DomainError as exc:
        context["errors"], context["message"] = exc.fields, exc.message
        return await render(
            request, "donations/give.html", context, status_code=exc.status_code, block="form"
        )
    await session.commit()
    return done(request, request.url_for("donations:mine"))


def _to_minor(amount: str, currency: str) -> str | None:
    """'12.50' CNY → '1250'; anything unparseable is left for validation to refuse."""
    try:
        value = Decimal(amount.replace(",", "").strip())
        digits = get_currency_precision(currency.upper()) if len(currency) == 3 else 2
    except (InvalidOperation, ValueError):
        return None
    minor = value.scaleb(digits)
    return str(int(minor)) if minor == minor.to_integral_value() else None


async def mine(request: Request) -> Response:
    user = await require(request, Role.donor)
    session = get_session(request)
    rows = await money.donor_donations(session, user.id)
    trail = {}
    for donation in rows:
        if donation.status == "received":
            spent = await spending.list_disbursements(session, incident_id=donation.incident_id)
            if donation.project_id:
                spent = [d for d in spent if d.project_id == donation.project_id]
            elif donation.need_id:
                spent = [d for d in spent if d.need_id == donation.need_id]
            trail[donation.id] = [d for d in spent if not d.reversed]
    return await render(request, "donations/mine.html", {"donations": rows, "trail": trail})


async def receipt_pdf(request: Request) -> Response:
    user = await require(request, Role.donor, Role.official)
    session = get_session(request)
    donation = await money.get_donation(session, request.path_params["id"])
    if user.role != Role.official and donation.donor_id != user.id:
        raise Forbidden(_("This is another donor's receipt."))
    if donation.status != "received":
        raise DomainError(_("A receipt exists only once the money was received."), 409, "conflict")
    incident = await get_incident(session, donation.incident_id)
    if donation.project_id:
        purpose = (await get_project(session, donation.project_id)).title
    elif donation.need_id:
        purpose = (await get_need(session, donation.need_id)).title
    else:
        purpose = _("General recovery funds")
    entry = await money.receipt_entry(session, donation.id)
    donor = await session.get(User, donation.donor_id)
    data = ReceiptData(
        number=f"RC-{donation.incident_id}-{donation.id}",
        donor_name=donor.name if donor else public_donor_name(donation),
        amount_minor=donation.amount_minor,
        currency=donation.currency,
        incident=incident.name,
        purpose=purpose,
        received_at=donation.received_at,
        reference=donation.reference or "",
        ledger_seq=entry.seq if entry else None,
        ledger_hash=entry.hash if entry else None,
        verify_url=str(
            request.url_for("donations:ledger").include_query_params(
                incident_id=donation.incident_id
            )
        ),
    )
    return Response(
        render_receipt(data),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{donation.id}.pdf"'},
    )


async def funds_desk(request: Request) -> Response:
    await require(request, Role.official)
    session = get_session(request)
    incidents, incident_id = await incident_choice(request, session)
    return await render(request, "donations/funds.html", await _desk(request, session, incident_id)
                        | {"incidents": incidents})  # fmt: skip


async def _desk(request: Request, session, incident_id: int | None, **extra) -> dict:
    context = {
        "incident_id": incident_id,
        "categories": CATEGORIES,
        "currency": request.app.state.settings.currency,
        "errors": {},
        "form": {},
        "dont_errors": {},
        "dont_form": {},
        "pledges": [],
        "disbursements": [],
        "dont_send": [],
        "projects": [],
        "needs": [],
        "figures": None,
        "entries": [],
        "reversed_seqs": set(),
    }
    if incident_id:
        entries, _count = await ledger.entries(session, incident_id=incident_id)
        pledges, _total = await money.list_donations(
            session, incident_id=incident_id, status="pledged", limit=200
        )
        context |= {
            "pledges": pledges,
            "disbursements": await spending.list_disbursements(session, incident_id=incident_id),
            "dont_send": await offers.dont_send_list(session, incident_id),
            "projects": await incident_projects(session, incident_id),
            "needs": await open_needs(session, incident_id),
            "figures": await figures.incident_funds(session, incident_id),
            "entries": entries,
            "reversed_seqs": {e.reverses_seq for e in entries if e.reverses_seq},
        }
    return context | extra


async def receive_pledge(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    data = await form_dict(request)
    reference = (data.get("reference") or "").strip()
    if not reference:
        message = _("Enter the bank or cash-book reference.")
        raise DomainError(message, 422, "invalid", {"reference": message})
    donation = await money.receive(
        session, donation_id=request.path_params["id"], reference=reference[:200], actor=user
    )
    await session.commit()
    target = request.url_for("donations:funds").include_query_params(
        incident_id=donation.incident_id
    )
    return RedirectResponse(target, status_code=303)


async def disburse(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    data = await form_dict(request)
    upload = data.pop("receipt_file", None)
    incident_id = as_id(data.get("incident_id"))
    fields = ("incident_id", "project_id", "need_id", "amount_minor", "currency", "description",
              "receipt_reference")  # fmt: skip
    values = {k: data.get(k) for k in fields}
    if data.get("amount"):
        values["amount_minor"] = _to_minor(data["amount"], data.get("currency") or "")
    body, errors = validate(DisbursementCreate, values)
    if errors.get("amount_minor"):
        errors["amount"] = errors["amount_minor"]
    try:
        if body is None:
            raise DomainError(_("Please correct the fields marked below."), 422, "invalid", errors)
        stored = await _store_receipt(request, upload)
        await spending.disburse(
            session,
            data=body,
            actor=user,
            receipt_file=stored[0] if stored else None,
            receipt_content_type=stored[1] if stored else None,
        )
    except DomainError as exc:
        incidents, _chosen = await incident_choice(request, session)
        context = await _desk(request, session, incident_id, errors=exc.fields, form=data,
                              message=exc.message, incidents=incidents)  # fmt: skip
        return await render(request, "donations/funds.html", context,
                            status_code=exc.status_code, block="disburse")  # fmt: skip
    await session.commit()
    target = request.url_for("donations:funds").include_query_params(incident_id=incident_id)
    return done(request, target)


async def _store_receipt(request: Request, upload) -> tuple[str, str] | None:
    if not isinstance(upload, UploadFile):
        return None
    if not upload.filename:
        await upload.close()
        return None
    settings = request.app.state.settings
    try:
        content = await upload.read(settings.max_upload_bytes + 1)
    finally:
        await upload.close()
    kind = next((t for t, magic in RECEIPT_MAGIC.items() if content.startswith(magic)), None)
    if kind is None:
        message = _("Upload the receipt as PDF, JPEG or PNG.")
        raise BadReceiptFile(message, fields={"receipt_file": message})
    if len(content) > settings.max_upload_bytes:
        message = _("The file is too large.")
        raise BadReceiptFile(message, fields={"receipt_file": message})
    name = secrets.token_hex(16) + RECEIPT_TYPES[kind]
    path = upload_path(settings, "receipts", name)
    path.write_bytes(content)
    return name, kind


async def receipt_file(request: Request) -> Response:
    await require(request, Role.official)
    row = await spending.get_disbursement(get_session(request), request.path_params["id"])
    if not row.receipt_file:
        raise DomainError(_("No file was attached."), 404, "not_found")
    path = Path(request.app.state.settings.upload_dir, "receipts", row.receipt_file)
    return FileResponse(path, media_type=row.receipt_content_type)


async def dont_send_add(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    data = await form_dict(request)
    body, errors = validate(DontSendCreate, data)
    incident_id = as_id(data.get("incident_id"))
    try:
        if body is None:
            raise DomainError(_("Please correct the fields marked below."), 422, "invalid", errors)
        await offers.add_dont_send(session, data=body, actor=user)
    except DomainError as exc:
        incidents, _chosen = await incident_choice(request, session)
        context = await _desk(request, session, incident_id, dont_errors=exc.fields,
                              dont_form=data, incidents=incidents)  # fmt: skip
        return await render(request, "donations/funds.html", context,
                            status_code=exc.status_code, block="dont_send")  # fmt: skip
    await session.commit()
    target = request.url_for("donations:funds").include_query_params(incident_id=incident_id)
    return done(request, target)


async def dont_send_remove(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    item = await offers.remove_dont_send(session, item_id=request.path_params["id"], actor=user)
    await session.commit()
    target = request.url_for("donations:funds").include_query_params(incident_id=item.incident_id)
    return RedirectResponse(target, status_code=303)


async def reverse(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    reason = ((await form_dict(request)).get("reason") or "").strip()
    if not reason:
        message = _("Say why this entry is reversed.")
        raise DomainError(message, 422, "invalid", {"reason": message})
    entry = await spending.reverse_entry(
        session, entry_id=request.path_params["id"], reason=reason[:2000], actor=user
    )
    await session.commit()
    target = request.url_for("donations:funds").include_query_params(incident_id=entry.incident_id)
    return RedirectResponse(target, status_code=303)
