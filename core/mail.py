"""Mail delivery, the `core.send_mail` job: one outbox message by SMTP, or as a .eml file."""

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import settings_of
from core.jobs import batched
from core.models import OutboxMessage, OutboxStatus
from core.settings import Settings

# The mail libraries are loaded by the first message built: web workers only queue mail.
if TYPE_CHECKING:
    from email.message import EmailMessage

JOB = "core.send_mail"


def build_message(settings: Settings, item: OutboxMessage) -> "EmailMessage":
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

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


async def deliver(settings: Settings, item: OutboxMessage) -> None:
    """Send by SMTP when a host is configured, else write a .eml file to the mail folder."""
    message = build_message(settings, item)
    if settings.smtp_host:
        import aiosmtplib

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


def _write_eml(folder: Path, item: OutboxMessage, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{item.id:08d}-{item.kind}.eml"
    # Write then rename, so a reader never sees half a mail and a retry simply overwrites.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


@batched
async def send_mail(session: AsyncSession, payloads: list[dict]) -> list[Exception | None]:
    """Job `core.send_mail` {"id": outbox id}, batched (core.jobs.batched): the messages of
    the jobs a worker runs at once are locked in one statement (in id order, so two workers
    never deadlock), each sent unless it was sent already, and marked sent in the same
    transaction. A second run of a job (its worker seemed dead) waits for the lock and then
    finds its message sent; a message that fails to send fails only its own job, which the
    queue retries."""
    ids = [int(payload["id"]) for payload in payloads]
    query = select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    items = {item.id: item for item in await session.scalars(query)}
    settings = settings_of(session)
    results: list[Exception | None] = []
    for message_id in ids:
        item = items.get(message_id)
        if item is None or item.status != OutboxStatus.pending:
            results.append(None)
            continue
        try:
            await deliver(settings, item)
        except Exception as exc:
            results.append(exc)
            continue
        item.attempts += 1
        item.status = OutboxStatus.sent
        item.sent_at = utcnow()
        item.last_error = None
        results.append(None)
    await session.flush()
    return results
