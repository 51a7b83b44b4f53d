"""HTML rendering: the Jinja environment, htmx-aware rendering, error pages, static URLs."""

import hashlib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import numbers as babel_numbers
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from sqlalchemy import exc as sa_exc
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from core.dates import format_day, format_moment, format_span, zone_note
from core.domain import NavItem
from core.errors import DomainError, NotAuthenticated, PendingVerification, error_json
from core.i18n import (
    HTML_LANG,
    LOCALE_NAMES,
    LOCALES,
    babel_locale,
    current_locale,
    gettext,
    lazy_gettext,
    ngettext,
    npgettext,
    pgettext,
)
from core.logs import request_id_of
from core.settings import ROOT, Settings
from core.types import printable

log = logging.getLogger("commons")
STATIC_DIR = ROOT / "static"
# The platform shell's templates come first; each domain adds its own folder.
SHELL_TEMPLATE_DIR = ROOT / "platform" / "templates"

MACROS = ("field", "select", "grouped_select", "form_errors", "pager", "point_picker", "swatch")
SHARED_SCOPE_KEY = "commons.shared_page"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")


@cache
def _file_hash(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_path(path: str) -> str:
    """The content-hashed URL path of a static file: css/app.css → /static/css/app.<hash>.css."""
    stem, dot, ext = path.rpartition(".")
    return f"/static/{stem}.{_file_hash(path)}{dot}{ext}"


class HashedStaticFiles(StaticFiles):
    """Serves content-hashed names as the real file, cached for a year since the name changes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        match = _HASHED.match(path)
        if match:
            real = match["stem"] + match["ext"]
            response = await super().get_response(real, scope)
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response


def make_templates(
    settings: Settings,
    nav: Sequence[NavItem],
    template_dirs: Sequence[Path],
    template_globals: Mapping[str, Any] | None = None,
) -> Jinja2Blocks:
    dirs = [SHELL_TEMPLATE_DIR, *template_dirs]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs if d.is_dir()]),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=settings.debug,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.globals["gettext"] = _remembered_gettext(env.globals["gettext"])

    @pass_context
    def fmt_date(context, value: date | datetime | None, tz: str | None = None) -> str:
        return format_day(value, tz or context.get("viewer_zone") or settings.time_zone)

    @pass_context
    def fmt_datetime(context, value: datetime | None, tz: str | None = None) -> str:
        return format_moment(value, tz or context.get("viewer_zone") or settings.time_zone)

    @pass_context
    def fmt_span(context, start: datetime, end: datetime, tz: str | None = None) -> str:
        return format_span(start, end, tz or context.get("viewer_zone") or settings.time_zone)

    def fmt_number(value: int | float | None) -> str:
        if value is None:
            return ""
        return _decimal(value, type(value), current_locale.get())

    def fmt_percent(value: float | None, digits: int = 0) -> str:
        if value is None:
            return ""
        return _percent(value, type(value), digits, current_locale.get())

    env.filters.update(
        date=fmt_date,
        datetime=fmt_datetime,
        span=fmt_span,
        number=fmt_number,
        percent=fmt_percent,
        money=format_money,
    )
    env.globals.update(template_globals or {})
    env.globals["url_for"] = _url_for
    env.globals["shared_frame"] = _frame_cache()
    env.globals.update(
        static=static_path,
        zone_note=zone_note,
        settings=settings,
        LOCALES=LOCALES,
        LOCALE_NAMES=LOCALE_NAMES,
    )
    # Macros as globals, since a block rendered alone for htmx does not see the page's imports;
    # made last, so the macros see the globals above (settings, static).
    macros = env.get_template("_macros.html").module
    env.globals.update({name: getattr(macros, name) for name in MACROS})

    def context(request: Request) -> dict[str, Any]:
        user = request.scope.get("commons.user")
        locale = request.scope.get("commons.locale", "en")
        csrf = request.scope.get("csrftoken")
        role = user.role if user else None
        items = [
            item
            for item in sorted(nav, key=lambda i: i.order)
            if item.roles is None or (role in item.roles if role else item.roles == ())
        ]
        return {
            "nav_groups": nav_groups(items),
            "current_user": user,
            "current_org": request.scope.get("commons.organization"),
            "locale": locale,
            "html_lang": HTML_LANG.get(locale, "en"),
            # A page shared by every anonymous visitor (core/pages.py) holds nobody's token:
            # asking for one would also set the cookie that keeps caches from storing it.
            "csrf_token": csrf() if csrf and not request.scope.get(SHARED_SCOPE_KEY) else "",
            "nav_items": items,
            # Times not tied to an incident are shown in the reader's chosen zone.
            "viewer_zone": (user.time_zone if user else None) or settings.time_zone,
        }

    return Jinja2Blocks(env=env, context_processors=[context])


# Messages remembered per language; the templates' own number a few hundred.
GETTEXT_KEPT = 4096


def _remembered_gettext(newstyle):
    """Jinja's new-style `_()`, its answer for a message with no values remembered per
    language and escaping: a page asks for a dozen such labels, each one otherwise a catalog
    look-up, a Markup and a formatting (`%` with no values still turns "%%" into "%")."""
    kept: dict[tuple, Any] = {}

    @pass_context
    def remembered(context, string, **variables):
        if variables:
            return newstyle(context, string, **variables)
        key = (current_locale.get(), context.eval_ctx.autoescape, string)
        found = kept.get(key)
        if found is None:
            if len(kept) >= GETTEXT_KEPT:
                kept.clear()
            found = kept[key] = newstyle(context, string)
        return found

    return remembered


# Host names a process keeps frames for; a client sending many others only empties the cache.
FRAME_HOSTS = 16


def _frame_cache():
    """`{% call shared_frame(name) %}`: a part of the layout (header, navigation, footer) that
    is the same on every page a signed-out visitor shares (core/pages.py: no user, no token),
    rendered once per language and base URL instead of on each page."""
    frames: dict[tuple, Markup] = {}

    @pass_context
    def shared_frame(context, name: str, caller) -> Markup:
        request = context.get("request")
        if (
            request is None
            or not request.scope.get(SHARED_SCOPE_KEY)
            or context.get("current_user") is not None
        ):
            return caller()
        key = (name, context.get("locale"), str(request.base_url))
        found = frames.get(key)
        if found is None:
            if len(frames) >= FRAME_HOSTS * 3 * len(LOCALES):
                frames.clear()
            found = frames[key] = caller()
        return found

    return shared_frame


# Past this many links the header groups them by the part of the work they belong to (the
# route's namespace), each group a menu that opens without JavaScript (<details>).
FLAT_NAV = 11
NAV_GROUPS = {
    "recovery": lazy_gettext("Recovery"),
    "residents": lazy_gettext("Residents"),
    "donations": lazy_gettext("Offers and money"),
    "volunteers": lazy_gettext("Volunteers"),
    "preparedness": lazy_gettext("Preparedness"),
}
# Links that stay on the bar itself: the person's own pages.
NAV_TOP = ("recovery:my_home",)


def nav_groups(items: list) -> list[tuple[Any, list]] | None:
    """(group label or None for a link of its own, links) in the bar's order; None when the
    links fit on the bar as they are."""
    if len(items) <= FLAT_NAV:
        return None
    groups: list[tuple[Any, list]] = []
    seen: dict[str, list] = {}
    for item in items:
        namespace = item.route.split(":", 1)[0]
        if item.route in NAV_TOP or namespace not in NAV_GROUPS:
            groups.append((None, [item]))
        elif namespace in seen:
            seen[namespace].append(item)
        else:
            seen[namespace] = [item]
            groups.append((NAV_GROUPS[namespace], seen[namespace]))
    return groups


_MARK_BASE = 7_913_000_000_000


@pass_context
def _url_for(context: dict[str, Any], name: str, /, **params: Any) -> URL:
    """request.url_for without its cost: Starlette tries every route and mount in turn, each
    miss raising NoMatchFound, on every call. The path is looked up once per route name and
    parameter names, with numbers marking where the values go, then filled in."""
    request: Request = context["request"]
    router = request.app.router
    reverse: dict = router.__dict__.setdefault("_commons_reverse", {})
    key = (name, tuple(sorted(params)))
    found = reverse.get(key)
    if found is None:
        marks = {k: str(_MARK_BASE + i) for i, k in enumerate(key[1])}
        path = router.url_path_for(name, **{k: int(v) for k, v in marks.items()})
        found = reverse[key] = (str(path), marks)
    path, marks = found
    for param, mark in marks.items():
        value = str(params[param])
        if "/" in value or "?" in value or "#" in value:
            return request.url_for(name, **params)  # Starlette's own checks and errors
        path = path.replace(mark, value)
    return URL(str(request.base_url).rstrip("/") + path)


# Babel applies its number pattern anew on each call (tens of microseconds); the same few
# quantities and shares come back on page after page. The type is in the key so that 1, 1.0
# and True, equal as keys, keep their own renderings.
@lru_cache(maxsize=4096)
def _decimal(value: int | float | Decimal, _kind: type, locale: str) -> str:
    return babel_numbers.format_decimal(value, locale=babel_locale(locale))


@lru_cache(maxsize=4096)
def _percent(value: float, _kind: type, digits: int, locale: str) -> str:
    pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
    return babel_numbers.format_percent(value, pattern, locale=babel_locale(locale))


def _printable(value: Any) -> Any:
    """Every value a template writes, without the control characters that make an Atom feed
    or SVG unreadable XML (input refuses them; rows stored before may still hold them)."""
    if isinstance(value, str):
        # Nearly every value is plain printable ASCII, which holds none of those characters:
        # two C-level checks instead of a regular expression's pass and a new string.
        if value.isascii() and value.isprintable():
            return value
        if isinstance(value, Markup):
            return Markup(printable(str(value)))
        return printable(value)
    return value


def format_money(minor: int | None, currency: str = "CNY") -> str:
    """Integer minor units shown as money in the current locale (never through float)."""
    if minor is None:
        return ""
    return _money(minor, currency, current_locale.get())


@lru_cache(maxsize=4096)
def _money(minor: int, currency: str, locale: str) -> str:
    digits = babel_numbers.get_currency_precision(currency)
    amount = Decimal(minor).scaleb(-digits)
    return babel_numbers.format_currency(amount, currency, locale=babel_locale(locale))


def is_fragment_request(request: Request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


async def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only `block` of it when htmx asks for a fragment.

    Who is asking was settled by the auth middleware before the handler ran."""
    templates: Jinja2Blocks = request.app.state.templates
    block_name = block if block and is_fragment_request(request) else None
    return templates.TemplateResponse(
        request,
        name,
        context or {},
        status_code=status_code,
        headers=headers,
        block_name=block_name,
    )


def redirect(request: Request, url: str) -> Response:
    """After a successful form: htmx's HX-Redirect for htmx requests, a 303 otherwise."""
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render_error(
    request: Request,
    template: str,
    status_code: int,
    message: str,
    headers: dict[str, str] | None = None,
    reference: str | None = None,
) -> Response:
    """An error page, or only its message when htmx asked for a fragment."""
    templates: Jinja2Blocks = request.app.state.templates
    request.scope.setdefault("commons.user", None)
    return templates.TemplateResponse(
        request,
        template,
        {"status_code": status_code, "message": message, "reference": reference},
        status_code=status_code,
        headers=headers or None,
        block_name="message" if is_fragment_request(request) else None,
    )


def upload_path(settings: Settings, *parts: str) -> Path:
    path = Path(settings.upload_dir, *parts)
    os.makedirs(path.parent, exist_ok=True)
    return path


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def handle_domain_error(request: Request, exc: DomainError) -> Response:
    """The one mapping of a refusal: the JSON error shape under /api/v1, a page elsewhere."""
    if is_api(request):
        return error_json(exc.status_code, exc.code, exc.message, exc.fields, exc.headers)
    if isinstance(exc, NotAuthenticated):
        login = request.url_for("accounts:login").include_query_params(next=request.url.path)
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": str(login)})
        return RedirectResponse(login, status_code=303)
    template = "pending.html" if isinstance(exc, PendingVerification) else "error.html"
    return render_error(request, template, exc.status_code, exc.message, exc.headers)


async def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 403: "forbidden"}
    code = codes.get(exc.status_code, "http_error")
    if is_api(request):
        return error_json(exc.status_code, code, str(exc.detail))
    return render_error(request, "error.html", exc.status_code, str(exc.detail))


async def handle_server_error(request: Request, exc: Exception) -> Response:
    if out_of_connections(exc):  # raised before the routes, e.g. in the auth middleware
        return await handle_database_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = gettext("Something went wrong on our side.")
    # This handler answers outside the middleware, so it names the request id itself: the
    # reference a person reads out is the one in the log line above.
    reference = request_id_of(request.scope)
    headers = {"X-Request-ID": reference} if reference else None
    if is_api(request):
        error = {"code": "server_error", "message": message, "fields": {}, "reference": reference}
        return JSONResponse({"error": error}, status_code=500, headers=headers)
    return render_error(request, "error.html", 500, message, headers, reference=reference)


def out_of_connections(exc: Exception) -> bool:
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection free in time
        return True
    # PostgreSQL refusing a new connection: "sorry, too many clients already".
    return isinstance(exc, sa_exc.DBAPIError) and "too many clients" in str(exc.orig).lower()


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """Out of database connections is overload, not a bug: 503 with Retry-After, never 500."""
    if not out_of_connections(exc):
        return await handle_server_error(request, exc)
    log.warning("no database connection for %s %s: %s", request.method, request.url.path, exc)
    message = gettext("The service is busy. Please try again in a moment.")
    headers = {"Retry-After": "2"}
    if is_api(request):
        return error_json(503, "unavailable", message, headers=headers)
    return render_error(request, "error.html", 503, message, headers)


exception_handlers = {
    DomainError: handle_domain_error,
    sa_exc.TimeoutError: handle_database_error,
    sa_exc.DBAPIError: handle_database_error,
    HTTPException: handle_http_exception,
    Exception: handle_server_error,
}
