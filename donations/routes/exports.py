"""Open-data exports of the money trail: IATI 2.03 activities."""

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core.db import get_session
from donations.schemas import ExportQuery
from donations.service import iati


async def iati_export(request: Request, query: ExportQuery) -> Response:
    """The incident's projects as IATI 2.03 activities with their transactions."""
    chunks = await iati.activities_chunks(
        get_session(request), query.incident_id, currency=request.app.state.settings.currency
    )
    return StreamingResponse(chunks, media_type="application/xml")
