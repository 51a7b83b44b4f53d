"""Liveness and readiness: /healthz answers while the process runs, /readyz checks what it needs."""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import jobs
from core.db import get_session
from core.errors import error_json
from core.settings import Settings

CHECK_TIMEOUT = 2.0
# `async def check(session) -> None`, raising when the job queue cannot take work.
QueueCheck = Callable[[AsyncSession], Awaitable[None]]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def queue_check(session: AsyncSession) -> None:
    """The job queue's table answers (pgqueuer's on PostgreSQL, `jobs` on SQLite)."""
    await jobs.queue_depth(session)


def default_queue_check() -> QueueCheck:
    """core.jobs' own `readiness(session)` if it grows one, else the queue's table."""
    return getattr(jobs, "readiness", None) or queue_check


def redis_url(settings: Settings) -> str | None:
    """The Redis the app is configured to share state through, if any."""
    url = settings.rate_limit_storage
    return url if url.startswith(("redis://", "rediss://", "redis+")) else None


async def _redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(
        url.replace("redis+unix", "unix", 1),
        socket_connect_timeout=CHECK_TIMEOUT,
        socket_timeout=CHECK_TIMEOUT,
    )
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _run(name: str, check: Awaitable[None], failures: dict[str, str]) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await check
    except Exception as exc:  # any failure means "not ready", reported by name, not raised
        failures[name] = f"{type(exc).__name__}: {exc}"[:200]
        return "failed"
    return "ok"


async def readyz(request: Request) -> Response:
    """200 when the database, Redis (when configured) and the job queue answer; 503 naming
    each check that failed otherwise."""
    settings: Settings = request.app.state.settings
    session = get_session(request)
    failures: dict[str, str] = {}
    checks = {"database": await _run("database", session.execute(text("SELECT 1")), failures)}
    if "database" not in failures:
        queue_check = getattr(request.app.state, "queue_check", None) or default_queue_check()
        checks["queue"] = await _run("queue", queue_check(session), failures)
    url = redis_url(settings)
    if url is not None:
        checks["redis"] = await _run("redis", _redis(url), failures)
    if failures:
        return error_json(
            503, "not_ready", "Not ready: " + ", ".join(sorted(failures)) + " failed.", failures
        )
    return JSONResponse({"status": "ready", **checks})
