"""How often one address or one phone may ask for help: a flood is refused with 429 and a
Retry-After, a household is never kept out for long."""

import math
from typing import TYPE_CHECKING

from core.auth import address_key, rate_item, seconds_to_wait
from core.errors import Throttled
from core.i18n import _
from core.settings import Settings
from residents.service.duplicates import phone_key

if TYPE_CHECKING:
    from limits import RateLimitItemPerSecond
    from limits.aio.strategies import MovingWindowRateLimiter

NAMESPACE = "help-request"


async def _refuse_if_over(
    limiter: "MovingWindowRateLimiter", item: "RateLimitItemPerSecond", kind: str, key: str
) -> None:
    seconds = await seconds_to_wait(limiter, item, NAMESPACE, kind, key)
    if not seconds:
        return
    minutes = math.ceil(seconds / 60)
    if kind == "phone":
        message = _(
            "Too many help requests from this phone number. Please try again in %(minutes)d "
            "min, or call the hotline."
        ) % {"minutes": minutes}
        fields = {"contact_phone": _("too many requests from this number")}
    else:
        message = _(
            "Too many help requests from this connection. Please try again in %(minutes)d "
            "min, or call the hotline."
        ) % {"minutes": minutes}
        fields = {}  # no field to correct: the whole form waits
    raise Throttled(message, retry_after=seconds, fields=fields)


async def allow_request(
    limiter: "MovingWindowRateLimiter", settings: Settings, *, address: str, phone: str | None
) -> None:
    """Count one public request from `address` (and `phone`); 429 past either limit. The
    counters live in the shared `limits` storage, so every worker counts against the same."""
    window = settings.help_request_window_seconds
    per_address = rate_item(settings.help_requests_per_address, window)
    await _refuse_if_over(limiter, per_address, "address", address_key(address))
    key = phone_key(phone)
    if key:
        per_phone = rate_item(settings.help_requests_per_phone, window)
        await _refuse_if_over(limiter, per_phone, "phone", key)
