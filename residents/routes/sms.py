"""The SMS gateway's door: incoming texts, authenticated by the shared secret header."""

import hmac

from starlette.requests import Request

from core.db import get_session
from core.errors import NotAuthenticated
from residents.schemas import SmsInbound, SmsReply
from residents.service import sms


async def inbound_api(request: Request, body: SmsInbound):
    """An SMS from the gateway: a help request, a confirmation or a "still needed" answer."""
    secret = request.app.state.settings.sms_secret
    given = request.headers.get(sms.HEADER, "")
    # Unconfigured, no secret can match: SMS is off.
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise NotAuthenticated("The gateway secret is missing or wrong.")
    reply = await sms.handle_inbound(
        get_session(request),
        body.sender,
        body.text,
        link_for=lambda token: str(request.url_for("residents:track", token=token)),
    )
    return SmsReply(reply=reply)
