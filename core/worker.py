"""`commons worker`: pgqueuer's QueueManager on PostgreSQL, the jobs-table loop on SQLite.

On PostgreSQL each worker process dequeues with `FOR UPDATE SKIP LOCKED` (no job runs twice
at once), beats a heartbeat while a job runs, and re-picks a job whose heartbeat went stale
(its worker died); NOTIFY wakes idle workers as soon as a job is committed.
"""

import asyncio
import contextlib
import json
import logging
import signal
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager, RetryRequested
from sqlalchemy.engine import make_url

from core import jobs
from core.db import Database

log = logging.getLogger("commons.worker")
BATCH = 50


def queue_dsn(database: Database) -> str:
    """The worker's own asyncpg connection (LISTEN needs a session, so never PgBouncer's
    transaction mode: COMMONS_QUEUE_DATABASE_URL may name the server directly)."""
    url = database.settings.queue_database_url or database.settings.database_url
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _entrypoint(database: Database, name: str):
    async def run(job: Job) -> None:
        payload = json.loads(job.payload or b"{}")
        attempt = job.attempts + 1
        try:
            await jobs.run_job(database, name, payload)
        except Exception as exc:
            if attempt < jobs.MAX_ATTEMPTS:
                log.warning("job %s %s failed (try %s): %s", job.id, name, attempt, exc)
                raise RetryRequested(jobs.backoff(attempt), reason=str(exc)[:500]) from exc
            await jobs.record_failure(database, name, payload, attempt, jobs.describe(exc))
            raise

    return run


def queue_manager(connection: asyncpg.Connection, database: Database) -> QueueManager:
    manager = QueueManager(Queries(AsyncpgDriver(connection)))
    for name in sorted(database.extensions.jobs):
        manager.entrypoint(name)(_entrypoint(database, name))
    return manager


async def _fire_schedules_every(database: Database, seconds: float) -> None:
    while True:
        try:
            await jobs.fire_schedules(database)
        except Exception:
            log.exception("firing periodic jobs failed; trying again")
        await asyncio.sleep(seconds)


async def run_postgresql(
    database: Database,
    *,
    once: bool = False,
    heartbeat: timedelta | None = None,
    schedule_seconds: float = 60.0,
) -> None:
    """Run jobs until SIGTERM/SIGINT (or, with `once`, those due now)."""
    if once:
        await jobs.fire_schedules(database)
        await drain(database)
        return
    heartbeat = heartbeat or timedelta(seconds=database.settings.job_heartbeat_seconds)
    connection = await asyncpg.connect(queue_dsn(database))
    manager = queue_manager(connection, database)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, manager.shutdown.set)
    schedules = asyncio.create_task(_fire_schedules_every(database, schedule_seconds))
    try:
        await manager.run(
            # An idle worker looks again at least once a heartbeat, so the job of a worker that
            # died is taken over within about two heartbeats (NOTIFY wakes it for new jobs).
            dequeue_timeout=min(timedelta(seconds=10), heartbeat),
            batch_size=BATCH,
            max_concurrent_tasks=2 * BATCH,
            heartbeat_timeout=heartbeat,
        )
    finally:
        schedules.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await schedules
        await connection.close()


async def run_sqlite(database: Database, *, once: bool = False) -> None:
    if once:
        await jobs.fire_schedules(database)
        await drain(database)
        return
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await jobs.run_in_process(database)


async def run(database: Database, *, once: bool = False) -> None:
    """The `commons worker` loop on either engine; disposes of the database at the end."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        if database.settings.is_sqlite:
            await run_sqlite(database, once=once)
        else:
            await run_postgresql(database, once=once)
    finally:
        await database.dispose()


async def drain(database: Database) -> None:
    """Run every job that is due now, then return (tests, `commons worker --once`); a job
    put back for a later try is left for then."""
    if database.settings.is_sqlite:
        await jobs.run_due(database)
        return
    connection = await asyncpg.connect(queue_dsn(database))
    manager = queue_manager(connection, database)
    names = list(manager.entrypoint_registry)
    running = asyncio.create_task(
        manager.run(
            dequeue_timeout=timedelta(seconds=0.2),
            batch_size=BATCH,
            max_concurrent_tasks=2 * BATCH,
            log_aggregation_interval=timedelta(0),
        )
    )
    try:
        idle = 0
        # Idle twice in a row: nothing running here and nothing due in the table.
        while idle < 2 and not running.done():
            await asyncio.sleep(0.05)
            busy = manager.job_context or await manager.queries.eligible_queued_work(names)
            idle = 0 if busy else idle + 1
        manager.shutdown.set()
        await running
    finally:
        await connection.close()
