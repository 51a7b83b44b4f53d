"""Several `commons worker` processes on PostgreSQL: 1,000 mails each sent exactly once, and a
job whose worker is SIGKILLed mid-job finished by the other.

The same two workers serve both tests (the kill comes last): starting a worker costs seconds,
and they run from the suite's migrated database, emptied between the tests like any other."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from core import jobs, mail
from core.models import OutboxMessage
from core.settings import ROOT

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def pg_only(migrated_url):
    # The PostgreSQL pass of CI sets TEST_DATABASE_URL (and .ci/run fails without a server);
    # on the SQLite pass these run there instead.
    if not migrated_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    return migrated_url


class Workers:
    def __init__(self, url, tmp_path):
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "COMMONS_MAIL_DIR": str(tmp_path / "mail"),
            "COMMONS_JOB_HEARTBEAT_SECONDS": "1",
            "JOB_TEST_SENDS": str(tmp_path / "sends.log"),
        }
        self.sends = tmp_path / "sends.log"
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.core.job_worker"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def wait_ready(self, seconds: float = 300) -> None:
        """Until every worker has imported the app (slow on a loaded machine): the tests
        then time the queue, not Python's start-up."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            dead = [proc.returncode for proc in self.procs if proc.poll() is not None]
            assert not dead, f"a worker exited with {dead}"
            ready = {int(p.name.rsplit("-", 1)[1]) for p in self.sends.parent.glob("*.ready-*")}
            if ready >= {proc.pid for proc in self.procs}:
                return
            time.sleep(0.1)
        raise AssertionError("the workers did not start")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def workers(pg_only, tmp_path_factory):
    pool = Workers(pg_only, tmp_path_factory.mktemp("workers"))
    # Started before the first test's app, so their start-up overlaps its set-up.
    pool.start()
    pool.start()
    yield pool
    pool.stop()


async def _until(check, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


async def test_two_workers_send_each_of_1000_mails_exactly_once(app, workers):
    database = app.state.database
    workers.wait_ready()
    started = time.monotonic()
    async with database.transaction() as session:
        messages = [
            OutboxMessage(kind="test.bulk", to_email=f"p{i}@example.org", subject="s", body="b")
            for i in range(1000)
        ]
        session.add_all(messages)
        await session.flush()
        # What notifications.queue does for each, in one statement.
        await jobs.enqueue_many(session, mail.JOB, [{"id": m.id} for m in messages])

    async def all_sent():
        async with database.session() as session:
            pending = await session.scalar(
                select(func.count()).where(OutboxMessage.status != "sent")
            )
        return pending == 0

    await _until(all_sent, 240, "1,000 mails sent", every=0.2)
    # The figure for the record (pytest -s): queueing to the last one marked sent.
    print(f"\n1,000 mails sent by two workers in {time.monotonic() - started:.1f} s")
    lines = workers.sends.read_text().split()
    pids, ids = lines[0::2], lines[1::2]
    assert len(ids) == 1000 and len(set(ids)) == 1000, Counter(ids).most_common(3)
    # Both processes took part.
    assert len(set(pids)) == 2
    assert len(list((workers.sends.parent / "mail").glob("*.eml"))) == 1000
    await _until(lambda: _depth_is_zero(database), 10, "an empty queue")


async def _depth_is_zero(database) -> bool:
    async with database.session() as session:
        return await jobs.queue_depth(session) == 0


async def test_job_of_a_killed_worker_is_finished_by_the_other(app, workers, tmp_path):
    database = app.state.database
    workers.wait_ready()
    procs = {proc.pid: proc for proc in workers.procs}
    assert len(procs) == 2 and all(proc.poll() is None for proc in procs.values())
    async with database.transaction() as session:
        await jobs.enqueue(session, "t.slow", {"folder": str(tmp_path), "seconds": 3})

    async def started():
        return any(tmp_path.glob("started-*"))

    await _until(started, 60, "a worker to start the job")
    killed = int(next(tmp_path.glob("started-*")).name.split("-")[1])
    (other,) = set(procs) - {killed}
    procs[killed].send_signal(signal.SIGKILL)
    procs[killed].wait()

    async def finished():
        return (tmp_path / f"done-{other}").exists()

    await _until(finished, 60, "the other worker to finish the job")
    assert not (tmp_path / f"done-{killed}").exists()
    await _until(lambda: _depth_is_zero(database), 10, "an empty queue")
