"""The public ledger: its page, entries, verification and downloads; reversing entries (API)."""

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core import api
from core.db import get_session
from core.models import User
from core.types import as_offset
from core.web import render
from donations.schemas import ExportQuery, LedgerQuery, ReverseRequest, VerifyQuery
from donations.service import incidents, ledger, spending, trail

PAGE_SIZE = 50


async def ledger_page(request: Request) -> Response:
    session = get_session(request)
    choices, incident_id = await incidents.choose(session, request.query_params.get("incident_id"))
    offset = as_offset(request.query_params.get("offset"))
    rows, total = await ledger.entries(
        session, incident_id=incident_id, limit=PAGE_SIZE, offset=offset
    )
    drawn = await trail.drawn_from(session, rows)
    return await render(
        request,
        "donations/ledger.html",
        {
            "incidents": choices,
            "incident_id": incident_id,
            "time_zone": incidents.zone_of(choices, incident_id),
            "entries": rows,
            "total": total,
            "offset": offset,
            "verdict": await ledger.verify(session, incident_id) if incident_id else None,
            "names": await trail.entry_names(session, rows),
            "drawn": drawn,
            "named": await trail.named_gift_ids(
                session, [g["donation_id"] for gifts in drawn.values() for g in gifts]
            ),
            "snippet": ledger.VERIFY_SNIPPET,
        },
    )


async def ledger_entries(request: Request, query: LedgerQuery):
    """Ledger entries in chain order, each with prev_hash and hash."""
    rows, total = await ledger.entries(
        get_session(request), incident_id=query.incident_id, limit=query.limit, offset=query.offset
    )
    return api.page(rows, total)


async def ledger_verify(request: Request, query: VerifyQuery):
    """Recompute every hash chain and say where, if anywhere, it breaks."""
    return await ledger.verify(get_session(request), query.incident_id)


async def ledger_reverse(request: Request, body: ReverseRequest, user: User):
    """Correct a receipt or disbursement with a reversing entry (entries are never edited)."""
    return await spending.reverse_entry(
        get_session(request), entry_id=request.path_params["id"], reason=body.reason, actor=user
    )


async def ledger_json(request: Request, query: ExportQuery) -> Response:
    """The incident's whole chain as JSON, ready for the verification snippet (streamed)."""
    return StreamingResponse(
        ledger.json_chunks(get_session(request), query.incident_id),
        media_type="application/json",
        headers=attachment(f"ledger-incident-{query.incident_id}.json"),
    )


async def ledger_csv(request: Request, query: ExportQuery) -> Response:
    """The incident's chain as CSV (streamed)."""
    return StreamingResponse(
        ledger.csv_chunks(get_session(request), query.incident_id),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"ledger-incident-{query.incident_id}.csv"),
    )


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
