"""Public pages every anonymous visitor sees alike: rendered once per key, served from the cache.

The key holds the public versions the page shows (core/cache.py), the visitor's language and
the URL, so a write makes a new key instead of a stale hit. Such a page carries no CSRF token
and sets no cookie, so it is the same bytes for everyone: `Cache-Control: public` lets nginx or
a CDN keep it a few seconds, and its ETag answers a revalidation with 304. Signed-in visitors
and htmx fragments get the page rendered for them as before.

Two things keep a busy shared page cheap. A miss is built once: concurrent requests for the
same key wait for the first one's rendering instead of each building it (a page shared
everywhere at once would otherwise be built by every waiting request). And `SharedFront`,
just inside the outermost middleware, answers a repeat anonymous request from the response
last sent for the same URL and headers (once a page has been asked for twice), as long as
this process's memo of the versions it was built under still holds them (core/cache.py):
no session, no routing, no database.
"""

import asyncio
import gzip
import hashlib
import logging
import zlib
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from jinja2_fragments import render_block
from markupsafe import Markup
from sqlalchemy import exc as sa_exc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import cache, clock
from core.db import Database, read_rows
from core.errors import DomainError
from core.i18n import LOCALES, current_locale, request_locale
from core.metrics import STATE_KEY
from core.web import (
    SHARED_SCOPE_KEY,
    handle_database_error,
    is_fragment_request,
    out_of_connections,
    render,
)

# Browsers and nginx may reuse a shared page this long; the ETag revalidates it after.
CACHE_CONTROL = "public, max-age=5"
# The language comes from Accept-Language or the session cookie; an htmx refetch of the same
# URL (a live update) must never be answered from the browser's copy of the whole page.
VARY = "Accept-Language, Cookie, HX-Request"
Build = Callable[[], Awaitable[tuple[dict[str, Any], datetime | None]]]
# Bodies shorter than this are sent and kept as they are: gzip would save too little.
GZIP_MINIMUM = 500


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


def render_shared_block(request: Request, name: str, block: str, context: dict[str, Any]) -> str:
    """One block of page `name` as every visitor gets it (no token, nobody's name)."""
    shared_before = request.scope.get(SHARED_SCOPE_KEY)
    request.scope[SHARED_SCOPE_KEY] = True
    try:
        templates = request.app.state.templates
        context.setdefault("request", request)
        for processor in templates.context_processors:
            context.update(processor(request))
        return render_block(templates.env, name, block, context)
    finally:
        request.scope[SHARED_SCOPE_KEY] = shared_before


async def shared_block(
    request: Request,
    name: str,
    block: str,
    key: Hashable,
    build: Build,
    *,
    cache_name: str,
    versions: tuple[int, int],
    size: int = 256,
) -> Markup:
    """Block `block` of page `name` when it is the same for everyone, signed in or not (a
    list with no personal part): rendered once per key, versions, language and URL, and set
    into each signed-in visitor's own page, whose frame (their name, their token, their
    controls) is rendered for them."""
    locale = request.scope.get("commons.locale", "en")
    shared = (key, versions, locale, str(request.base_url), request.url.path, request.url.query)

    async def make() -> tuple[bytes, datetime | None]:
        context, until = await build()
        return render_shared_block(request, name, block, context).encode(), until

    body, _until = await cached_once(request, cache_name, size, shared, make)
    return Markup(body.decode())


def shared_response(request: Request, key: tuple, body: bytes) -> Response:
    """A shared page with its ETag, or 304 when the visitor already holds it."""
    etag = '"' + hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html", headers=headers)


def _fresh(hit) -> bool:
    return hit is not None and (hit[1] is None or clock.utcnow() < hit[1])


async def shared_page(
    request: Request,
    name: str,
    key: Hashable,
    build: Build,
    *,
    cache_name: str,
    versions: tuple[int, int],
    source: int | None,
    size: int = 256,
    block: str | None = None,
) -> Response:
    """Serve page `name` from this process's cache `cache_name` under `key` and `versions`
    (read before anything the page shows), or build and render it: `build()` gives the context and
    the instant the page stops being right without any write (None: only a write changes
    it), e.g. the next local midnight for a page that marks overdue work.

    `source` says whose `versions` they are: the incident's (`cache.versions`), or None for
    the platform's (`cache.all_versions`); SharedFront checks them before answering a repeat."""
    shared = shared_page_key(request, (key, versions))
    if shared is None:
        context, _until = await build()
        return await render(request, name, context, block=block)

    async def make() -> tuple[bytes, datetime | None]:
        context, until = await build()
        return render_shared(request, name, context), until

    body, until = await cached_once(request, cache_name, size, shared, make)
    mark_shared(request, versions, source, until)
    return shared_response(request, shared, body)


async def cached_once(
    request: Request,
    cache_name: str,
    size: int,
    key: Hashable,
    make: Callable[[], Awaitable[tuple[bytes, datetime | None]]],
) -> tuple[bytes, datetime | None]:
    """(bytes, valid until) from this process's cache `cache_name`, else from `make()`,
    which concurrent requests for the same key wait for rather than each running it."""
    # The database's caches, as every session of it holds them: the lane has no session.
    caches = request.scope["commons.database"].caches
    found = cache.local_of(caches, cache_name, size)
    hit = found.get(key)
    flights = cache.in_flight_of(caches)
    if not _fresh(hit):
        flight = flights.get(key)
        if flight is not None:
            # Another request is building this very answer: wait for it, not build it again.
            await flight.wait()
            hit = found.get(key)
    built = not _fresh(hit)
    if built:
        flight = flights[key] = asyncio.Event()
        try:
            hit = await make()
            found.put(key, hit)
        finally:
            # Waiters find the answer, or (the build failed) build it themselves.
            del flights[key]
            flight.set()
    front = request.scope.get(FRONT_KEY)
    if front is not None:
        # Only an answer asked for again goes to the front: a page read once (one need of
        # a hundred thousand) would only push the popular ones out. Asked for again counts
        # when it had to be built again too (it left `cache_name` meanwhile): a thousand
        # projects read at random, 256 kept, would otherwise be built about five times
        # each before reaching the front, and a burst of such misses queues.
        front.repeat = not built or _built_before(caches, cache_name, key)
    return hit


# Renderings a page cache of a page with many ids (a need's, a project's) keeps: a signed-out
# repeat is answered by the front, which keeps them gzipped; this spares a render when the
# front's entry lapsed while the page did not change.
PAGE_CACHE_SIZE = 64
# Keys built lately, kept as hashes: about 150 KB for the last 1,024 builds.
BUILT_LATELY = 1024


def _built_before(caches: dict, cache_name: str, key: Hashable) -> bool:
    """Whether this process built `key` of `cache_name` lately; it has now."""
    lately = cache.local_of(caches, "built_lately", BUILT_LATELY)
    mark = hash((cache_name, key))
    seen = lately.get(mark) is not None
    if not seen:
        lately.put(mark, True)
    return seen


def mark_shared(
    request: Request, versions: tuple[int, int], source: int | None, until: datetime | None
) -> None:
    """Say that the response being made is the same for every anonymous caller and is right
    while `versions` (of incident `source`, None: the platform's) hold and until `until`:
    SharedFront may then answer repeats of the request with it."""
    front = request.scope.get(FRONT_KEY)
    if front is not None:
        front.source = VERSION_SOURCE_ALL if source is None else source
        front.versions = versions
        front.until = until


VERSION_SOURCE_ALL = cache.VersionMemo.ALL
# `async def lane(request, connection, versions) -> Response`: a route's page for a signed-out
# visitor, built on `connection` (see SharedFront._take_lane) by the route's own page builder.
Lane = Callable[[Request, Any, tuple[int, int]], Awaitable[Response]]


def lane_reading(
    page: Callable[[Request, tuple[int, int], Callable[[], Awaitable[Any]]], Awaitable[Response]],
    read_on: Callable[[Any, Any, int], Awaitable[Any]],
) -> Lane:
    """The lane of a page about one row (`/needs/{id}`, `/projects/{id}`): `page(request,
    versions, rows)` is the route's own shared page, here with `rows()` read by
    `read_on(connection, extensions, id)` on the lane's pooled connection."""

    async def lane(request: Request, connection, versions: tuple[int, int]) -> Response:
        extensions = request.scope["commons.database"].extensions
        return await page(
            request, versions, lambda: read_on(connection, extensions, request.path_params["id"])
        )

    return lane


logger = logging.getLogger(__name__)
FRONT_KEY = "commons.front"


class _Front:
    """What the shared page said about the response being sent (set by `shared_page`)."""

    __slots__ = ("source", "versions", "until", "repeat")

    def __init__(self):
        self.source = None
        self.versions = None
        self.until = None
        self.repeat = False


class SharedFront:
    """Answers a repeat anonymous GET of a shared page from the response this process last
    sent for it, while the memo of the versions it was built under still holds them.

    Only requests that carry no sign-in (no session cookie, no bearer token) and are no htmx
    request qualify, keyed by everything a shared page's bytes depend on: host, path, query
    and Accept-Language (the language). A response is kept only when `shared_page` produced
    it (so it is the anonymous rendering, no cookie set) and answered 200, gzipped once
    whoever asked: a caller that takes gzip gets those bytes, any other the page inflated.
    When the memo has lapsed, the entry is still served for one more ttl while the versions
    are read again (`VersionMemo.renewing`); when they moved on, the request goes the normal
    way, which refreshes the entry."""

    def __init__(
        self,
        app: ASGIApp,
        database: Database,
        size: int = 4096,
        max_bytes: int = cache.FRONT_BYTES,
        lanes: Sequence[tuple[Route, Lane]] = (),
        respond: Callable[[ASGIApp], ASGIApp] | None = None,
        gzip_minimum: int = GZIP_MINIMUM,
    ):
        self.app = app
        # Bodies this long and longer are kept gzipped (see `_send`), as GZipMiddleware
        # compresses them for a caller that takes gzip.
        self.gzip_minimum = gzip_minimum
        # Header pairs the entries share (the security headers, Vary, Cache-Control, ...):
        # each kept once rather than once an entry.
        self._pairs: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
        self.database = database
        self.size = size
        self.max_bytes = max_bytes
        self._renewing: set[asyncio.Task] = set()
        self.lanes = tuple(lanes)
        # The layers between here and the routes that shape a response (security headers,
        # gzip), which a lane's answer goes through as the normal stack's does.
        self._respond = (respond or (lambda inner: inner))(_send_lane_response)
        default = database.settings.default_locale
        self.default_locale = default if default in LOCALES else "en"

    def _key(self, scope: Scope) -> tuple[tuple, bool] | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        accept_language = accept_encoding = host = b""
        for name, value in scope.get("headers") or ():
            if name == b"cookie":
                if b"commons_session=" in value:
                    return None
            elif name in (b"authorization", b"hx-request"):
                return None
            elif name == b"accept-language":
                accept_language = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"host":
                host = value
        return (
            host,
            scope.get("scheme"),
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
            accept_language,
        ), b"gzip" in accept_encoding

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._key(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        key, takes_gzip = found
        entries = cache.local_of(self.database.caches, "front", self.size, self.max_bytes)
        entry = entries.get(key)
        if entry is not None and self._serve(scope, entry):
            self._renew(entry[0])
            await self._send(scope, send, entry, takes_gzip)
            return
        front = scope[FRONT_KEY] = _Front()
        started: list[Message] = []
        chunks: list[bytes] = []
        # The versions known before the request: a commit of this process during it (none
        # for a GET) must not let an older rendering be kept under a newer memo.
        generation = self._memo_generation()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        if not await self._take_lane(scope, receive, keep):
            await self.app(scope, receive, keep)
        if (
            front.versions is None
            or not front.repeat
            or not started
            or started[0]["status"] != 200
            or generation != self._memo_generation()
        ):
            return
        headers, encoding = [], None
        for name, value in started[0].get("headers", ()):
            if name == b"set-cookie":
                return
            if name == b"content-encoding":
                encoding = value
            elif name not in (b"x-request-id", b"content-length"):
                headers.append(self._shared((name, value)))
        body = b"".join(chunks)
        if encoding is None and len(body) >= self.gzip_minimum:
            # Kept gzipped whoever asked first: most callers take gzip, and a page kept at a
            # third of its size lets the front hold three times as many (issue 11's memory).
            body, encoding = gzip.compress(body, STORE_LEVEL), b"gzip"
        elif encoding not in (None, b"gzip"):
            return
        observation = scope.get(STATE_KEY)
        route = (observation.route, observation.root_path) if observation is not None else None
        entries.put(
            key,
            (front.source, front.versions, front.until, headers, body, encoding is not None, route),
            cost=cache.weight(key) + len(body) + ENTRY_OVERHEAD,
        )

    async def _take_lane(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer a signed-out GET of a page with a lane (see `PAGE_LANE`) without the rest
        of the stack: its locale from Accept-Language, nobody signed in, one pooled
        connection used directly (no session; no transaction on PostgreSQL), the route's own
        page builder. False when it has none, or the page needs more than that (a 404 and
        any other refusal): the normal stack then answers."""
        try:
            found = self._lane_of(scope)
        except DomainError:
            # A path parameter its converter refuses (an id past 2**63): the stack's 404.
            return False
        if found is None:
            return False
        route, lane, child = found
        locale = request_locale(scope, self.default_locale)
        lane_scope = {
            **scope,
            **child,
            "route": route,
            "commons.locale": locale,
            "commons.user": None,
            "commons.database": self.database,
        }
        request = Request(lane_scope, receive)
        token = current_locale.set(locale)
        try:
            try:
                async with self.database.engine.connect() as connection:
                    # Through read_rows, on PostgreSQL the driver's own connection: no BEGIN
                    # and COMMIT around a statement that reads one snapshot.
                    versions = await cache.all_versions_on(
                        lambda: _one_row(connection, cache.ALL_VERSIONS),
                        self.database.caches,
                        self.database.settings.public_version_ttl,
                    )
                    response = await lane(request, connection, versions)
            except DomainError:
                return False
            except (sa_exc.TimeoutError, sa_exc.DBAPIError) as exc:
                if not out_of_connections(exc):
                    raise
                response = await handle_database_error(request, exc)
            observation = scope.get(STATE_KEY)
            if observation is not None:
                # As RouteMarker notes it: the lanes' routes sit at the root.
                observation.route, observation.root_path = route, ""
            await self._respond({**scope, _LANE_RESPONSE: response}, receive, send)
        finally:
            current_locale.reset(token)
        return True

    def _shared(self, pair: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        """The one copy of a header pair that entries share; an ETag is each page's own."""
        if pair[0] == b"etag":
            return pair
        if len(self._pairs) < SHARED_PAIRS:
            return self._pairs.setdefault(pair, pair)
        return self._pairs.get(pair, pair)

    def _lane_of(self, scope: Scope) -> tuple[Route, Lane, dict] | None:
        for route, lane in self.lanes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, lane, child
        return None

    def _renew(self, source) -> None:
        """Read the versions this page was served under again before the memo lets them lapse,
        in the background: the repeats keep being answered here meanwhile."""
        memo = self._memo()
        claim = memo.start_refresh(source)
        if claim is not None:
            task = asyncio.get_running_loop().create_task(self._refresh(memo, source, claim))
            self._renewing.add(task)
            task.add_done_callback(self._renewing.discard)

    async def _refresh(self, memo: cache.VersionMemo, source, claim: asyncio.Event) -> None:
        try:
            async with self.database.session(write=False) as session:
                await cache.refresh(session, source)
        except Exception:  # noqa: BLE001 - the next request reads for itself, and reports
            logger.warning("renewing public versions failed", exc_info=True)
        finally:
            memo.done_reading(source, claim)

    def _memo(self):
        return self.database.caches.get("versions")

    def _memo_generation(self):
        memo = self._memo()
        return None if memo is None else memo.generation

    def _serve(self, scope: Scope, entry) -> bool:
        source, versions, until, _headers, _body, _gzipped, _route = entry
        memo = self._memo()
        if memo is None:
            return False
        current = memo.get(source)
        if current is None:
            # Lapsed: read again in the background, and answer from the front meanwhile.
            self._renew(source)
            current = memo.renewing(source)
        if current != versions:
            return False
        return until is None or clock.utcnow() < until

    async def _send(self, scope: Scope, send: Send, entry, takes_gzip: bool) -> None:
        _source, _versions, _until, headers, body, gzipped, route = entry
        observation = scope.get(STATE_KEY)
        if observation is not None and route is not None:
            observation.route, observation.root_path = route
        status = 200
        etag = next((v for k, v in headers if k == b"etag"), None)
        if etag is not None:
            for name, value in scope.get("headers") or ():
                if name == b"if-none-match" and etag in value:
                    status = 304
        if status == 304:
            kept = [(k, v) for k, v in headers if k != b"content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = list(headers)
        if gzipped and takes_gzip:
            headers.append((b"content-encoding", b"gzip"))
        elif gzipped:
            body = zlib.decompress(body, GZIP_WBITS)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# zlib's window bits for the gzip format; the level a body is gzipped at when it is kept
# (zlib's default: GZipMiddleware's 9 costs about twice the time for a few per cent).
GZIP_WBITS = 16 + zlib.MAX_WBITS
STORE_LEVEL = 6
# At most this many distinct header pairs are shared between the front's entries.
SHARED_PAIRS = 256
# The bytes of an entry beside its key and body: the tuples, the list of (shared) header
# pairs and the page's own ETag.
ENTRY_OVERHEAD = 600
# The attribute of a route's endpoint that names its lane.
PAGE_LANE = "lane"
_LANE_RESPONSE = "commons.lane_response"


async def _one_row(connection, statement) -> tuple:
    (row,) = await read_rows(connection, statement, {})
    return row


async def _send_lane_response(scope: Scope, receive: Receive, send: Send) -> None:
    await scope[_LANE_RESPONSE](scope, receive, send)


def find_lanes(routes: Sequence[BaseRoute]) -> list[tuple[Route, Lane]]:
    """The routes at the site root (domains' namespaces included) whose endpoint has a lane."""
    found = []
    for route in routes:
        if isinstance(route, Mount) and route.path == "":
            found.extend(find_lanes(route.routes))
        elif isinstance(route, Route) and hasattr(route.endpoint, PAGE_LANE):
            found.append((route, getattr(route.endpoint, PAGE_LANE)))
    return found


def next_midnight(time_zone: str, now: datetime | None = None) -> datetime:
    """The next local midnight in `time_zone`, when "today" and so "overdue" change."""
    local = clock.zone(time_zone)
    today = (now or clock.utcnow()).astimezone(local).date()
    return datetime.combine(today + timedelta(days=1), time(), local)
