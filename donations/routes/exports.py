"""Open-data exports of the money trail: IATI 2.03 activities."""

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core.db import get_session
from donations.schemas import ExportQuery


async def iati_export(request: Request, query: ExportQuery) -> Response:
    """The incident's projects as IATI 2.03 activities with their transactions."""
    # lxml is loaded by the first export, not by every web worker at start.
    from donations.service import iati

    currency = request.app.state.settings.currency
    # The 404 for an unknown incident comes from the request's session, before any byte.
    await iati.activities_chunks(get_session(request), query.incident_id, currency=currency)
    database = request.app.state.database

    async def body():
        # The body is sent after the request's session has ended: it reads in one of its own.
        async with database.session(write=False) as session:
            async for chunk in await iati.activities_chunks(
                session, query.incident_id, currency=currency
            ):
                yield chunk

    return StreamingResponse(body(), media_type="application/xml")
