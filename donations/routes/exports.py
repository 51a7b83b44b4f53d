"""Open-data exports of the money trail: IATI 2.03 activities."""

from starlette.requests import Request
from starlette.responses import Response

from core.db import get_session
from donations.schemas import ExportQuery
from donations.service import iati


async def iati_export(request: Request, query: ExportQuery) -> Response:
    """The incident's projects as IATI 2.03 activities with their transactions."""
    xml = await iati.activities_xml(
        get_session(request), query.incident_id, currency=request.app.state.settings.currency
    )
    return Response(xml, media_type="application/xml")
