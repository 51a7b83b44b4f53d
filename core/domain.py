"""What a domain contributes to the platform, declared once as `DOMAIN` in its package."""

import importlib
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from starlette.routing import BaseRoute, Match, Mount, Router, get_route_path
from starlette.types import Receive, Scope, Send

# `async def provider(session, object_id) -> dict`: figures one domain adds to another's pages.
# Kinds in use:
# - "incident.figures": per incident, e.g. {"funds": {...}} from donations, {"volunteers": {...}}.
# - "incident.map_marks": per incident, public records to show on its map by layer, e.g.
#   {"shifts": [{id, title, lat, lon, route, detail}]} (recovery/service/maps.py).
# - "need.helpers": per need, e.g. {"organizations": [...names]}, {"volunteer_count": n}.
# - "project.funds": per project, e.g. {"funds": {...}}.
# - "organization.record": per organization, its track record, e.g. {"matches_accepted": n}.
# - "matching.offers": per incident, before a matching run: bring other domains' offers (a
#   warehouse's stock, from preparedness) up to date; answers {}.
# - "offer.source": per offer, where it comes from, e.g. {"warehouse_id": n}.
# - "match.accepted" / "match.fulfilled": per match, after it was accepted or delivered on.
# - "supervision.items": per incident, more late work for the supervision board and reminders,
#   e.g. {"overdue_disclosures": [{organization_id, kind, id, title, due_on, days_late, ...}]}.
# - "supervision.sections": per incident, a panel of the supervision board, {domain: {...}},
#   shown with the template "<domain>/_supervision.html", e.g. residents' unanswered requests.
# - "home.panels": per user id, what that person must do now, for their home page after
#   sign-in: {domain: {...}} (or {} when the domain has nothing for their role), shown with
#   the template "<domain>/_home.html", e.g. volunteers' next shifts, donations' gifts.
Provider = Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]
# Kinds a domain may also answer with `FigureColumns` (`Domain.columns`), read inside the page's
# own statement: "need.helpers", "project.funds" (their pages read only those, not providers).
# `async def hook(session, user, data)`: runs in the registration's transaction.
RegisterHook = Callable[..., Awaitable[None]]
# `async def hook(session, user)`: removes or anonymizes the domain's personal data of a user.
DeletionHook = Callable[..., Awaitable[None]]
# `async def load(session, ctx)`: the domain's part of the demo data set.
DemoLoader = Callable[..., Awaitable[None]]
# `async def handler(session, payload: dict)`: one background job, run in its own transaction.
JobHandler = Callable[[AsyncSession, dict[str, Any]], Awaitable[Any]]


def imported_on_call(module: str, name: str) -> Callable[..., Awaitable[Any]]:
    """Async function `name` of `module`, imported when first called: what only the CLI runs
    (a demo loader) stays out of every web worker's start-up and memory."""

    async def call(*args, **kwargs):
        return await getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = f"{module}.{name}"
    return call


@dataclass(frozen=True)
class FigureColumns:
    """Figures one domain adds to another's page, as columns of that page's own statement:
    a page read by random visitors (one need of a hundred thousand) is a miss every time, and
    a statement per domain cost it more than the page's own row.

    `columns(object_id)` gives labelled scalar subqueries correlated to `object_id` (the
    object's id column, or a bound value); `read(values)` turns their values, by label, into
    the figures `gather` answers for the kind."""

    columns: Callable[[ColumnElement], Sequence[ColumnElement]]
    read: Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every `every` (aligned to multiples of it since the epoch, in UTC), by
    exactly one worker however many run."""

    job: str
    every: timedelta
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    """One found record: its title, a line about it, and the page it links to."""

    title: str
    route: str
    params: Mapping[str, Any]
    detail: str = ""


@dataclass(frozen=True)
class SearchGroup:
    """The hits of one kind of record (e.g. needs), the first `limit` of `total`."""

    kind: str
    label: Any
    hits: Sequence[SearchHit]
    total: int


@dataclass(frozen=True)
class SearchSource:
    """One kind of record the site-wide search finds (core/search.py unions them).

    `rows(text, incident_id)` selects `core.search.search_columns` over the public rows
    containing `text` (of that incident, when given; a kind of no incident ignores it);
    `hits(session, rows)` turns the found rows into hits, in their order."""

    kind: str
    label: Any
    rows: Callable[[str, int | None], Any]
    hits: Callable[[AsyncSession, Sequence[Any]], Awaitable[list[SearchHit]]]


def search_contains(column, text: str) -> ColumnElement[bool]:
    """The one matching rule of every domain's search: case-insensitive "has this text in
    it", with % and _ taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


@dataclass(frozen=True)
class NavItem:
    """A header link; `roles` None means everyone, an empty tuple means signed-out visitors."""

    label: Any
    route: str
    roles: tuple[str, ...] | None = None
    order: int = 50


@dataclass(frozen=True)
class Domain:
    """One domain's contributions; the composition root registers them, nothing else does."""

    name: str
    package_dir: Path
    routes: Sequence[BaseRoute] = ()
    api_routes: Sequence[BaseRoute] = ()
    nav: Sequence[NavItem] = ()
    providers: Mapping[str, Sequence[Provider]] = field(default_factory=dict)
    # Figures given as columns of the asking page's statement, by kind (see FigureColumns).
    columns: Mapping[str, Sequence[FigureColumns]] = field(default_factory=dict)
    after_register: Sequence[RegisterHook] = ()
    account_deletion: Sequence[DeletionHook] = ()
    demo: DemoLoader | None = None
    # Names every template may use (e.g. the domain's translated labels), as Jinja globals.
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # Background jobs by name ("domain.name"), run by core.jobs.
    jobs: Mapping[str, JobHandler] = field(default_factory=dict)
    # Jobs the workers enqueue on a schedule (each must be one of some domain's `jobs`).
    periodic: Sequence[Periodic] = ()
    # What the site-wide search finds in this domain (public records only).
    search: Sequence[SearchSource] = ()

    @property
    def template_dir(self) -> Path:
        return self.package_dir / "templates"


class Extensions:
    """What every domain registered, reachable from any session as `session.info`."""

    INFO_KEY = "commons.extensions"

    def __init__(self, domains: Sequence[Domain] = ()):
        self.domains = list(domains)
        self.providers: dict[str, list[Provider]] = {}
        for domain in self.domains:
            for kind, providers in domain.providers.items():
                self.providers.setdefault(kind, []).extend(providers)
        self.columns: dict[str, list[FigureColumns]] = {}
        for domain in self.domains:
            for kind, found in domain.columns.items():
                self.columns.setdefault(kind, []).extend(found)
        # Each one's labels, in order: its values are read by position, without a mapping.
        self._labels = {
            kind: [tuple(column.key for column in item.columns(literal(0))) for item in found]
            for kind, found in self.columns.items()
        }
        # Statements built from the registered columns, once per kind (see `statement`).
        self._statements: dict[Hashable, Any] = {}
        self.after_register = [h for d in self.domains for h in d.after_register]
        self.account_deletion = [h for d in self.domains for h in d.account_deletion]
        self.jobs: dict[str, JobHandler] = {}
        for domain in self.domains:
            for name, handler in domain.jobs.items():
                if name in self.jobs:
                    raise ValueError(f"job {name!r} registered twice")
                self.jobs[name] = handler
        self.periodic = [p for d in self.domains for p in d.periodic]
        self.search_sources = [s for d in self.domains for s in d.search]
        for item in self.periodic:
            if item.job not in self.jobs:
                raise ValueError(f"periodic job {item.job!r} has no handler")

    @classmethod
    def of(cls, session: AsyncSession) -> "Extensions":
        return session.info.get(cls.INFO_KEY) or _EMPTY

    def statement(self, key: Hashable, build: Callable[["Extensions"], Any]) -> Any:
        """`build(self)` once per key: a page's statement with the columns registered here."""
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = build(self)
        return found

    def figure_columns(self, kind: str, object_id: ColumnElement) -> list[ColumnElement]:
        """Every registered column of `kind` for the object `object_id`, in a fixed order."""
        return [column for item in self.columns.get(kind, ()) for column in item.columns(object_id)]

    def read_figures(self, kind: str, values: Sequence[Any]) -> dict[str, Any]:
        """The figures of `kind` from the values of `figure_columns(kind, …)`, in their order."""
        merged: dict[str, Any] = {}
        start = 0
        for item, labels in zip(
            self.columns.get(kind, ()), self._labels.get(kind, ()), strict=True
        ):
            part = values[start : start + len(labels)]
            merged.update(item.read(dict(zip(labels, part, strict=True))))
            start += len(labels)
        return merged


_EMPTY = Extensions()


async def gather(kind: str, session: AsyncSession, object_id: int) -> dict[str, Any]:
    """Merge what every provider of `kind` says about one object."""
    extensions = Extensions.of(session)
    merged: dict[str, Any] = {}
    if extensions.columns.get(kind):
        statement = extensions.statement(
            ("gather", kind),
            lambda found: select(*found.figure_columns(kind, bindparam("object_id"))),
        )
        values = (await session.execute(statement, {"object_id": object_id})).one()
        merged.update(extensions.read_figures(kind, values))
    for provider in extensions.providers.get(kind, []):
        merged.update(await provider(session, object_id))
    return merged


def _first_segment(path: str) -> str:
    """The first segment of a path: "needs" of "/needs/12", "" of "/"."""
    return path.split("/", 2)[1] if path.startswith("/") else path


class _SegmentIndex:
    """The routes that may match a path, by the path's first segment, in their order: a route
    whose first segment is plain text matches no path with another one, so a request is tried
    against a handful of routes instead of every route of the domain (about 40 for recovery,
    each a regular expression, on every request)."""

    def __init__(self, routes: Sequence[BaseRoute]):
        literal: dict[str, list[int]] = {}
        wild: list[int] = []
        for index, route in enumerate(routes):
            path = getattr(route, "path", None)
            segment = _first_segment(path) if isinstance(path, str) and path else None
            if segment is None or "{" in segment:
                wild.append(index)
            else:
                literal.setdefault(segment, []).append(index)
        self.routes = list(routes)
        self._wild = [self.routes[i] for i in wild]
        self._by_segment = {
            segment: [self.routes[i] for i in sorted(indexes + wild)]
            for segment, indexes in literal.items()
        }

    def candidates(self, scope: Scope) -> list[BaseRoute]:
        return self._by_segment.get(_first_segment(get_route_path(scope)), self._wild)


class IndexedRouter(Router):
    """A Router that tries only the routes a path's first segment allows; what none of them
    matches in full (a 405, a redirect for a slash, a 404) goes Starlette's way over all."""

    def __init__(self, routes: Sequence[BaseRoute]):
        super().__init__(routes=list(routes))
        self.index = _SegmentIndex(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for route in self.index.candidates(scope):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


class Namespace(Mount):
    """A domain's routes at the site root under a name, so `url_for("volunteers:shift")` reverses
    through it; unlike a plain Mount it matches only paths its own routes match, so every domain
    can share "/"."""

    def __init__(self, name: str, routes: Sequence[BaseRoute]):
        super().__init__("", app=IndexedRouter(routes), name=name)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is Match.NONE:
            return match, child_scope
        inner = {**scope, **child_scope}
        best = Match.NONE
        for route in self.app.index.candidates(inner):
            found, _ = route.matches(inner)
            if found is Match.FULL:
                return Match.FULL, child_scope
            if found is Match.PARTIAL:
                best = Match.PARTIAL
        return best, child_scope
