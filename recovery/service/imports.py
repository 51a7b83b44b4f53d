"""Bulk import of needs: a checked spreadsheet becomes a job, run all-or-nothing, with progress."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.db import Database
from core.errors import Conflict, NotFound
from core.i18n import _
from core.models import User
from recovery.models import ImportJob, ImportStatus, Need, NeedStatus
from recovery.schemas import NeedImport
from recovery.service.access import ensure_can_act
from recovery.service.incidents import list_areas
from recovery.service.spreadsheets import read_rows, validate_rows

log = logging.getLogger("commons.imports")

# Live progress of running imports in this process; the job row holds the lasting state.
_progress: dict[int, int] = {}
# Rows inserted per statement; between chunks, progress is reported and polls are answered.
CHUNK = 1_000


async def preview(
    session: AsyncSession, *, incident_id: int, filename: str, data: bytes, actor: User
) -> ImportJob:
    """Read and check the whole file; nothing but the job itself is written."""
    await ensure_can_act(session, actor, incident_id)
    areas = await list_areas(session, incident_id)

    def check() -> tuple[list[dict], list[dict], int]:
        rows = read_rows(filename, data)
        valid, errors = validate_rows(rows, incident_id, areas)
        return valid, errors, len(rows)

    valid, errors, total = await asyncio.to_thread(check)
    job = ImportJob(
        incident_id=incident_id,
        filename=filename[-200:],
        status=ImportStatus.invalid if errors else ImportStatus.ready,
        total_rows=total,
        rows=None if errors else valid,
        errors=errors,
        created_by_id=actor.id,
    )
    session.add(job)
    await session.flush()
    return job


async def preview_upload(session: AsyncSession, upload: NeedImport, *, actor: User) -> ImportJob:
    """Check an uploaded spreadsheet (see `preview`)."""
    return await preview(
        session,
        incident_id=upload.incident_id,
        filename=upload.file.filename,
        data=await upload.file.read(),
        actor=actor,
    )


async def get_job(session: AsyncSession, job_id: int) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_("No such import."), fields={"import_id": _("not found")})
    return job


async def official_job(session: AsyncSession, job_id: int, *, actor: User) -> ImportJob:
    """An import job, for the officials acting on its incident."""
    job = await get_job(session, job_id)
    await ensure_can_act(session, actor, job.incident_id)
    return job


def processed(job: ImportJob) -> int:
    """Rows written so far: live while this process runs the import, else what the row says."""
    return max(_progress.get(job.id, 0), job.processed_rows)


def job_view(job: ImportJob) -> dict:
    """A job with its live progress, as the API shows it."""
    return job.model_dump() | {"processed_rows": processed(job)}


async def start(session: AsyncSession, job_id: int, *, actor: User) -> ImportJob:
    """Claim a ready job for importing, atomically, so a double submit cannot import twice."""
    await ensure_can_act(session, actor, (await get_job(session, job_id)).incident_id)
    claimed = await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.ready)
        .values(status=ImportStatus.importing)
        .returning(ImportJob.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.scalar_one_or_none() is None:
        job = await get_job(session, job_id)
        raise Conflict(_("This import is not waiting to run."), fields={"status": job.status})
    return await session.get(ImportJob, job_id, populate_existing=True)


async def write_needs(
    session: AsyncSession,
    job: ImportJob,
    actor_id: int | None,
    progress: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Insert every row in chunks inside the caller's transaction; one audit entry in all."""
    rows = job.rows or []
    now = utcnow()
    _progress[job.id] = 0
    for start_at in range(0, len(rows), CHUNK):
        chunk = [
            {
                "incident_id": job.incident_id,
                "area_id": row["area_id"],
                "title": row["title"],
                "category": row["category"],
                "quantity": row["quantity"],
                "quantity_met": 0,
                "unit": row["unit"],
                "priority": row["priority"],
                "needed_by": date.fromisoformat(row["needed_by"]),
                "lat": row["lat"],
                "lon": row["lon"],
                "description": row["description"],
                "status": NeedStatus.open.value,
                "created_by_id": actor_id,
                "import_job_id": job.id,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows[start_at : start_at + CHUNK]
        ]
        await session.execute(insert(Need), chunk)
        _progress[job.id] = start_at + len(chunk)
        if progress is not None:
            await progress(start_at + len(chunk))
        # Let status polls be answered between chunks.
        await asyncio.sleep(0)
    first, last, count = (
        await session.execute(
            select(func.min(Need.id), func.max(Need.id), func.count()).where(
                Need.import_job_id == job.id
            )
        )
    ).one()
    job.status = ImportStatus.done
    job.processed_rows = job.created_count = count
    job.finished_at = utcnow()
    job.rows = None
    await session.flush()
    await audit.record(
        session,
        actor=actor_id,
        action="need.import",
        obj=job,
        after={
            "filename": job.filename,
            "incident_id": job.incident_id,
            "created": count,
            "first_need_id": first,
            "last_need_id": last,
        },
    )
    return count


def _progress_writer(database: Database, job_id: int) -> Callable[[int], Awaitable[None]] | None:
    """On PostgreSQL, progress is also committed to the job row as it goes, so a status poll
    answered by another worker process sees it. SQLite has one writer at a time (the import
    itself), so there the progress stays in this process."""
    if database.engine.dialect.name == "sqlite":
        return None

    async def write(count: int) -> None:
        async with database.transaction() as session:
            await session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.importing)
                .values(processed_rows=count)
            )

    return write


async def run_now(session: AsyncSession, job_id: int, *, actor: User) -> ImportJob:
    """Claim and import in the caller's transaction (a request's, committed by its owner), for
    a client that waits for the result: every need is written, or none is.

    Progress is not committed per chunk here: the claim holds the job's row until the end, and
    nothing but this process's polls could see it anyway."""
    job = await start(session, job_id, actor=actor)
    try:
        await write_needs(session, job, actor.id)
    finally:
        _progress.pop(job_id, None)
    return job


async def run(database: Database, job_id: int, actor_id: int | None) -> None:
    """Run a claimed import in the background, in its own transaction: every need is written,
    or none is, and a failure is recorded on the job."""
    try:
        async with database.transaction() as session:
            job = await get_job(session, job_id)
            if job.status != ImportStatus.importing:
                return
            await write_needs(session, job, actor_id, progress=_progress_writer(database, job_id))
    except Exception as exc:  # the failure is recorded on the job for the official to see
        log.exception("import %s failed", job_id)
        async with database.transaction() as session:
            job = await get_job(session, job_id)
            job.status = ImportStatus.failed
            job.message = f"{type(exc).__name__}: {exc}"[:2000]
            job.finished_at = utcnow()
            await audit.record(
                session,
                actor=actor_id,
                action="need.import_failed",
                obj=job,
                after={"message": job.message},
            )
    finally:
        _progress.pop(job_id, None)
