"""Batched jobs (core.jobs.batched), as mail delivery uses them: the jobs a worker runs at the
same moment share one transaction, yet each succeeds or fails on its own, and a message is
never sent twice however its jobs overlap."""

import asyncio
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from core import jobs, mail
from core.app import load_domains
from core.db import Database
from core.domain import Extensions
from core.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def database(settings, app):  # app: the migrated, emptied database
    db = Database(settings, Extensions(load_domains()))
    yield db
    await db.dispose()


async def _messages(database, count: int) -> list[int]:
    async with database.transaction() as session:
        rows = [
            OutboxMessage(kind="test.batch", to_email=f"b{i}@example.org", subject="s", body="b")
            for i in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


def _mails(database) -> int:
    return len(list(Path(database.settings.mail_dir).glob("*.eml")))


async def _statuses(database, ids: list[int]) -> dict[int, str]:
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(ids))
        )
        return {row.id: row.status for row in rows}


async def test_jobs_running_together_share_one_transaction_and_fail_alone(database, monkeypatch):
    ids = await _messages(database, 5)
    opened = []
    transaction = database.transaction

    def counting(*args, **kwargs):
        opened.append(1)
        return transaction(*args, **kwargs)

    monkeypatch.setattr(database, "transaction", counting)
    deliver = mail.deliver

    async def flaky(settings, item):
        if item.id == ids[2]:
            raise ConnectionError("SMTP refused this one")
        await deliver(settings, item)

    monkeypatch.setattr(mail, "deliver", flaky)
    results = await asyncio.gather(
        *(jobs.run_job(database, mail.JOB, {"id": i}) for i in ids), return_exceptions=True
    )
    assert len(opened) == 1
    assert [type(r).__name__ if r else None for r in results] == [
        None,
        None,
        "ConnectionError",
        None,
        None,
    ]
    statuses = await _statuses(database, ids)
    assert statuses[ids[2]] == OutboxStatus.pending
    assert [statuses[i] for i in ids if i != ids[2]] == [OutboxStatus.sent] * 4
    # Its retry sends it, alone.
    monkeypatch.setattr(mail, "deliver", deliver)
    await jobs.run_job(database, mail.JOB, {"id": ids[2]})
    assert (await _statuses(database, [ids[2]]))[ids[2]] == OutboxStatus.sent
    assert _mails(database) == 5


async def test_a_message_queued_twice_is_sent_once(database):
    (only,) = await _messages(database, 1)
    await asyncio.gather(*(jobs.run_job(database, mail.JOB, {"id": only}) for _ in range(3)))
    await jobs.run_job(database, mail.JOB, {"id": only})
    assert (await _statuses(database, [only]))[only] == OutboxStatus.sent
    assert _mails(database) == 1


async def test_more_jobs_than_a_batch_take_several_transactions(database, monkeypatch):
    ids = await _messages(database, jobs.BATCH_SIZE + 3)
    opened = []
    transaction = database.transaction

    def counting(*args, **kwargs):
        opened.append(1)
        return transaction(*args, **kwargs)

    monkeypatch.setattr(database, "transaction", counting)
    await asyncio.gather(*(jobs.run_job(database, mail.JOB, {"id": i}) for i in ids))
    assert len(opened) == 2
    assert set((await _statuses(database, ids)).values()) == {OutboxStatus.sent}
