"""Dashboard latency on SQLite with 100,000 needs and 1,000 projects: prints median and p95 ms.

Run with `make bench` or `.venv/bin/python bench/dashboard.py [--needs N] [--runs R]`.
"""

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from lxml import html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.app import create_app  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402
from recovery.models import Category, NeedStatus, Priority, TaskStatus  # noqa: E402


def seed(path: Path, needs: int, projects: int, tasks_per_project: int) -> None:
    """Bulk inserts straight through sqlite3: the app is what is measured, not the seeding."""
    rng = random.Random(4)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    today = date.today()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    orgs = [(i, f"Organization {i}", "ngo", "verified", now, now) for i in range(1, 51)]
    db.executemany(
        "INSERT INTO organizations (id, name, kind, status, description, verified_at, created_at)"
        " VALUES (?, ?, ?, ?, '', ?, ?)",
        orgs,
    )
    db.execute(
        "INSERT INTO incidents (id, name, started_on, description, status, time_zone, exercise,"
        " created_at) VALUES (1, 'Riverside floods', ?, '', 'recovery', 'Asia/Shanghai', 0, ?)",
        (today - timedelta(days=60), now),
    )
    db.executemany(
        "INSERT INTO areas (id, incident_id, parent_id, name, level, lat, lon, created_at)"
        " VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
        [
            (
                i,
                None if i <= 5 else (i % 5) + 1,
                f"Area {i}",
                "county" if i <= 5 else "township",
                30 + rng.random(),
                114 + rng.random(),
                now,
            )
            for i in range(1, 101)
        ],
    )
    categories = list(Category)
    priorities = list(Priority)
    statuses = list(NeedStatus)
    rows = []
    for i in range(1, needs + 1):
        quantity = rng.randint(1, 500)
        status = rng.choice(statuses)
        met = {"open": 0, "met": quantity, "partially_met": quantity // 2}.get(status, 0)
        rows.append(
            (
                i,
                rng.randint(1, 100),
                f"Need {i}",
                rng.choice(categories).value,
                quantity,
                "items",
                met,
                rng.choice(priorities).value,
                today + timedelta(days=rng.randint(-30, 60)),
                30 + rng.random(),
                114 + rng.random(),
                status.value,
                now,
                now,
            )
        )
    db.executemany(
        "INSERT INTO needs (id, incident_id, area_id, title, category, quantity, unit,"
        " quantity_met, priority, needed_by, lat, lon, description, status, created_at,"
        " updated_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
        rows,
    )
    db.executemany(
        "INSERT INTO projects (id, incident_id, area_id, title, description, lead_org_id,"
        " budget_minor, currency, starts_on, due_on, progress, created_at)"
        " VALUES (?, 1, ?, ?, '', ?, 100000, 'CNY', ?, ?, ?, ?)",
        [
            (
                p,
                rng.randint(1, 100),
                f"Project {p}",
                rng.randint(1, 50),
                today - timedelta(days=30),
                today + timedelta(days=rng.randint(-20, 120)),
                rng.randint(0, 100),
                now,
            )
            for p in range(1, projects + 1)
        ],
    )
    tasks = []
    for p in range(1, projects + 1):
        for _t in range(tasks_per_project):
            status = rng.choice(list(TaskStatus))
            tasks.append(
                (
                    p,
                    f"Task of {p}",
                    rng.randint(1, 50),
                    today + timedelta(days=rng.randint(-20, 60)),
                    status.value,
                    100 if status == TaskStatus.done else rng.randint(0, 90),
                    now,
                    now,
                )
            )
    db.executemany(
        "INSERT INTO tasks (project_id, title, description, responsible_org_id, due_on, status,"
        " progress, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?)",
        tasks,
    )
    db.executemany(
        "INSERT INTO reports (incident_id, title, body_markdown, status, published_at,"
        " created_at, updated_at) VALUES (1, ?, '', 'published', ?, ?, ?)",
        [(f"Week {w} report", now, now, now) for w in range(1, 21)],
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def wire_bytes(client: httpx.AsyncClient, url: str) -> int:
    """Bytes as sent (gzip), before httpx decompresses them."""
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        response.raise_for_status()
        return len(b"".join([chunk async for chunk in response.aiter_raw()]))


async def page_bytes(client: httpx.AsyncClient, path: str) -> tuple[int, int]:
    """The dashboard HTML, and the whole page: HTML, CSS, scripts, images (Leaflet excluded)."""
    html_size = await wire_bytes(client, path)
    tree = html.fromstring((await client.get(path)).text)
    urls = [link.get("href") for link in tree.iter("link") if link.get("rel") == "stylesheet"]
    urls += [script.get("src") for script in tree.iter("script") if script.get("src")]
    urls += [img.get("src") for img in tree.iter("img")]
    total = html_size
    for url in urls:
        if "vendor/leaflet" not in url:
            total += await wire_bytes(client, url)
    return html_size, total


async def measure(url: str, runs: int) -> tuple[list[float], tuple[int, int]]:
    app = create_app(Settings(database_url=url, secret_key="bench"))
    timings = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            sizes = await page_bytes(client, "/incidents/1")
            for index in range(runs + 5):
                started = time.perf_counter()
                response = await client.get("/incidents/1", headers={"Accept-Encoding": "gzip"})
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if index >= 5:  # the first requests warm caches and compile templates
                    timings.append(elapsed)
    return timings, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--tasks-per-project", type=int, default=5)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        seed(path, args.needs, args.projects, args.tasks_per_project)
        print(
            f"seeded {args.needs:,} needs, {args.projects:,} projects, "
            f"{args.projects * args.tasks_per_project:,} tasks "
            f"in {time.perf_counter() - started:.1f} s"
        )
        timings, (html_size, page_size) = asyncio.run(measure(url, args.runs))
        timings.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        print(
            f"dashboard /incidents/1 over {len(timings)} runs: "
            f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms "
            f"(budget: median < 50 ms)"
        )
        print(
            f"dashboard bytes (gzip): HTML {html_size:,} (budget 14,336), whole page "
            f"{page_size:,} (budget 61,440; Leaflet and tiles excluded)"
        )


if __name__ == "__main__":
    main()
