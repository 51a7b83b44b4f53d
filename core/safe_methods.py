"""Safe methods stay safe: a GET or HEAD writes nothing, except the routes declared here."""

import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# A link in a mail, a feed reader or a prefetching browser follows GETs on its own, so a GET
# must not change what the platform holds. These routes do write, each for a reason it names,
# and each is idempotent: the same GET again leaves the data as the first one did.
WRITES_ON_GET: dict[str, str] = {
    "/volunteers/me/certificate.pdf": (
        "issues the certificate it prints; again with the same attended hours, the same "
        "certificate (and code) is returned rather than a new one"
    ),
    "/api/v1/volunteers/me/certificate.pdf": "the same as /volunteers/me/certificate.pdf",
}

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|COPY)\b", re.IGNORECASE)
CTE_WRITE = re.compile(r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)
_request: ContextVar[Scope | None] = ContextVar("commons_safe_request", default=None)


def template_of(scope: Scope) -> str:
    """The matched route's path template, mounts included ("/api/v1/needs/{id:int}")."""
    route = scope.get("route")
    if route is None:
        return scope.get("path", "")
    root = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    return root + getattr(route, "path", "")


@dataclass
class SafeMethodGuard:
    """Notes every write a GET or HEAD makes through the engine outside `WRITES_ON_GET`,
    logs it, and keeps it in `seen` (what the tests assert empty)."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def watch(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn, _cursor, statement: str, _params, _context, _many) -> None:
        scope = _request.get()
        if scope is None or not (WRITE.match(statement) or CTE_WRITE.match(statement)):
            return
        template = template_of(scope)
        if template in WRITES_ON_GET:
            return
        self.seen.append((template, statement.split("\n", 1)[0][:120]))
        log.warning("%s %s wrote to the database: %s", scope["method"], template, statement[:80])


class SafeMethodMiddleware:
    """Marks the GET and HEAD requests, so the guard knows a statement belongs to one."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        token = _request.set(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            _request.reset(token)
