"""Mail delivery, the `core.send_mail` job: one outbox message by SMTP, or as a .eml file."""

import asyncio
import os
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.db import settings_of
from core.models import OutboxMessage, OutboxStatus
from core.settings import Settings

JOB = "core.send_mail"


def build_message(settings: Settings, item: OutboxMessage) -> EmailMessage:
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


async def send_mail(session: AsyncSession, payload: dict) -> None:
    """Job `core.send_mail` {"id": outbox id}: a message already sent is not sent again.

    The row is locked first (PostgreSQL), so a second run of the same job (its worker seemed
    dead) waits and then finds it sent; a failure raises, and the queue retries it."""
    query = select(OutboxMessage).where(OutboxMessage.id == int(payload["id"]))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    item = await session.scalar(query)
    if item is None or item.status != OutboxStatus.pending:
        return
    item.attempts += 1
    await deliver(settings_of(session), item)
    item.status = OutboxStatus.sent
    item.sent_at = utcnow()
    item.last_error = None
    await session.flush()
