"""The outbox: written in the change's transaction, delivered by a queued job, retried."""

from datetime import timedelta
from email import message_from_bytes

import aiosmtplib
import pytest
from sqlalchemy import func, select, text, update

from core import jobs, worker
from core.app import open_database
from core.clock import utcnow
from core.models import OutboxMessage, QueuedJob, Role, User
from volunteers import service
from volunteers.models import Shift, Signup

pytestmark = pytest.mark.asyncio


async def test_rolled_back_signup_leaves_no_mail(app, shifts, volunteer):
    shift = await shifts.make(capacity=1)
    database = app.state.database
    async with database.session() as session:
        await service.sign_up(session, user=volunteer[0], shift_id=shift["id"])
        # The request queues the mail as a job; the worker composes it into the outbox.
        assert await jobs.queue_depth(session) == 1
        await session.rollback()
    await worker.drain(database)
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(Signup)) == 0
        assert (await session.get(Shift, shift["id"])).filled == 0


async def test_worker_writes_mail_files_without_smtp(app, settings, client, shifts, volunteer):
    shift = await shifts.make(capacity=1, title="Water distribution")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    await worker.drain(app.state.database)
    files = list(settings.mail_dir.glob("*.eml"))
    assert len(files) == 1 and files[0].name.endswith("volunteers.confirmed.eml")
    mail = message_from_bytes(files[0].read_bytes())
    assert mail["To"] == volunteer[0].email
    assert "Water distribution" in mail["Subject"]
    async with app.state.database.session() as session:
        row = await session.scalar(select(OutboxMessage))
        assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
        assert await jobs.queue_depth(session) == 0
    # Running the same job again (as after a worker that seemed dead) sends nothing twice.
    async with app.state.database.transaction() as session:
        await jobs.enqueue(session, "core.send_mail", {"id": row.id})
    await worker.drain(app.state.database)
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1
    async with app.state.database.session() as session:
        assert (await session.scalar(select(OutboxMessage))).attempts == 1


async def test_failed_smtp_delivery_is_retried_by_the_queue(
    app, settings, client, shifts, volunteer, monkeypatch
):
    shift = await shifts.make(capacity=1)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    smtp = settings.model_copy(update={"smtp_host": "mail.invalid", "smtp_port": 2525})
    database = open_database(smtp)
    sent = []

    async def failing(message, **kwargs):
        raise aiosmtplib.SMTPConnectError("connection refused")

    try:
        monkeypatch.setattr(aiosmtplib, "send", failing)
        await worker.drain(database)
        async with database.session() as session:
            row = await session.scalar(select(OutboxMessage))
            assert row.status == "pending"
            # Still queued, for a later try after the back-off.
            assert await jobs.queue_depth(session) == 1
        await worker.drain(database)

        async def working(message, **kwargs):
            sent.append((message, kwargs))

        monkeypatch.setattr(aiosmtplib, "send", working)
        await _due_now(database)
        await worker.drain(database)
        assert sent[0][1]["hostname"] == "mail.invalid" and sent[0][1]["port"] == 2525
        assert sent[0][0]["To"] == volunteer[0].email
        async with database.session() as session:
            row = await session.scalar(select(OutboxMessage))
            assert row.status == "sent" and await jobs.queue_depth(session) == 0
    finally:
        await database.dispose()


async def _due_now(database):
    """Make every queued job due now (the back-off elapsed), on either engine."""
    async with database.transaction() as session:
        if database.settings.is_sqlite:
            await session.execute(update(QueuedJob).values(run_after=utcnow()))
        else:
            await session.execute(text("UPDATE pgqueuer SET execute_after = now()"))


async def test_backoff_grows_and_is_capped():
    assert jobs.backoff(1) == timedelta(seconds=30)
    assert jobs.backoff(3) == timedelta(minutes=2)
    assert jobs.backoff(40) == jobs.MAX_DELAY


async def test_reminders_are_queued_once_per_signup(app, client, shifts, factory):
    soon = await shifts.make(days=0.5, capacity=2)
    later = await shifts.make(days=3, capacity=2, title="Later")
    people = [await factory.user(Role.volunteer) for _ in range(2)]
    for person in people:
        headers = await factory.token(person)
        await client.post(f"/api/v1/shifts/{soon['id']}/signup", headers=headers)
        await client.post(f"/api/v1/shifts/{later['id']}/signup", headers=headers)
    database = app.state.database
    async with database.transaction() as session:
        assert await service.queue_reminders(session) == 2
    async with database.transaction() as session:
        assert await service.queue_reminders(session) == 0
    await worker.drain(database)
    async with database.session() as session:
        reminders = await session.scalar(
            select(func.count()).where(OutboxMessage.kind == "volunteers.reminder")
        )
        assert reminders == 2


async def test_mail_is_written_in_the_recipients_language(app, client, shifts, volunteer, db):
    await db.execute(update(User).where(User.id == volunteer[0].id).values(locale="zh_Hans"))
    await db.commit()
    shift = await shifts.make(capacity=1, title="Kitchen")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    await worker.drain(app.state.database)
    message = await db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == volunteer[0].id))
    assert message.subject == "报名成功：Kitchen"
    assert "感谢你的报名" in message.body
    await db.rollback()


async def test_worker_run_once_entry_point(settings, client, shifts, volunteer):
    shift = await shifts.make(capacity=1)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    await worker.run(open_database(settings), once=True)
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1


async def test_a_malformed_message_fails_alone(app, settings):
    from core import notifications

    async with app.state.database.transaction() as session:
        await notifications.queue(
            session, kind="test", to_email="bad\nheader@example.org", subject="s", body="b"
        )
        await notifications.queue(
            session, kind="test", to_email="good@example.org", subject="s", body="b"
        )
    await worker.drain(app.state.database)
    async with app.state.database.session() as session:
        statuses = dict(
            (await session.execute(select(OutboxMessage.to_email, OutboxMessage.status))).all()
        )
    assert statuses == {"bad\nheader@example.org": "pending", "good@example.org": "sent"}


async def test_sign_up_leaves_the_mail_to_the_worker_and_a_deleted_volunteer_gets_none(
    app, client, shifts, volunteer, factory
):
    shift = await shifts.make(capacity=1, title="Sandbags")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    other = await factory.user(Role.volunteer)
    other_headers = await factory.token(other)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=other_headers)
    database = app.state.database
    async with database.session() as session:
        # The requests wrote no mail: the worker composes it.
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The second volunteer deletes the account before the worker runs: no mail for them.
    assert (await client.delete("/api/v1/volunteers/me", headers=other_headers)).status_code == 204
    await worker.drain(database)
    async with database.session() as session:
        rows = (await session.execute(select(OutboxMessage.user_id, OutboxMessage.kind))).all()
    assert rows == [(volunteer[0].id, "volunteers.confirmed")]
