"""Bulk import of needs from CSV or XLSX: template, row-by-row preview, all-or-nothing insert."""

import asyncio
import csv
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.db import Database
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import _
from core.models import User
from recovery.models import Area, Category, ImportJob, ImportStatus, Need, NeedStatus, Priority
from recovery.schemas import NeedCreate
from recovery.service.access import ensure_official
from recovery.service.incidents import list_areas
from recovery.service.lookup import get_incident

log = logging.getLogger("commons.imports")

COLUMNS = (
    "title",
    "category",
    "quantity",
    "unit",
    "priority",
    "needed_by",
    "area",
    "lat",
    "lon",
    "description",
)
REQUIRED_COLUMNS = {"title", "category", "quantity", "unit", "priority", "needed_by"}
MAX_ROWS = 50_000
CHUNK = 1_000
EXAMPLE = (
    "Family tents",
    "shelter",
    40,
    "tents",
    "high",
    "2026-12-31",
    "",
    "30.5928",
    "114.3055",
    "For families whose houses collapsed",
)

# Live progress of running imports in this process; the job row holds the lasting state.
_progress: dict[int, int] = {}


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "needs"
    sheet.append(list(COLUMNS))
    sheet.append(list(EXAMPLE))
    for column, values in (("B", Category), ("E", Priority)):
        rule = DataValidation(
            type="list", formula1='"' + ",".join(v.value for v in values) + '"', allow_blank=False
        )
        sheet.add_data_validation(rule)
        rule.add(f"{column}2:{column}{MAX_ROWS + 1}")
    for letter, width in zip("ABCDEFGHIJ", (30, 18, 10, 12, 10, 12, 20, 10, 10, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, {column: value}) for every non-blank row."""
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            raw = list(workbook.worksheets[0].iter_rows(values_only=True))
            workbook.close()
        elif name.endswith(".csv"):
            text = data.decode("utf-8-sig")
            raw = list(csv.reader(io.StringIO(text)))
        else:
            raise InvalidInput(
                _("Upload a .csv or .xlsx file."), fields={"file": _("not a CSV or XLSX file")}
            )
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, csv.Error) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            _("The file could not be read as a spreadsheet."), fields={"file": _("unreadable")}
        ) from exc
    if not raw:
        raise InvalidInput(_("The file is empty."), fields={"file": _("empty")})
    header = [str(h).strip().lower() if h is not None else "" for h in raw[0]]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise InvalidInput(
            _("Columns missing from the first row: %(names)s.") % {"names": ", ".join(missing)},
            fields={"file": _("missing columns: %(names)s") % {"names": ", ".join(missing)}},
        )
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        record = {
            key: _cell(values[i]) if i < len(values) else None
            for i, key in enumerate(header)
            if key in COLUMNS
        }
        if any(v is not None for v in record.values()):
            rows.append((number, record))
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            _("A file may hold at most %(count)s rows.") % {"count": MAX_ROWS},
            fields={"file": _("too many rows")},
        )
    if not rows:
        raise InvalidInput(_("The file has no rows of needs."), fields={"file": _("no rows")})
    return rows


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], incident_id: int, areas: list[Area]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The valid rows ready to insert, and every problem as {row, column, message}."""
    by_name: dict[str, list[Area]] = {}
    for area in areas:
        by_name.setdefault(area.name.strip().lower(), []).append(area)
    by_id = {area.id: area for area in areas}
    valid: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, record in rows:
        problems: dict[str, str] = {}
        area = None
        area_value = record.get("area")
        if area_value is not None:
            key = str(area_value).strip()
            if key.isdigit() and int(key) in by_id:
                area = by_id[int(key)]
            else:
                found = by_name.get(key.lower(), [])
                if len(found) == 1:
                    area = found[0]
                elif found:
                    problems["area"] = _("several areas have this name; use the area's number")
                else:
                    problems["area"] = _("no such area in this incident")
        data = {k: v for k, v in record.items() if k != "area" and v is not None}
        data["incident_id"] = incident_id
        data["area_id"] = area.id if area else None
        try:
            need = NeedCreate.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else "row"
                column = "area" if column == "area_id" else column
                message = _("required") if err["type"] == "missing" else err["msg"]
                problems.setdefault(column, message.removeprefix("Value error, "))
            need = None
        if need is not None and (need.lat is None) != (need.lon is None):
            column = "lat" if need.lat is None else "lon"
            problems.setdefault(column, _("give both latitude and longitude, or neither"))
        elif need is not None and need.lat is None and area_value is None:
            for column in ("lat", "lon"):
                problems.setdefault(column, _("required unless an area is given"))
        if problems:
            errors.extend(
                {"row": number, "column": column, "message": message}
                for column, message in problems.items()
            )
            continue
        assert need is not None
        valid.append(
            {
                "row": number,
                "area_id": need.area_id,
                "title": need.title,
                "category": need.category.value,
                "quantity": need.quantity,
                "unit": need.unit,
                "priority": need.priority.value,
                "needed_by": need.needed_by.isoformat(),
                "lat": need.lat if need.lat is not None else area.lat,
                "lon": need.lon if need.lon is not None else area.lon,
                "description": need.description,
            }
        )
    return valid, errors


async def preview(
    session: AsyncSession, *, incident_id: int, filename: str, data: bytes, actor: User
) -> ImportJob:
    """Read and check the whole file; nothing but the job itself is written."""
    await ensure_official(session, actor)
    await get_incident(session, incident_id)
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


async def get_job(session: AsyncSession, job_id: int) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_("No such import."), fields={"import_id": _("not found")})
    return job


def processed(job: ImportJob) -> int:
    """Rows written so far: live while this process runs the import, else what the row says."""
    return max(_progress.get(job.id, 0), job.processed_rows)


async def start(session: AsyncSession, job_id: int, *, actor: User) -> ImportJob:
    """Claim a ready job for importing, atomically, so a double submit cannot import twice."""
    await ensure_official(session, actor)
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


async def run(database: Database, job_id: int, actor_id: int | None) -> None:
    """Run a claimed import in its own transaction: every need is written, or none is."""
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
