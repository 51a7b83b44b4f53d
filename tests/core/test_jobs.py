"""The job queue's interface: enqueued in the caller's transaction, run in its own, retried,
kept with its error when it keeps failing, retried again by an admin; periodic jobs fire once."""

from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import jobs
from core.clock import utcnow
from core.db import Database
from core.domain import Domain, Extensions, Periodic
from core.models import FailedJob, JobSchedule, QueuedJob

pytestmark = pytest.mark.asyncio

calls: list[dict] = []


async def record(session, payload):
    calls.append(payload)


async def explode(session, payload):
    raise RuntimeError(f"boom {payload['n']}")


TEST_DOMAIN = Domain(
    name="t",
    package_dir=Path("."),
    jobs={"t.record": record, "t.explode": explode},
    periodic=[Periodic("t.record", timedelta(hours=1), {"from": "schedule"})],
)


@pytest_asyncio.fixture
async def database(settings):
    calls.clear()
    db = Database(settings, Extensions([TEST_DOMAIN]))
    yield db
    await db.dispose()


def sqlite_only(database):
    if not database.settings.is_sqlite:
        pytest.skip("the SQLite queue; PostgreSQL's is tested in test_pg_workers")


async def test_job_rolled_back_with_its_transaction(database):
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await jobs.enqueue(session, "t.record", {"n": 1})
            raise RuntimeError("the caller fails")
    async with database.transaction() as session:
        assert await jobs.queue_depth(session) == 0
        await jobs.enqueue(session, "t.record", {"n": 2})
    async with database.transaction() as session:
        assert await jobs.queue_depth(session) == 1


async def test_committed_job_runs_once_with_its_payload(database):
    sqlite_only(database)
    async with database.transaction() as session:
        await jobs.enqueue(session, "t.record", {"n": 3})
    assert await jobs.run_due(database) == 1
    assert await jobs.run_due(database) == 0
    assert calls == [{"n": 3}]


async def test_delayed_job_waits_for_its_time(database, test_clock):
    sqlite_only(database)
    async with database.transaction() as session:
        await jobs.enqueue(session, "t.record", {"n": 4}, run_after=utcnow() + timedelta(hours=2))
    assert await jobs.run_due(database) == 0
    test_clock.set_clock(utcnow() + timedelta(hours=3))
    assert await jobs.run_due(database) == 1
    assert calls == [{"n": 4}]


async def test_failing_job_retried_then_kept_with_its_error_and_retried_by_admin(
    database, test_clock
):
    sqlite_only(database)
    async with database.transaction() as session:
        await jobs.enqueue(session, "t.explode", {"n": 5})
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        assert await jobs.run_due(database) == 1, attempt
        # Not due again until the back-off has passed.
        assert await jobs.run_due(database) == 0
        test_clock.set_clock(utcnow() + jobs.backoff(attempt) + timedelta(seconds=1))
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(QueuedJob)) == 0
        failed, total = await jobs.failed_jobs(session)
        assert total == 1
        assert failed[0].name == "t.explode" and failed[0].payload == {"n": 5}
        assert failed[0].attempts == jobs.MAX_ATTEMPTS
        assert "RuntimeError: boom 5" in failed[0].error
        assert await jobs.retry_failed(session, failed[0].id, actor=None)
        assert not await jobs.retry_failed(session, failed[0].id, actor=None)
    async with database.transaction() as session:
        assert (await jobs.failed_jobs(session))[1] == 0
        assert await jobs.queue_depth(session) == 1
        job = await session.scalar(select(QueuedJob))
        assert job.name == "t.explode" and job.payload == {"n": 5} and job.attempts == 0


async def test_job_of_dead_worker_taken_again_after_its_lease(database, test_clock):
    sqlite_only(database)
    async with database.transaction() as session:
        await jobs.enqueue(session, "t.record", {"n": 6})
    assert await jobs.claim(database) is not None  # this worker then "dies"
    assert await jobs.claim(database) is None
    test_clock.set_clock(utcnow() + jobs.LEASE + timedelta(seconds=1))
    assert await jobs.run_due(database) == 1
    assert calls == [{"n": 6}]


async def test_unknown_job_is_kept_as_failed(database, test_clock):
    sqlite_only(database)
    async with database.transaction() as session:
        await jobs.enqueue(session, "nobody.handles", {})
    for _ in range(jobs.MAX_ATTEMPTS):
        await jobs.run_due(database)
        test_clock.set_clock(utcnow() + jobs.MAX_DELAY + timedelta(seconds=1))
    async with database.transaction() as session:
        failed, _total = await jobs.failed_jobs(session)
    assert "UnknownJob" in failed[0].error


async def test_periodic_job_fires_once_per_slot_with_two_workers(database, settings, test_clock):
    other = Database(settings, Extensions([TEST_DOMAIN]))
    try:
        assert await jobs.fire_schedules(database) == 0  # first sight: schedules the next hour
        assert await jobs.fire_schedules(other) == 0
        async with database.transaction() as session:
            first = (await session.get(JobSchedule, "t.record")).next_run_at
        assert first > utcnow()
        test_clock.set_clock(first + timedelta(minutes=1))
        fired = [await jobs.fire_schedules(database), await jobs.fire_schedules(other)]
        assert sorted(fired) == [0, 1]
        async with database.transaction() as session:
            assert await jobs.queue_depth(session) == 1
            assert (await session.get(JobSchedule, "t.record")).next_run_at == first + timedelta(
                hours=1
            )
    finally:
        await other.dispose()


async def test_failed_job_rows_keep_payload(database):
    await jobs.record_failure(database, "t.record", {"n": 7}, 3, "Error: x")
    async with database.transaction() as session:
        row = await session.scalar(select(FailedJob))
    assert (row.payload, row.attempts, row.error) == ({"n": 7}, 3, "Error: x")


async def test_domains_register_the_background_jobs_and_their_schedules():
    from core.app import load_domains

    extensions = Extensions(load_domains())
    assert {
        "core.send_mail",
        "volunteers.remind_shifts",
        "recovery.morning_reminders",
        "residents.follow_up",
        "residents.erase_contacts",
        "residents.escalate_complaints",
        "residents.send_sms",
    } <= set(extensions.jobs)
    every = {p.job: p.every for p in extensions.periodic}
    assert every["recovery.morning_reminders"] == timedelta(hours=1)
    assert every["residents.erase_contacts"] == timedelta(days=1)


async def test_periodic_job_without_handler_refused():
    lonely = Domain(name="l", package_dir=Path("."), periodic=[Periodic("l.x", timedelta(1))])
    with pytest.raises(ValueError, match="l.x"):
        Extensions([lonely])
