"""An incident's funds: the officials' desk (receive, disburse, don't send), the public giving
page, and the API's money-in, money-out and figures operations."""

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.forms import form_page
from core.models import Role, User
from core.web import render
from donations.labels import CATEGORY_CHOICES, CATEGORY_LABELS
from donations.schemas import (
    DisbursementCreate,
    DontSendCreate,
    ExportQuery,
    PaymentInstructionsSet,
    ReceiptCreate,
    ReceiveRequest,
    RefundRequest,
    ReverseRequest,
    amount_fields,
)
from donations.service import (
    donations,
    fundraising,
    funds,
    giving,
    in_kind,
    incidents,
    instructions,
    ledger,
    scans,
    spending,
    trail,
)
from recovery.service import ensure_can_act, get_incident, incident_projects

DISBURSEMENT_FIELDS = (
    "incident_id", "project_id", "need_id", "currency", "description", "receipt_reference",
    "payee_organization_id", "payee_name", "payee_kind",
)  # fmt: skip
RECEIPT_FIELDS = (
    "incident_id", "currency", "reference", "channel", "project_id", "need_id", "donor_name",
    "public_name", "fundraising_id",
)  # fmt: skip


def desk_url(request: Request, incident_id: int | None):
    return request.url_for("donations:funds").include_query_params(incident_id=incident_id or "")


async def desk_context(request: Request, incident_id: int | None, failed=None, typed=None) -> dict:
    """Everything the funds desk shows; `failed` names the form a refusal re-renders, and
    `typed` is what was entered in it."""
    session = get_session(request)
    choices, _chosen = await incidents.choose_to_act(session, None, await current_user(request))
    view = await funds.desk(session, incident_id)
    return {
        "incidents": choices,
        "time_zone": incidents.zone_of(choices, incident_id),
        "categories": CATEGORY_CHOICES,
        "currency": request.app.state.settings.currency,
        "errors": {},
        "form": typed or {},
        "failed": failed,
        **view,
        "project_options": [(p.id, p.title) for p in view["projects"]],
        "need_options": [(n.id, n.title) for n in view["needs"]],
        "activity_options": [
            (a["id"], a["title"])
            for a in (await fundraising.list_activities(session, incident_id))[0]
        ]
        if incident_id
        else [],
    }


async def funds_desk(request: Request) -> Response:
    user = await require(request, Role.official)
    session = get_session(request)
    _choices, incident_id = await incidents.choose_to_act(
        session, request.query_params.get("incident_id"), user
    )
    return await render(request, "donations/funds.html", await desk_context(request, incident_id))


def _row_form(kind: str, block: str, schema, load, act, fields: tuple[str, ...] = ()):
    """A handler for a form on one row of the desk: `load` finds the row, `act` does it.
    With `fields`, the form types an amount in the row's currency (`amount` → amount_minor)."""

    async def handler(request: Request) -> Response:
        user = await require(request, Role.official)
        row = await load(get_session(request), request.path_params["id"])
        # Refused before the form is read: a re-rendered form would show the incident's desk.
        await ensure_can_act(get_session(request), user, row.incident_id)
        typed: dict = {}

        def prepare(data: dict) -> dict:
            typed.update(data)  # the re-rendered row shows what was typed
            return amount_fields(data | {"currency": row.currency}, fields)

        return await form_page(
            request, "donations/funds.html", block=block, schema=schema, user=user,
            action=lambda session, body, user: act(session, row, body, user),
            success=lambda done: desk_url(request, done.incident_id),
            context=lambda _data: desk_context(request, row.incident_id, (kind, row.id), typed),
            prepare=prepare if fields else None,
        )  # fmt: skip

    return handler


receive_pledge = _row_form(
    "receive", "pledges", ReceiveRequest, donations.get_donation,
    lambda session, donation, body, user: donations.receive(
        session, donation_id=donation.id, reference=body.reference, actor=user,
        amount_minor=body.amount_minor,
    ),
    fields=("reference",),
)  # fmt: skip
# Unspent money of a received gift goes back to its donor, as a refund entry.
refund_gift = _row_form(
    "refund", "received", RefundRequest, donations.get_donation,
    lambda session, donation, body, user: spending.refund(
        session, donation_id=donation.id, amount_minor=body.amount_minor, reason=body.reason,
        actor=user,
    ),
    fields=("reason",),
)  # fmt: skip
# From the funds desk: correct an entry with a reversing one, giving the reason.
reverse = _row_form(
    "reverse", "corrections", ReverseRequest, ledger.get_entry,
    lambda session, entry, body, user: spending.reverse_entry(
        session, entry_id=entry.id, reason=body.reason, actor=user
    ),
)  # fmt: skip


async def disburse(request: Request) -> Response:
    user = await require(request, Role.official)
    settings = request.app.state.settings
    typed: dict = {}

    def prepare(data: dict) -> dict:
        typed.update(data)  # the re-rendered form shows the amount as typed
        return amount_fields(data, DISBURSEMENT_FIELDS)

    async def action(session, body: DisbursementCreate, user: User):
        scan = await scans.read_scan(typed.pop("receipt_file", None), settings)
        return await spending.disburse(session, data=body, actor=user, scan=scan)

    async def context(data: dict) -> dict:
        incident_id = incidents.as_id(data.get("incident_id"))
        return await desk_context(request, incident_id, "disburse", typed)

    return await form_page(
        request, "donations/funds.html", block="disburse", schema=DisbursementCreate, user=user,
        action=action, prepare=prepare, context=context,
        success=lambda row: desk_url(request, row.incident_id),
    )  # fmt: skip


async def record_receipt(request: Request) -> Response:
    """Money that came without a pledge, recorded from the desk."""
    user = await require(request, Role.official)
    typed: dict = {}

    def prepare(data: dict) -> dict:
        typed.update(data)
        return amount_fields(data, RECEIPT_FIELDS)

    async def context(data: dict) -> dict:
        incident_id = incidents.as_id(data.get("incident_id"))
        return await desk_context(request, incident_id, "receipt", typed)

    return await form_page(
        request, "donations/funds.html", block="receipt", schema=ReceiptCreate, user=user,
        action=lambda session, body, user: donations.record_receipt(
            session, data=body, actor=user
        ),
        prepare=prepare, context=context,
        success=lambda row: desk_url(request, row.incident_id),
    )  # fmt: skip


async def set_instructions(request: Request) -> Response:
    """The incident's payment instructions, set from the desk."""
    user = await require(request, Role.official)
    incident = await get_incident(get_session(request), request.path_params["id"])
    # Refused before the form is read: a re-rendered form would show the incident's desk.
    await ensure_can_act(get_session(request), user, incident.id)
    return await form_page(
        request, "donations/funds.html", block="instructions", schema=PaymentInstructionsSet,
        user=user, drop_blank=True,
        action=lambda session, body, user: instructions.set_instructions(
            session, incident_id=incident.id, data=body, actor=user
        ),
        context=lambda _data: desk_context(request, incident.id, "instructions"),
        success=lambda row: desk_url(request, row.incident_id),
    )  # fmt: skip


async def receipt_file(request: Request) -> Response:
    await require(request, Role.official)
    row = await spending.get_disbursement(get_session(request), request.path_params["id"])
    path = scans.scan_path(request.app.state.settings, row)
    return FileResponse(path, media_type=row.receipt_content_type)


async def dont_send_add(request: Request) -> Response:
    user = await require(request, Role.official)
    return await form_page(
        request, "donations/funds.html", block="dont_send", schema=DontSendCreate, user=user,
        action=lambda session, body, user: giving.add_dont_send(session, data=body, actor=user),
        success=lambda item: desk_url(request, item.incident_id),
        context=lambda data: desk_context(
            request, incidents.as_id(data.get("incident_id")), "dont_send"
        ),
    )  # fmt: skip


async def dont_send_remove(request: Request) -> Response:
    user = await require(request, Role.official)
    item = await giving.remove_dont_send(
        get_session(request), item_id=request.path_params["id"], actor=user
    )
    return RedirectResponse(desk_url(request, item.incident_id), status_code=303)


async def giving_page(request: Request) -> Response:
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    per_project = await funds.projects_funds(session, incident.id)
    projects = [
        (p, per_project.get(p.id, {})) for p in await incident_projects(session, incident.id)
    ]
    latest, _total = await ledger.entries(
        session, incident_id=incident.id, newest_first=True, limit=20
    )
    return await render(
        request,
        "donations/giving.html",
        {
            "incident": incident,
            "figures": await funds.incident_funds(session, incident.id),
            "in_kind": await in_kind.incident_in_kind(session, incident.id),
            "projects": projects,
            **await giving.board(session, incident.id),
            "entries": latest,
            "names": await trail.entry_names(session, latest),
            "labels": CATEGORY_LABELS,
        },
    )


async def receive_donation(request: Request, body: ReceiveRequest, user: User):
    """Record that a pledged donation's money arrived; it enters the balance and the ledger."""
    return await donations.receive(
        get_session(request),
        donation_id=request.path_params["id"],
        reference=body.reference,
        actor=user,
        amount_minor=body.amount_minor,
    )


async def create_receipt(request: Request, body: ReceiptCreate, user: User):
    """Record money that came without a pledge (bank transfer, cash at a collection point)."""
    return await donations.record_receipt(get_session(request), data=body, actor=user)


async def create_disbursement(request: Request, body: DisbursementCreate, user: User):
    """Spend received funds on a project or need; refused beyond the incident's balance."""
    return await spending.disburse(get_session(request), data=body, actor=user)


async def list_disbursements(request: Request, query: ExportQuery):
    """An incident's disbursements (public)."""
    rows = await spending.list_disbursements(get_session(request), incident_id=query.incident_id)
    return api.page(rows, len(rows))


async def incident_funds(request: Request):
    """Pledged, received, disbursed and balance for an incident, overall and per project."""
    return await funds.incident_summary(get_session(request), request.path_params["id"])


async def most_needed(request: Request):
    """What the incident needs most now, and what not to send."""
    return await giving.board(get_session(request), request.path_params["id"])


async def add_dont_send(request: Request, body: DontSendCreate, user: User):
    """Ask donors not to send a category of goods, with the reason."""
    return await giving.add_dont_send(get_session(request), data=body, actor=user)


async def remove_dont_send(request: Request, user: User) -> Response:
    """Take a category off the don't-send list."""
    await giving.remove_dont_send(
        get_session(request), item_id=request.path_params["id"], actor=user
    )
    return Response(status_code=204)
