"""Background jobs: `enqueue` in the caller's transaction; workers run each job in its own.

On PostgreSQL the queue is pgqueuer's table (see `core.pgworker`); on SQLite it is the `jobs`
table, run by an in-process worker (`run_in_process`, started in the app's lifespan) or by
`commons worker`. Either way a handler is `async def handler(session, payload: dict)`, looked
up by name in the domains' `Domain.jobs`, and runs in a transaction the worker commits.
"""

import asyncio
import contextlib
import json
import logging
import traceback
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import offset_from_real, utcnow
from core.db import Database
from core.domain import Periodic
from core.events import announce_after_commit
from core.models import FailedJob, JobSchedule, JobStatus, QueuedJob, User

log = logging.getLogger("commons.jobs")

# A failing job is tried this often, waiting 30 s, 1 min, 2 min … between tries.
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# A job running this long without finishing is taken to be orphaned by a dead worker (SQLite).
LEASE = timedelta(minutes=10)
_WAKE_KEY = "commons.jobs_wake"
# In-process runners waiting for work; a commit that enqueued a job sets them.
_waiting: set[asyncio.Event] = set()


class UnknownJob(LookupError):
    """No domain registered a handler under this name."""


def backoff(attempts: int) -> timedelta:
    """The pause before try `attempts + 1`: 30 s, 1 min, 2 min … capped at an hour."""
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
) -> None:
    """Queue job `name` in the session's transaction: it exists only if that transaction
    commits. `run_after` (aware) delays it; the payload must be JSON."""
    await enqueue_many(session, name, [payload or {}], run_after=run_after)


async def enqueue_many(
    session: AsyncSession,
    name: str,
    payloads: list[dict[str, Any]],
    *,
    run_after: datetime | None = None,
) -> None:
    """Queue one job `name` per payload, in one statement, in the session's transaction."""
    if run_after is not None and run_after.tzinfo is None:
        raise ValueError("run_after must be an aware datetime")
    if not payloads:
        return
    bodies = [json.dumps(payload) for payload in payloads]
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        if not raw.is_in_transaction():
            # SQLAlchemy begins lazily; the job must ride on the caller's transaction.
            await conn.exec_driver_sql("SELECT 1")
        delay = max(run_after - utcnow(), timedelta(0)) if run_after else None
        # Imported here: pgqueuer's package costs a web worker ~9 MB it needs only to queue.
        from pgqueuer import AsyncpgDriver, Queries

        await Queries(AsyncpgDriver(raw)).enqueue(
            [name] * len(bodies),
            [body.encode() for body in bodies],
            [0] * len(bodies),
            [delay] * len(bodies),
        )
        _wake_workers_after_commit(session)
        return
    due = run_after or utcnow()
    session.add_all(
        [QueuedJob(name=name, payload=json.loads(body), run_after=due) for body in bodies]
    )
    await session.flush()
    if not session.info.get(_WAKE_KEY):
        session.info[_WAKE_KEY] = True
        _on_commit(session, _wake_runners)


# pgqueuer's channel and the event its trigger sent for an INSERT, which migration x001 took
# off the trigger: idle workers are woken after the commit instead (core.events).
QUEUE_CHANNEL = "ch_pgqueuer"


def _wake_workers_after_commit(session: AsyncSession) -> None:
    """Wake idle `commons worker`s once the queued jobs are committed, as pgqueuer's trigger
    did from inside the transaction; within a second the same words, so a burst of commits
    wakes them with one notification. A missed one costs a worker's next poll at most."""
    sent_at = (utcnow() - (offset_from_real() or timedelta(0))).replace(microsecond=0)
    event = {
        "channel": QUEUE_CHANNEL,
        "operation": "insert",
        "sent_at": sent_at.isoformat(),
        "table": "pgqueuer",
        "type": "table_changed_event",
    }
    announce_after_commit(session, QUEUE_CHANNEL, json.dumps(event))


# PostgreSQL: a job queued by a caller's own statement, as data-modifying CTEs, so a sign-up
# queues its mail without a round trip while it holds its shift's row lock. The rows are what
# `enqueue` writes through pgqueuer (its job row and the log row); `{rows}` names a CTE of the
# statement with the columns `entrypoint` (text) and `payload` (jsonb). Call
# `queued_in_statement` after running it.
QUEUE_CTES = """queued AS (
  INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, dedupe_key, headers,
    status)
  SELECT 0, entrypoint, convert_to(CAST(payload AS text), 'UTF8'), now(), NULL,
    CAST('null' AS jsonb), 'queued'
  FROM {rows}
  RETURNING id, entrypoint, priority
), queued_log AS (
  INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
  SELECT id, 'queued', entrypoint, priority FROM queued
)"""


def queued_in_statement(session: AsyncSession) -> None:
    """Jobs were queued by the session's own statement (`QUEUE_CTES`): wake the workers once
    the transaction commits, as `enqueue` does."""
    _wake_workers_after_commit(session)


def _on_commit(session: AsyncSession, callback) -> None:
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


def _wake_runners() -> None:
    for waiter in list(_waiting):
        waiter.set()


def batched(handler):
    """Mark a job handler as taking a list of payloads: `async def handler(session, payloads)`
    returning one entry per payload, None or the exception that payload failed with. The jobs
    of that name a worker runs at the same moment then share one transaction (a few round
    trips for a batch instead of for each job); each job still succeeds or fails on its own."""
    handler.batched = True
    return handler


# Jobs of a batched name arriving within this long of each other share a transaction.
BATCH_WINDOW_SECONDS = 0.005
BATCH_SIZE = 50
_batches: "weakref.WeakKeyDictionary[Database, dict[str, _Batch]]" = weakref.WeakKeyDictionary()


class _Batch:
    """The payloads of one batched job name waiting for their shared transaction."""

    def __init__(self):
        self.items: list[tuple[dict[str, Any], asyncio.Future]] = []


async def _run_batched(database: Database, name: str, handler, payload: dict[str, Any]) -> None:
    batches = _batches.setdefault(database, {})
    done = asyncio.get_running_loop().create_future()
    batch = batches.get(name)
    if batch is not None:  # a batch is gathering: this job joins it
        batch.items.append((payload, done))
        await done
        return
    # The first job of a batch runs it, in its own task: a stopping worker cancels that task,
    # and the transaction is ended with it, never left to a task nobody waits for.
    batch = batches[name] = _Batch()
    batch.items.append((payload, done))
    await _flush(database, name, handler, batch, batches)
    await done


async def _flush(database: Database, name: str, handler, batch: _Batch, batches: dict) -> None:
    try:
        await asyncio.sleep(BATCH_WINDOW_SECONDS)
    finally:
        # Whatever arrives from now on starts the next batch.
        if batches.get(name) is batch:
            del batches[name]
        items, batch.items = batch.items, []
    try:
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start : start + BATCH_SIZE]
            try:
                async with database.transaction() as session:
                    results = await handler(session, [payload for payload, _ in chunk])
            except Exception as exc:  # the transaction failed: each of its jobs is tried again
                results = [exc] * len(chunk)
            for (_, done), result in zip(chunk, results, strict=True):
                if done.done():
                    continue
                if result is None:
                    done.set_result(None)
                else:
                    done.set_exception(result)
    finally:
        # Cancelled (the worker is stopping): the jobs not run end with it, to be run again.
        for _, done in items:
            if not done.done():
                done.cancel()


async def run_job(database: Database, name: str, payload: dict[str, Any]) -> None:
    """Run one job's handler in its own transaction (committed when it returns), or, for a
    batched handler, in the transaction it shares with the same jobs running meanwhile."""
    handler = database.extensions.jobs.get(name)
    if handler is None:
        raise UnknownJob(f"no handler registered for job {name!r}")
    if getattr(handler, "batched", False):
        await _run_batched(database, name, handler, payload)
        return
    async with database.transaction() as session:
        await handler(session, payload)


def describe(exc: BaseException) -> str:
    """The error kept with a failed job: its type, message and where it was raised."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return "".join(lines)[-8000:]


async def record_failure(
    database: Database, name: str, payload: dict[str, Any], attempts: int, error: str
) -> None:
    async with database.transaction() as session:
        session.add(FailedJob(name=name, payload=payload, error=error, attempts=attempts))


async def failed_jobs(session: AsyncSession, *, limit: int = 50, offset: int = 0):
    """Failed jobs not yet retried, newest first, and how many there are."""
    waiting = FailedJob.retried_at.is_(None)
    total = await session.scalar(select(func.count()).select_from(FailedJob).where(waiting))
    rows = await session.scalars(
        select(FailedJob)
        .where(waiting)
        .order_by(FailedJob.failed_at.desc(), FailedJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def retry_failed(session: AsyncSession, failed_id: int, *, actor: User | None) -> bool:
    """Queue a failed job again with its payload; False when there is none left to retry."""
    claimed = await session.execute(
        update(FailedJob)
        .where(FailedJob.id == failed_id, FailedJob.retried_at.is_(None))
        .values(retried_at=utcnow(), retried_by_id=actor.id if actor else None)
        .returning(FailedJob.name, FailedJob.payload)
        .execution_options(synchronize_session=False)
    )
    row = claimed.first()
    if row is None:
        return False
    await enqueue(session, row.name, row.payload)
    await audit.record(
        session,
        actor=actor,
        action="job.retry",
        object_type="failed_job",
        object_id=failed_id,
        after={"name": row.name},
    )
    return True


async def queue_depth(session: AsyncSession) -> int:
    """Jobs waiting or running, on either engine (for /metrics and the admin page)."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        rows = await conn.exec_driver_sql(
            "SELECT count(*) FROM pgqueuer WHERE status IN ('queued', 'picked')"
        )
        return rows.scalar_one()
    return await session.scalar(select(func.count()).select_from(QueuedJob)) or 0


# --- periodic jobs -----------------------------------------------------------------------


def _next_slot(now: datetime, every: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    slots = (now - epoch) // every
    return epoch + every * (slots + 1)


async def fire_schedules(database: Database, periodic: list[Periodic] | None = None) -> int:
    """Enqueue every periodic job whose time has come; returns how many were enqueued.

    Each is fired by moving its `next_run_at` forward with a conditional UPDATE in the same
    transaction as the enqueue, so of several workers exactly one fires it."""
    periodic = database.extensions.periodic if periodic is None else periodic
    fired = 0
    now = utcnow()
    for item in periodic:
        async with database.transaction() as session:
            schedule = await session.get(JobSchedule, item.job)
            if schedule is None:
                # The first sighting schedules the next slot; a fresh install does not fire
                # every sweep at once on start-up.
                try:
                    async with session.begin_nested():
                        session.add(
                            JobSchedule(name=item.job, next_run_at=_next_slot(now, item.every))
                        )
                except IntegrityError:  # another worker inserted it first: theirs stands
                    pass
                continue
            if schedule.next_run_at > now:
                continue
            moved = await session.execute(
                update(JobSchedule)
                .where(
                    JobSchedule.name == item.job,
                    JobSchedule.next_run_at == schedule.next_run_at,
                )
                .values(next_run_at=_next_slot(now, item.every))
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:
                continue
            await enqueue(session, item.job, dict(item.payload))
            fired += 1
    return fired


# --- the SQLite queue --------------------------------------------------------------------


async def claim(database: Database, *, now: datetime | None = None) -> QueuedJob | None:
    """Take the next due job: a conditional UPDATE inside BEGIN IMMEDIATE, so one worker
    wins it; a job running past its lease (its worker died) is due again."""
    now = now or utcnow()
    async with database.transaction() as session:
        candidates = await session.scalars(
            select(QueuedJob)
            .where(
                or_(
                    (QueuedJob.status == JobStatus.queued) & (QueuedJob.run_after <= now),
                    (QueuedJob.status == JobStatus.running) & (QueuedJob.locked_until < now),
                )
            )
            .order_by(QueuedJob.run_after, QueuedJob.id)
            .limit(5)
        )
        for job in candidates.all():
            taken = await session.execute(
                update(QueuedJob)
                .where(QueuedJob.id == job.id, QueuedJob.attempts == job.attempts)
                .values(
                    status=JobStatus.running, attempts=job.attempts + 1, locked_until=now + LEASE
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                job.attempts += 1
                return job
    return None


async def _settle(database: Database, job: QueuedJob, error: str | None) -> None:
    async with database.transaction() as session:
        mine = (QueuedJob.id == job.id) & (QueuedJob.attempts == job.attempts)
        if error is None or job.attempts >= MAX_ATTEMPTS:
            await session.execute(delete(QueuedJob).where(mine))
            if error is not None:
                session.add(
                    FailedJob(
                        name=job.name, payload=job.payload, error=error, attempts=job.attempts
                    )
                )
            return
        await session.execute(
            update(QueuedJob)
            .where(mine)
            .values(
                status=JobStatus.queued,
                run_after=utcnow() + backoff(job.attempts),
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )


async def run_due(database: Database, *, limit: int | None = None) -> int:
    """Run due jobs from the SQLite queue until none is left (or `limit`); returns the count."""
    done = 0
    while limit is None or done < limit:
        job = await claim(database)
        if job is None:
            break
        try:
            await run_job(database, job.name, job.payload)
        except Exception as exc:  # one failing job must not stop the others
            log.warning("job %s %s failed (try %s): %s", job.id, job.name, job.attempts, exc)
            await _settle(database, job, describe(exc))
        else:
            await _settle(database, job, None)
        done += 1
    return done


async def run_in_process(
    database: Database, *, poll_seconds: float = 2.0, schedule_seconds: float = 60.0
) -> None:
    """The SQLite worker loop (until cancelled): due jobs at once after each commit that
    queued one, else every `poll_seconds`; periodic jobs every `schedule_seconds`."""
    wake = asyncio.Event()
    _waiting.add(wake)
    loop = asyncio.get_running_loop()
    next_schedule = loop.time()
    try:
        while True:
            wake.clear()
            try:
                if loop.time() >= next_schedule:
                    next_schedule = loop.time() + schedule_seconds
                    await fire_schedules(database)
                await run_due(database)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not end the worker; it tries again after a pause.
                log.exception("job worker pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)
    finally:
        _waiting.discard(wake)
