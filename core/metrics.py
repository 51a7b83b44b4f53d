"""Prometheus metrics: requests by route template, latency, job queue, outbox and DB pool.

With several uvicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty directory, one per
`commons serve`): every worker then writes its samples there and any worker answering
GET /metrics reports the sum of all of them. Without it each worker reports only its own.
"""

import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import jobs
from core.clock import utcnow
from core.db import get_session
from core.logs import SCOPE_KEY as REQUEST_ID_KEY
from core.logs import current_request_id, request_id_from
from core.models import FailedJob, OutboxMessage, OutboxStatus, QueuedJob

STATE_KEY = "commons.observe"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; most pages answer in milliseconds, exports and imports take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "<unmatched>"
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")

# `async def probe(session) -> [(job name, state, count)]`: the job queue as the scrape sees
# it. states: queued, running, failed (and whatever else the queue keeps).
QueueProbe = Callable[[AsyncSession], Awaitable[list[tuple[str, str, int]]]]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


async def job_queue(session: AsyncSession) -> list[tuple[str, str, int]]:
    """core.jobs' queue by job name and state: pgqueuer's table on PostgreSQL (queued,
    picked), the `jobs` table on SQLite (queued, running), and failed jobs waiting for an
    admin's retry on both."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        rows = await conn.exec_driver_sql(
            "SELECT entrypoint, status::text, count(*) FROM pgqueuer GROUP BY 1, 2"
        )
    else:
        rows = await session.execute(
            select(QueuedJob.name, QueuedJob.status, func.count()).group_by(
                QueuedJob.name, QueuedJob.status
            )
        )
    found = [(name, state, count) for name, state, count in rows]
    failed = await session.execute(
        select(FailedJob.name, func.count())
        .where(FailedJob.retried_at.is_(None))
        .group_by(FailedJob.name)
    )
    return found + [(name, "failed", count) for name, count in failed]


def default_queue_probe() -> QueueProbe:
    """core.jobs' own `queue_stats(session)` if it grows one, else the tables read here."""
    return getattr(jobs, "queue_stats", None) or job_queue


async def outbox_backlog(session: AsyncSession) -> tuple[int, float]:
    """Mail waiting to be sent, and how long the oldest has waited (seconds)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.pending
            )
        )
    ).one()
    if oldest is None:
        return count, 0.0
    if isinstance(oldest, str):  # SQLite hands aggregates back untyped
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=utcnow().tzinfo)
    return count, max(0.0, (utcnow() - oldest).total_seconds())


class _Observation:
    """What the inner marker learns (the matched route) for the outer middleware."""

    __slots__ = ("route", "root_path")

    def __init__(self) -> None:
        self.route = None
        self.root_path = ""


class Metrics:
    """One app's metric objects, in its own registry (nothing registered at import)."""

    def __init__(self, queue_probe: QueueProbe | None = None):
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = multiprocess_dir()
        self.queue_probe = queue_probe or default_queue_probe()
        self.requests = Counter(
            "commons_http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "commons_http_request_duration_seconds",
            "Time from the request's arrival to its last body byte, by route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.pool = Gauge(
            "commons_db_pool_connections",
            "Database connections of this app's pool by state (summed over live workers).",
            ("state",),
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        # Label children looked up once: prometheus' labels() validates on every call.
        self._children: dict[tuple[str, str, str], tuple] = {}
        self._templates: dict[tuple[int, str], str] = {}

    # ---- requests

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, key[2]),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def template(self, observation: _Observation) -> str:
        route = observation.route
        if route is None:
            return UNMATCHED
        key = (id(route), observation.root_path)
        found = self._templates.get(key)
        if found is None:
            path = getattr(route, "path", "")
            if isinstance(route, Mount):
                path += "/{path}"
            found = _CONVERTOR.sub(r"{\1}", observation.root_path + path) or "/"
            self._templates[key] = found
        return found

    # ---- database pool

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Connections in use, counted on every checkout and checkin (a µs each), and the
        pool's size and limit (size plus overflow)."""
        pool = engine.sync_engine.pool
        if not hasattr(pool, "checkedout"):
            return  # NullPool and StaticPool keep no counts
        self.pool.labels("size").set(pool.size())
        self.pool.labels("limit").set(pool.size() + max(0, getattr(pool, "_max_overflow", 0)))
        in_use = self.pool.labels("checked_out")
        in_use.set(0)
        # The checkin event fires before the pool has the connection back, so the pool's own
        # checkedout() would still count it: count here instead.
        event.listen(engine.sync_engine, "checkout", lambda *_: in_use.inc())
        event.listen(engine.sync_engine, "checkin", lambda *_: in_use.dec())

    # ---- scrape

    async def exposition(self, session: AsyncSession) -> bytes:
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        else:
            registry = self.registry
        # Queue and outbox are database-wide, so they are read at scrape, not per worker.
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(_Families(await self._database_families(session)))
        return generate_latest(registry) + generate_latest(scraped)

    async def _database_families(self, session: AsyncSession) -> list[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "commons_jobs", "Background jobs by name and state.", labels=("name", "state")
        )
        failed = GaugeMetricFamily(
            "commons_jobs_failed", "Background jobs that failed and wait for a retry or an admin."
        )
        failures = 0
        for name, state, count in await self.queue_probe(session):
            jobs.add_metric((name, state), count)
            if state == "failed":
                failures += count
        failed.add_metric((), failures)
        pending, oldest = await outbox_backlog(session)
        backlog = GaugeMetricFamily("commons_outbox_pending", "Mail waiting to be delivered.")
        backlog.add_metric((), pending)
        age = GaugeMetricFamily(
            "commons_outbox_oldest_pending_seconds", "How long the oldest unsent mail has waited."
        )
        age.add_metric((), oldest)
        return [jobs, failed, backlog, age]


class _Families:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def mark_process_dead() -> None:
    """A worker's live gauges leave the sums when it stops (multiprocess mode only)."""
    path = multiprocess_dir()
    if path:
        prometheus_multiprocess.mark_process_dead(os.getpid(), path)


def clear_multiprocess_dir() -> None:
    """Before the workers start: samples of an earlier run must not be summed in."""
    path = multiprocess_dir()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))


class ObserveMiddleware:
    """Outermost: gives the request its id (X-Request-ID in and out) and records its route
    template, status and duration. Kept to a header scan, two clock reads and two samples."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = request_id_from(scope.get("headers", ()))
        scope[REQUEST_ID_KEY] = request_id
        current_request_id.set(request_id)
        observation = _Observation()
        scope[STATE_KEY] = observation
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            method = scope["method"]
            self.metrics.record(
                method if method in METHODS else "other",
                self.metrics.template(observation),
                status,
                time.perf_counter() - start,
            )


class RouteMarker:
    """Innermost: notes the route the router matched. Middleware between copy the scope
    (asgi-csrf does), so the outer middleware cannot read it from its own."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            observation = scope.get(STATE_KEY)
            if observation is not None:
                observation.route = scope.get("route")
                root = scope.get("root_path", "")
                observation.root_path = root[len(scope.get("app_root_path", "")) :]


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format, for a bearer of COMMONS_METRICS_TOKEN; 404 when none is set."""
    token = request.app.state.settings.metrics_token
    if not token:
        return Response("Not Found", status_code=404, media_type="text/plain")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(value.encode(), token.encode()):
        return Response(
            "A bearer token is required.",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    metrics: Metrics = request.app.state.metrics
    body = await metrics.exposition(get_session(request))
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
