"""The mail worker (`commons worker`): delivers the outbox by SMTP or as .eml, queues reminders."""

import asyncio
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
from sqlalchemy import select, update

from core.clock import utcnow
from core.db import Database
from core.models import OutboxMessage, OutboxStatus
from core.settings import Settings
from volunteers.service.reminders import queue_reminders

log = logging.getLogger("commons.worker")

BATCH = 50
# A claimed message is due again after this long, so a worker that dies mid-send loses nothing.
LEASE = timedelta(minutes=5)
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
# After this many attempts a message is marked failed and kept for an operator to look at.
MAX_ATTEMPTS = 20
POLL_SECONDS = 5.0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 6 hours."""
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    kind: str
    to_email: str
    subject: str
    body: str
    created_at: datetime


def build_message(settings: Settings, item: Claimed) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = item.to_email
    message["Subject"] = item.subject
    message["Date"] = format_datetime(item.created_at)
    # A stable id lets a mail server drop the duplicate if a send is retried after a crash.
    domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"outbox-{item.id}", domain=domain)
    message["X-Commons-Kind"] = item.kind
    message.set_content(item.body)
    return message


async def deliver(settings: Settings, item: Claimed) -> None:
    """Send by SMTP when a host is configured, else write a .eml file a person can open."""
    message = build_message(settings, item)
    if settings.smtp_host:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            # Port 465 speaks TLS from the first byte; other ports upgrade with STARTTLS.
            use_tls=settings.smtp_port == 465,
            start_tls=settings.smtp_starttls and settings.smtp_port != 465,
            timeout=30,
        )
        return
    await asyncio.to_thread(_write_eml, Path(settings.mail_dir), item, bytes(message))


def _write_eml(folder: Path, item: Claimed, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{item.id:08d}-{item.kind}.eml"
    # Write then rename, so a reader never sees half a mail and a retry simply overwrites.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


async def claim(database: Database, *, now: datetime | None = None) -> list[Claimed]:
    """Take due messages for this worker: leased by pushing next_attempt_at forward.

    PostgreSQL skips rows another worker has locked; on SQLite the claim is a conditional
    UPDATE inside BEGIN IMMEDIATE, so only one worker can move a row's lease.
    """
    now = now or utcnow()
    claimed: list[Claimed] = []
    async with database.transaction() as session:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.pending,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(BATCH)
        )
        if not database.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        for row in (await session.scalars(query)).all():
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    OutboxMessage.status == OutboxStatus.pending,
                    OutboxMessage.attempts == row.attempts,
                )
                .values(attempts=row.attempts + 1, next_attempt_at=now + LEASE)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            if result.first() is None:
                continue
            claimed.append(
                Claimed(
                    row.id,
                    row.attempts + 1,
                    row.kind,
                    row.to_email,
                    row.subject,
                    row.body,
                    row.created_at,
                )
            )
    return claimed


async def _finish(database: Database, item: Claimed, error: str | None) -> None:
    now = utcnow()
    if error is None:
        values = {"status": OutboxStatus.sent, "sent_at": now, "last_error": None}
    elif item.attempts >= MAX_ATTEMPTS:
        values = {"status": OutboxStatus.failed, "last_error": error}
    else:
        values = {"next_attempt_at": now + backoff(item.attempts), "last_error": error}
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == item.id,
                OutboxMessage.attempts == item.attempts,
                OutboxMessage.status == OutboxStatus.pending,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def deliver_due(database: Database, settings: Settings) -> tuple[int, int]:
    """Deliver what is due now; returns (sent, failed attempts)."""
    sent = failed = 0
    while True:
        batch = await claim(database)
        if not batch:
            return sent, failed
        for item in batch:
            try:
                await deliver(settings, item)
            except Exception as exc:  # one bad message (or server) must not stop the others
                failed += 1
                log.warning("mail %s failed (attempt %s): %s", item.id, item.attempts, exc)
                await _finish(database, item, f"{type(exc).__name__}: {exc}"[:2000])
            else:
                sent += 1
                await _finish(database, item, None)


async def run_once(database: Database, settings: Settings) -> dict[str, int]:
    async with database.transaction() as session:
        reminders = await queue_reminders(session)
    sent, failed = await deliver_due(database, settings)
    return {"reminders": reminders, "sent": sent, "failed": failed}


async def run(database: Database, *, once: bool = False) -> None:
    """The worker loop; `once` processes what is due now and returns."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = database.settings
    try:
        while True:
            try:
                counts = await run_once(database, settings)
            except Exception:
                if once:
                    raise
                # A database outage must not end the worker; it tries again after a pause.
                log.exception("worker pass failed; retrying")
                await asyncio.sleep(POLL_SECONDS * 6)
                continue
            if any(counts.values()):
                log.info(
                    "reminders queued %(reminders)s, mails sent %(sent)s, failed %(failed)s",
                    counts,
                )
            if once:
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await database.dispose()
