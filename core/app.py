"""The app factory: the composition root that wires settings, database, domains and middleware."""

import asyncio
import contextlib
import gc
import importlib
import json
from contextlib import asynccontextmanager

from asgi_csrf import asgi_csrf
from jinja2 import BytecodeCache, FileSystemBytecodeCache
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, StringConvertor
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from core import api, jobs
from core.auth import AuthMiddleware, LoginThrottle
from core.db import Database, DBSessionMiddleware
from core.domain import Domain, Extensions, IndexedRouter, Namespace
from core.errors import error_json
from core.health import healthz, readyz
from core.i18n import LocaleMiddleware
from core.metrics import (
    Metrics,
    ObserveMiddleware,
    RouteMarker,
    mark_process_dead,
    metrics_endpoint,
)
from core.middleware import (
    BodyLimitMiddleware,
    LazyCsrfToken,
    MultipartCSRFCheck,
    SecurityHeadersMiddleware,
    SessionReadVary,
)
from core.pages import GZIP_MINIMUM, SharedFront, find_lanes
from core.safe_methods import SafeMethodGuard, SafeMethodMiddleware
from core.settings import Settings
from core.types import IdConvertor, TextConvertor
from core.web import STATIC_DIR, HashedStaticFiles, exception_handlers, make_templates

# The one place the kernel names the domains: each package declares its `DOMAIN`.
DOMAINS = ("core.accounts", "recovery", "volunteers", "donations", "residents", "preparedness")
VERSION = "0.1.0"


def load_domains() -> list[Domain]:
    return [importlib.import_module(name).DOMAIN for name in DOMAINS]


def open_database(settings: Settings, domains: list[Domain] | None = None) -> Database:
    """The database with every domain's providers and hooks, for the app, the CLI and workers."""
    return Database(settings, Extensions(domains if domains is not None else load_domains()))


async def api_not_found(request: Request) -> Response:
    return error_json(404, "not_found", f"No API operation at {request.url.path}")


class ProductionSettingsError(RuntimeError):
    """COMMONS_ENV=production with a setting that is only safe in development."""


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    problems = settings.production_problems()
    if problems:
        # Refuse to start rather than serve production with forgeable sessions.
        raise ProductionSettingsError("COMMONS_ENV=production refuses: " + "; ".join(problems))
    domains = load_domains()
    database = open_database(settings, domains)

    web_routes: list[BaseRoute] = [Namespace(d.name, d.routes) for d in domains]
    api_routes: list[BaseRoute] = [route for d in domains for route in d.api_routes]
    nav = [item for d in domains for item in d.nav]
    api_routes.append(
        Route("/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    )

    async def openapi(request: Request) -> Response:
        # Built on first request: it costs a third of a second, which every start-up would pay.
        if request.app.state.openapi is None:
            request.app.state.openapi = api.openapi_schema(
                routes, title="Recovery Commons API", version=VERSION
            )
        return JSONResponse(request.app.state.openapi)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, name="healthz"),
        Route("/readyz", readyz, name="readyz"),
        Route("/metrics", metrics_endpoint, name="metrics"),
        Route("/openapi.json", openapi, name="openapi"),
        Mount("/static", app=HashedStaticFiles(directory=STATIC_DIR), name="static"),
        # About seventy routes: tried by the path's first segment after /api/v1, not in turn.
        Mount("/api/v1", app=IndexedRouter(api_routes), name="api"),
        *web_routes,
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette):
        in_process = settings.jobs_in_process
        if in_process is None:
            in_process = settings.is_sqlite
        # SQLite has no `commons worker` of its own in `make run`: the web process runs jobs.
        worker = asyncio.create_task(jobs.run_in_process(database)) if in_process else None
        # What start-up built (modules, mappers, routes) lives as long as the process: moved
        # out of the collector's reach, a full collection under load walks only what requests
        # made, so its pauses (each one stalls every request in flight) stay short.
        gc.collect()
        gc.freeze()
        yield
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await app.state.login_throttle.close()
        await database.dispose()
        mark_process_dead()

    def csrf(app):
        return asgi_csrf(
            app,
            signing_secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            # The JSON API authenticates with bearer tokens or is called without cookies.
            skip_if_scope=lambda scope: (
                bool(scope.get("commons.csrf_checked")) or _csrf_exempt(scope)
            ),
            send_csrf_failed=_csrf_failed,
        )

    metrics = Metrics()
    metrics.watch_pool(database.engine)
    safe_methods = SafeMethodGuard()
    safe_methods.watch(database.engine)
    middleware = [
        Middleware(ObserveMiddleware, metrics=metrics),
        *(
            [Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)]
            if settings.allowed_hosts
            else []
        ),
        # Repeat anonymous views of shared pages, answered before the rest of the stack.
        Middleware(
            SharedFront,
            database=database,
            # A signed-out need page that misses the front, built here with only what it
            # needs; its answer gets what the layers below add to it.
            lanes=find_lanes(routes),
            respond=lambda inner: SecurityHeadersMiddleware(
                GZipMiddleware(SessionReadVary(inner), minimum_size=GZIP_MINIMUM),
                settings=settings,
            ),
            gzip_minimum=GZIP_MINIMUM,
        ),
        Middleware(SecurityHeadersMiddleware, settings=settings),
        Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM),
        Middleware(BodyLimitMiddleware, settings=settings),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie="commons_session",
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
        Middleware(MultipartCSRFCheck, on_failure=_csrf_failed, exempt=_csrf_exempt),
        Middleware(_Wrap, wrapper=csrf, settings=settings, bypass=_bearer_api_call),
        Middleware(SafeMethodMiddleware),
        Middleware(LocaleMiddleware, default=settings.default_locale),
        Middleware(DBSessionMiddleware, database=database),
        Middleware(AuthMiddleware),
        Middleware(RouteMarker),
    ]
    guard_path_params(routes)
    app = Starlette(
        debug=settings.debug,
        routes=routes,
        middleware=middleware,
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = metrics
    app.state.safe_methods = safe_methods
    app.state.templates = make_templates(
        settings,
        nav,
        [d.template_dir for d in domains],
        _template_globals(domains),
    )
    # Every worker compiles each template on its first request for it (a cold dashboard spends
    # over half its 0.15 s there, and the requests queued behind it wait): compiled once per
    # machine instead, and loaded by the next worker while the template's source is unchanged.
    app.state.templates.env.bytecode_cache = _bytecode_cache()
    app.state.login_throttle = LoginThrottle(settings)
    app.state.openapi = None
    return app


def _bytecode_cache() -> BytecodeCache | None:
    """Jinja's compiled templates in a private per-user temporary folder; none where it cannot
    be made (a read-only host), which only costs the compiling again."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def _template_globals(domains: list[Domain]) -> dict:
    """Every domain's template globals; two domains claiming one name is a start-up error."""
    merged: dict = {}
    for domain in domains:
        for name, value in domain.template_globals.items():
            if name in merged:
                raise RuntimeError(f"template global {name!r} is declared twice ({domain.name})")
            merged[name] = value
    return merged


def guard_path_params(routes: list[BaseRoute]) -> None:
    """Every `{id:int}` takes ids the database holds and every `{name}` refuses control
    characters, as a 404: the routes were compiled with Starlette's convertors, so theirs are
    swapped here, once, rather than registered globally at import."""
    swaps = {IntegerConvertor: IdConvertor(), StringConvertor: TextConvertor()}
    for route in routes:
        convertors = getattr(route, "param_convertors", {})
        for name, convertor in convertors.items():
            convertors[name] = swaps.get(type(convertor), convertor)
        if isinstance(route, Mount):
            guard_path_params(route.routes)


def _csrf_exempt(scope) -> bool:
    """Requests no browser session rides on: bearer-token or cookie-less API calls; and a
    signed-out visitor's choice of language, posted from a page shared by every anonymous
    visitor (core/pages.py), which carries nobody's token: forged, it changes only the
    language of someone signed out."""
    if scope["path"] == "/language" and not scope.get("session", {}).get("uid"):
        return True
    headers = dict(scope.get("headers") or [])
    if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
        return True
    cookie = headers.get(b"cookie", b"")
    return scope["path"].startswith("/api/") and b"commons_session=" not in cookie


async def _csrf_failed(scope, send, message_id) -> None:
    message = "The form's security token is missing or out of date. Reload the page and try again."
    if scope["path"].startswith("/api/"):
        body = json.dumps(
            {
                "error": {
                    "code": "csrf_failed",
                    "message": message,
                    "fields": {"csrftoken": "missing or wrong"},
                }
            }
        ).encode()
        content_type = b"application/json"
    else:
        body = (f"<!doctype html><title>403</title><h1>403</h1><p>{message}</p>").encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {"type": "http.response.start", "status": 403, "headers": [(b"content-type", content_type)]}
    )
    await send({"type": "http.response.body", "body": body})


class _Wrap:
    """Lets a function-style ASGI wrapper (asgi_csrf) sit in Starlette's middleware list; a
    safe request without the token's cookie signs its token only when the page asks for it
    (core.middleware.LazyCsrfToken); `bypass(scope)` names requests that go straight to the
    app."""

    def __init__(self, app, wrapper, settings: Settings, bypass=None):
        self.app = app
        self.wrapped = LazyCsrfToken(
            app,
            wrapper(app),
            signing_secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
        )
        self.bypass = bypass

    async def __call__(self, scope, receive, send):
        if self.bypass is not None and self.bypass(scope):
            await self.app(scope, receive, send)
            return
        await self.wrapped(scope, receive, send)


def _bearer_api_call(scope) -> bool:
    """A bearer-token call of the JSON API: no form, no page and no cookie of ours to sign, so
    asgi_csrf (which signs a fresh token for every request without its cookie) is skipped."""
    if not scope.get("path", "").startswith("/api/"):
        return False
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return False
