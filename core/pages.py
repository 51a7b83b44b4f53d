"""Public pages every anonymous visitor sees alike: rendered once per key, served from the cache.

The key holds the public versions the page shows (core/cache.py), the visitor's language and
the URL, so a write makes a new key instead of a stale hit. Such a page carries no CSRF token
and sets no cookie, so it is the same bytes for everyone: `Cache-Control: public` lets nginx or
a CDN keep it a few seconds, and its ETag answers a revalidation with 304. Signed-in visitors
and htmx fragments get the page rendered for them as before.
"""

import hashlib
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, time, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core import cache, clock
from core.db import get_session
from core.web import SHARED_SCOPE_KEY, is_fragment_request, render

# Browsers and nginx may reuse a shared page this long; the ETag revalidates it after.
CACHE_CONTROL = "public, max-age=5"
# The language comes from Accept-Language or the session cookie; an htmx refetch of the same
# URL (a live update) must never be answered from the browser's copy of the whole page.
VARY = "Accept-Language, Cookie, HX-Request"
Build = Callable[[], Awaitable[tuple[dict[str, Any], datetime | None]]]


def shared_page_key(request: Request, key: Hashable) -> tuple | None:
    """The cache key of a page every anonymous visitor sees alike; None when it is personal
    (signed in, or an htmx fragment)."""
    if request.scope.get("commons.user") is not None or is_fragment_request(request):
        return None
    locale = request.scope.get("commons.locale", "en")
    # url_for writes absolute URLs, and the language form the path and query.
    return (key, locale, str(request.base_url), request.url.path, request.url.query)


def render_shared(request: Request, name: str, context: dict[str, Any]) -> bytes:
    """The page as every anonymous visitor gets it: no CSRF token, so no cookie either."""
    request.scope[SHARED_SCOPE_KEY] = True
    templates = request.app.state.templates
    context.setdefault("request", request)
    for processor in templates.context_processors:
        context.update(processor(request))
    return templates.get_template(name).render(context).encode()


def shared_response(request: Request, key: tuple, body: bytes) -> Response:
    """A shared page with its ETag, or 304 when the visitor already holds it."""
    etag = '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html", headers=headers)


async def shared_page(
    request: Request,
    name: str,
    key: Hashable,
    build: Build,
    *,
    cache_name: str,
    size: int = 256,
    block: str | None = None,
) -> Response:
    """Serve page `name` from this process's cache `cache_name` under `key` (which must hold
    the versions of what it shows), or build and render it: `build()` gives the context and
    the instant the page stops being right without any write (None: only a write changes
    it), e.g. the next local midnight for a page that marks overdue work."""
    shared = shared_page_key(request, key)
    if shared is None:
        context, _until = await build()
        return await render(request, name, context, block=block)
    pages = cache.local(get_session(request), cache_name, size)
    hit = pages.get(shared)
    if hit is not None and (hit[1] is None or clock.utcnow() < hit[1]):
        return shared_response(request, shared, hit[0])
    context, until = await build()
    body = render_shared(request, name, context)
    pages.put(shared, (body, until))
    return shared_response(request, shared, body)


def next_midnight(time_zone: str, now: datetime | None = None) -> datetime:
    """The next local midnight in `time_zone`, when "today" and so "overdue" change."""
    local = clock.zone(time_zone)
    today = (now or clock.utcnow()).astimezone(local).date()
    return datetime.combine(today + timedelta(days=1), time(), local)
