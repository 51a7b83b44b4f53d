"""Time a 10,000-row XLSX import of needs: read and check the file, then the all-or-nothing write.

Runs against a fresh SQLite file, or against DATABASE_URL when it names PostgreSQL
(`DATABASE_URL=postgresql+asyncpg://... python bench/import_needs.py`; its schema is migrated).
"""

import asyncio
import io
import os
import tempfile
import time
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy import func, select

from core.db import Database
from core.migrate import upgrade
from core.models import Organization, OrgKind, OrgStatus, Role, User
from core.settings import Settings
from recovery import imports
from recovery.models import Incident, Need

ROWS = 10_000
CATEGORIES = ("shelter", "food", "water_sanitation", "health", "logistics")
PRIORITIES = ("critical", "high", "medium", "low")


def spreadsheet() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("needs")
    sheet.append(list(imports.COLUMNS))
    soon = date.today() + timedelta(days=14)
    for i in range(ROWS):
        sheet.append(
            [
                f"Need {i}",
                CATEGORIES[i % len(CATEGORIES)],
                1 + i % 500,
                "units",
                PRIORITIES[i % len(PRIORITIES)],
                soon + timedelta(days=i % 30),
                None,
                30.5 + (i % 100) / 1000,
                114.2 + (i % 100) / 1000,
                "Imported by the benchmark",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await asyncio.to_thread(upgrade, url)
    database = Database(Settings(database_url=url))
    async with database.transaction() as session:
        org = Organization(
            name=f"Bench Office {time.time()}", kind=OrgKind.government, status=OrgStatus.verified
        )
        session.add(org)
        await session.flush()
        user = User(
            email=f"bench{time.time()}@example.org",
            name="Bench",
            password_hash="x",
            role=Role.official,
            organization_id=org.id,
        )
        incident = Incident(name="Bench incident", started_on=date.today())
        session.add_all([user, incident])
        await session.flush()
    data = spreadsheet()
    started = time.perf_counter()
    async with database.transaction() as session:
        job = await imports.preview(
            session, incident_id=incident.id, filename="bench.xlsx", data=data, actor=user
        )
        await imports.start(session, job.id, actor=user)
    checked = time.perf_counter()
    await imports.run(database, job.id, user.id)
    finished = time.perf_counter()
    async with database.transaction() as session:
        count = await session.scalar(
            select(func.count()).select_from(Need).where(Need.import_job_id == job.id)
        )
    await database.dispose()
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: {count} needs from a {ROWS}-row XLSX in {finished - started:.2f} s "
        f"(read and check {checked - started:.2f} s, write {finished - checked:.2f} s)"
    )
    if count != ROWS:
        raise SystemExit("not every row was imported")


if __name__ == "__main__":
    asyncio.run(main())
