"""Load bench: the public pages, lists and sign-ups under wrk, as ratios to a bare Fortunes app.

    python bench/load.py [--database-url URL] [--size full|tiny] [--duration S] [--rounds N]

Seeds 100,000 needs, 1,000 projects × 5 tasks and 200 shifts into a throwaway database
(PostgreSQL by default: a database named after the URL's plus "_load" is created on that
server and dropped afterwards; a `sqlite...` URL uses a temporary file), starts
`commons serve --workers 2` and bench/fortunes_app.py (TechEmpower Fortunes on the same
database, the same uvicorn options) side by side, and drives each target with wrk at 100
connections in interleaved rounds. Before the first round each target gets an unmeasured wrk
run at the same concurrency (`warm_up`): the workers share one listening socket, so a single
request would warm one worker only. Prints requests/s, p50, p99 and errors per target with the
ratio to Fortunes (and, without a goal, the need page under Zipf-like ids: a surge's few pages
shared everywhere and its long tail), then the sign-up storm (500 at once into 20 shifts of 10,
with 1 and with 2 workers, each after an unmeasured warm-up storm of 40 on a shift of its own:
exactly 200 confirmed) and the web workers' resident memory after the load,
each with its goal's verdict.

`--reuse` keeps the seeded load database after the run and, when one of the same size is
there already (PostgreSQL: the "_load" database; SQLite: a file in the temporary folder named
after the size), measures it again instead of seeding anew (the targets only read, so
repeated runs see the same tables, already vacuumed). The sign-up storm always seeds its own.

Exits non-zero when a target errs or a sign-up check fails; the ratio targets are printed,
not enforced (it is a benchmark, not a test). `--size tiny` is CI's quick proof that it runs.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import signup_storm  # noqa: E402
from fortunes_app import FORTUNES  # noqa: E402

from core.migrate import upgrade  # noqa: E402
from core.models import Organization, User  # noqa: E402
from core.settings import Settings  # noqa: E402
from recovery.models import (  # noqa: E402
    Area,
    Category,
    Incident,
    Need,
    NeedStatus,
    Priority,
    Project,
    Report,
    Task,
    TaskStatus,
)
from volunteers.models import Shift  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/commons_bench"
SIZES = {
    "full": {
        "needs": 100_000,
        "projects": 1_000,
        "tasks": 5,
        "shifts": 200,
        "connections": 100,
        "duration": 10,
        "rounds": 3,
        "storm": (500, 20, 10),
    },
    "tiny": {
        "needs": 2_000,
        "projects": 20,
        "tasks": 5,
        "shifts": 20,
        "connections": 10,
        "duration": 1,
        "rounds": 1,
        "storm": (40, 4, 5),
    },
}
# target name → (path or path template with {id}, id range key, goal as a ratio to Fortunes)
TARGETS = {
    "dashboard": ("/incidents/1", None, 1.0),
    "need page": ("/needs/{id}", "needs", 0.5),
    "project page": ("/projects/{id}", "projects", 0.5),
    "needs list": ("/needs?incident_id=1", None, 0.4),
    "needs API": ("/api/v1/needs?limit=40", None, 0.4),
    "shifts list": ("/volunteers/shifts?incident_id=1", None, 0.4),
}
# Reported beside the targets, without a goal: the need page as a surge reaches it, a few
# pages shared everywhere and a long tail seen once (ids drawn Zipf-like, density ∝ 1/rank),
# where the "need page" target above draws every id alike (nearly every request a miss).
SHARED_TARGETS = {"need page, Zipf": ("/needs/{id}", "needs")}
P99_GOAL_MS = 250
# The issue's other goals: the web workers' memory, the sign-up storm, and the dashboard on
# SQLite (measured by the same bench run with a sqlite URL).
RSS_GOAL_MB = 120
SIGNUP_RATE_GOAL = 300
SIGNUP_P99_GOAL_MS = 1000
SQLITE_DASHBOARD_GOAL = 0.5
# Sign-ups sent to warm the workers up before the measured storm.
WARM_UP = 40
# Seconds of unmeasured wrk per target, to warm every worker up before the measured rounds.
WARM_UP_SECONDS = 2

# wrk's Lua hooks: a random id per request where the path has one, and a machine-readable
# summary (percentiles in microseconds) instead of parsing wrk's human output.
LUA = """
local template = "%s"
local top = %d
local skew = %d
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
end
function request()
  local path = template
  if top > 0 then
    local id = math.random(1, top)
    if skew == 1 then
      -- rank r with probability ∝ 1/r, the ranks spread over the ids by a prime stride
      id = (math.floor(top ^ math.random()) * 7919) %% top + 1
    end
    path = string.gsub(template, "{id}", tostring(id))
  end
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p99": %%d, "status": %%d,'
    .. ' "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases -------------------------------------------------------------------------------


async def pg_create(url: str, suffix: str) -> str:
    parsed = make_url(url)
    name = f"{parsed.database or 'commons'}_{suffix}"
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(False)


async def pg_load_url(url: str, reuse: bool) -> tuple[str, bool]:
    """The load database's URL, and whether it already holds a seeded data set to reuse."""
    if reuse:
        parsed = make_url(url)
        name = f"{parsed.database or 'commons'}_load"
        admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
        conn = await asyncpg.connect(admin)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        finally:
            await conn.close()
        if exists:
            return parsed.set(database=name).render_as_string(False), True
    return await pg_create(url, "load"), False


async def seeded(url: str, size: dict) -> bool:
    """Whether the database at `url` holds the data set of `size` (and the fortune table)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            needs = (await conn.execute(text("SELECT count(*) FROM needs"))).scalar_one()
            fortunes = (await conn.execute(text("SELECT count(*) FROM fortune"))).scalar_one()
    except Exception:  # noqa: BLE001 - a half-made or foreign database is simply not reused
        return False
    finally:
        await engine.dispose()
    return needs == size["needs"] and fortunes == len(FORTUNES)


async def pg_drop(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


def build_rows(size: dict) -> dict:
    """The data set, as rows per table (ids explicit so pages can be addressed at random)."""
    rng = random.Random(4)
    now = datetime.now(UTC).replace(microsecond=0)
    today = date.today()
    rows: dict[str, list[dict]] = {}
    rows["organizations"] = [
        {
            "id": i,
            "name": f"Organization {i}",
            "kind": "ngo",
            "status": "verified",
            "description": "",
            "verified_at": now,
            "created_at": now,
        }
        for i in range(1, 51)
    ]
    rows["users"] = [
        {
            "id": 1,
            "email": "organizer@load.test",
            "name": "Organizer",
            "password_hash": "!",
            "role": "ngo",
            "organization_id": 1,
            "created_at": now,
        }
    ]
    rows["incidents"] = [
        {
            "id": 1,
            "name": "Riverside floods",
            "started_on": today - timedelta(days=60),
            "description": "",
            "status": "recovery",
            "time_zone": "Asia/Shanghai",
            "created_at": now,
        }
    ]
    rows["areas"] = [
        {
            "id": i,
            "incident_id": 1,
            "parent_id": None if i <= 5 else (i % 5) + 1,
            "name": f"Area {i}",
            "level": "county" if i <= 5 else "township",
            "lat": 30 + rng.random(),
            "lon": 114 + rng.random(),
            "created_at": now,
        }
        for i in range(1, 101)
    ]
    categories, priorities, statuses = list(Category), list(Priority), list(NeedStatus)
    needs = []
    for i in range(1, size["needs"] + 1):
        quantity = rng.randint(1, 500)
        status = rng.choice(statuses)
        met = {"met": quantity, "partially_met": quantity // 2}.get(status, 0)
        needs.append(
            {
                "id": i,
                "incident_id": 1,
                "area_id": rng.randint(1, 100),
                "title": f"Need {i}",
                "category": rng.choice(categories).value,
                "quantity": quantity,
                "unit": "items",
                "quantity_met": met,
                "priority": rng.choice(priorities).value,
                "needed_by": today + timedelta(days=rng.randint(-30, 60)),
                "lat": 30 + rng.random(),
                "lon": 114 + rng.random(),
                "description": "",
                "status": status.value,
                "created_at": now,
                "updated_at": now,
            }
        )
    rows["needs"] = needs
    rows["projects"] = [
        {
            "id": p,
            "incident_id": 1,
            "area_id": rng.randint(1, 100),
            "title": f"Project {p}",
            "description": "",
            "lead_org_id": rng.randint(1, 50),
            "budget_minor": 100_000,
            "currency": "CNY",
            "starts_on": today - timedelta(days=30),
            "due_on": today + timedelta(days=rng.randint(-20, 120)),
            "progress": rng.randint(0, 100),
            "created_at": now,
        }
        for p in range(1, size["projects"] + 1)
    ]
    tasks = []
    for p in range(1, size["projects"] + 1):
        for _ in range(size["tasks"]):
            status = rng.choice(list(TaskStatus))
            tasks.append(
                {
                    "id": len(tasks) + 1,
                    "project_id": p,
                    "title": f"Task of {p}",
                    "description": "",
                    "responsible_org_id": rng.randint(1, 50),
                    "due_on": today + timedelta(days=rng.randint(-20, 60)),
                    "status": status.value,
                    "progress": 100 if status == TaskStatus.done else rng.randint(0, 90),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    rows["tasks"] = tasks
    rows["reports"] = [
        {
            "id": w,
            "incident_id": 1,
            "title": f"Week {w} report",
            "body_markdown": "",
            "status": "published",
            "published_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for w in range(1, 21)
    ]
    start = now + timedelta(days=1)
    rows["shifts"] = [
        {
            "id": s,
            "incident_id": 1,
            "organization_id": 1,
            "created_by_id": 1,
            "title": f"Shift {s}",
            "description": "",
            "location": "",
            "starts_at": start + timedelta(hours=6 * s),
            "ends_at": start + timedelta(hours=6 * s + 4),
            "lat": 30.5,
            "lon": 114.5,
            "capacity": 20,
            "filled": rng.randint(0, 20),
            "waitlist_seq": 0,
            "skills": [],
            "status": "open",
            "created_at": now,
            "updated_at": now,
        }
        for s in range(1, size["shifts"] + 1)
    ]
    return rows


TABLES = [
    ("organizations", Organization),
    ("users", User),
    ("incidents", Incident),
    ("areas", Area),
    ("needs", Need),
    ("projects", Project),
    ("tasks", Task),
    ("reports", Report),
    ("shifts", Shift),
]
COPIED = {"needs", "tasks"}  # the big tables go through COPY on PostgreSQL


async def seed(url: str, size: dict) -> None:
    """Bulk inserts (COPY on PostgreSQL): the app is what is measured, not the seeding."""
    rows = build_rows(size)
    engine = create_async_engine(url)
    pg = url.startswith("postgresql")
    async with engine.begin() as conn:
        for name, model in TABLES:
            table = model.__table__
            data = rows[name]
            if pg and name in COPIED:
                columns = list(data[0])
                raw = (await conn.get_raw_connection()).driver_connection
                await raw.copy_records_to_table(
                    name, records=[tuple(r[c] for c in columns) for r in data], columns=columns
                )
            else:
                for start in range(0, len(data), 5_000):
                    await conn.execute(insert(table), data[start : start + 5_000])
            if pg:
                await conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :top)"),
                    {"top": len(data)},
                )
        await conn.execute(text("CREATE TABLE fortune (id INTEGER PRIMARY KEY, message TEXT)"))
        await conn.execute(
            text("INSERT INTO fortune (id, message) VALUES (:id, :message)"),
            [{"id": i, "message": m} for i, m in enumerate(FORTUNES, 1)],
        )
    async with engine.connect() as conn:
        if pg:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    await engine.dispose()


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen
    log: Path

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (the supervisor's children, no helpers)."""
        found = []
        for child in _children(self.process.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"resource_tracker" in cmdline:
                continue
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found.append(int(line.split()[1]) / 1024)
        return found or [_rss(self.process.pid)]

    def worker_cpu_s(self) -> dict[int, float]:
        """CPU seconds (user + system) each worker process has used so far, by pid."""
        found = {}
        tick = os.sysconf("SC_CLK_TCK")
        for child in _children(self.process.pid):
            try:
                if b"resource_tracker" in Path(f"/proc/{child}/cmdline").read_bytes():
                    continue
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[child] = (int(fields[11]) + int(fields[12])) / tick
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(name: str, argv: list[str], env: dict, folder: Path) -> Server:
    port = free_port()
    log = folder / f"{name.replace(' ', '_')}.log"
    process = subprocess.Popen(
        [*argv, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text()[-3000:]
            raise SystemExit(f"{server.name} exited; see its log:\n{tail}")
        try:
            if httpx.get(server.base + path, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not start; see {server.log}")


def commons_argv(workers: int) -> list[str]:
    return [str(Path(sys.executable).with_name("commons")), "serve", "--workers", str(workers)]


# --- wrk -------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Target:
    name: str
    path: str
    top: int
    goal: float | None
    skew: bool = False
    runs: list[Run] = field(default_factory=list)

    def summary(self) -> Run:
        return Run(
            statistics.median(r.rps for r in self.runs),
            statistics.median(r.p50_ms for r in self.runs),
            max(r.p99_ms for r in self.runs),
            sum(r.errors for r in self.runs),
        )


def wrk(base: str, target: Target, connections: int, duration: int, folder: Path) -> Run:
    script = folder / "wrk.lua"
    script.write_text(LUA % (target.path, target.top, int(target.skew)))
    threads = min(2, connections)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"]
        + ["-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return Run(
        data["requests"] / (data["duration_us"] / 1e6),
        data["p50"] / 1000,
        data["p99"] / 1000,
        errors,
    )


def drain(server: Server) -> None:
    """Wait until requests wrk left in flight are answered, so they do not slow the next run."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            began = time.monotonic()
            httpx.get(server.base + "/healthz", timeout=30)
            if time.monotonic() - began < 0.05:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def check_targets(app: Server, targets: list[Target]) -> None:
    """One request each before measuring: a broken page must fail loudly, not as a ratio."""
    for target in targets:
        path = target.path.replace("{id}", "1")
        response = httpx.get(app.base + path, timeout=60)
        if response.status_code != 200:
            raise SystemExit(f"{target.name} {path}: HTTP {response.status_code}")


def warm_up(server: Server, targets: list[Target], connections: int, folder: Path) -> None:
    """An unmeasured wrk run per target at the measured concurrency: the workers share one
    listening socket, so only this many connections reach every worker. A worker's first
    request for a page compiles its templates and SQL, loads its locale and opens its pool;
    that is paid once per process life, not by a surge that meets workers that have served."""
    for target in targets:
        wrk(server.base, target, connections, WARM_UP_SECONDS, folder)
        drain(server)


# --- sign-up storm ---------------------------------------------------------------------------


async def storm_once(url: str, workers: int, storm: tuple[int, int, int], folder: Path) -> dict:
    requests, shifts, capacity = storm
    pg = url.startswith("postgresql")
    if pg:
        db_url = await pg_create(url, f"storm{workers}")
    else:
        db_url = f"sqlite+aiosqlite:///{folder / f'storm{workers}.db'}"
    server = None
    try:
        await asyncio.to_thread(upgrade, db_url)
        settings = Settings(database_url=db_url, mail_dir=folder / "mail")
        # One more shift and WARM_UP more volunteers: a warm-up storm before the measured one.
        all_shifts, all_tokens = await signup_storm.seed(
            settings, volunteers=requests + WARM_UP, shifts=shifts + 1, capacity=capacity
        )
        shift_ids, tokens = all_shifts[:shifts], all_tokens[:requests]
        env = server_env(db_url, folder)
        server = start(f"storm {workers}", commons_argv(workers), env, folder)
        await asyncio.to_thread(wait_ready, server, "/healthz")
        # A surge meets workers that have served for a while: their pools already connected,
        # SQLAlchemy's statements compiled. A first storm on a shift of its own warms every
        # worker up; it is not measured, and the checks cover the measured shifts only.
        await signup_storm.storm(server.base, all_shifts[shifts:], all_tokens[requests:])
        results, wall = await signup_storm.storm(server.base, shift_ids, tokens)
        problems = await signup_storm.verify(settings, shift_ids, capacity)
    finally:
        if server is not None:
            server.stop()
        if pg:
            await pg_drop(db_url)
    statuses = [s for s, _t in results]
    latencies = sorted(t * 1000 for _s, t in results)
    confirmed = statuses.count("confirmed")
    expected = min(requests, shifts * capacity)
    errors = len(statuses) - confirmed - statuses.count("waitlisted")
    if confirmed != expected:
        problems.append(f"confirmed {confirmed} != {expected}")
    if errors:
        problems.append(f"{errors} failed: {sorted(set(statuses) - {'confirmed', 'waitlisted'})}")
    return {
        "workers": workers,
        "per_s": len(results) / wall,
        "p50": signup_storm.percentile(latencies, 50),
        "p99": signup_storm.percentile(latencies, 99),
        "confirmed": confirmed,
        "expected": expected,
        "errors": errors,
        "problems": problems,
    }


def server_env(url: str, folder: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "COMMONS_MAIL_DIR": str(folder / "mail"),
        "COMMONS_SECRET_KEY": "load-bench-" + "x" * 32,
    }


# --- main ------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--duration", type=int, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--connections", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated target names (default: all)")
    parser.add_argument("--no-storm", action="store_true", help="skip the sign-up storm")
    parser.add_argument("--each", action="store_true", help="print every round's figures too")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the seeded load database, and measure an existing one instead of seeding",
    )
    args = parser.parse_args()
    size = dict(SIZES[args.size])
    for key in ("duration", "rounds", "connections"):
        if getattr(args, key):
            size[key] = getattr(args, key)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (Debian package)", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="load-bench-"))
    pg = args.database_url.startswith("postgresql")
    if pg:
        url, existed = asyncio.run(pg_load_url(args.database_url, args.reuse))
    else:
        kept = Path(tempfile.gettempdir()) / f"commons-load-{args.size}.db"
        existed = args.reuse and kept.exists()
        url = f"sqlite+aiosqlite:///{kept if args.reuse else folder / 'load.db'}"
    servers: list[Server] = []
    failed = False
    try:
        upgrade(url)
        began = time.perf_counter()
        reused = existed and asyncio.run(seeded(url, size))
        if not reused:
            if existed:
                # Not the data set asked for (another size, or a seeding cut short): anew.
                if pg:
                    url = asyncio.run(pg_create(args.database_url, "load"))
                else:
                    Path(make_url(url).database).unlink()
                upgrade(url)
            asyncio.run(seed(url, size))
        print(
            f"database: {'postgresql' if pg else 'sqlite'}; "
            f"{'reused' if reused else 'seeded'} {size['needs']:,} needs, "
            f"{size['projects']:,} projects × {size['tasks']} tasks, {size['shifts']} shifts "
            f"in {time.perf_counter() - began:.1f} s"
        )
        env = server_env(url, folder)
        fortunes = start(
            "fortunes",
            [sys.executable, str(ROOT / "bench" / "fortunes_app.py")]
            + ["--workers", str(args.workers)],
            env,
            folder,
        )
        app = start("commons", commons_argv(args.workers), env, folder)
        servers += [fortunes, app]
        wait_ready(fortunes, "/fortunes")
        wait_ready(app, "/healthz")
        tops = {"needs": size["needs"], "projects": size["projects"]}
        baseline = Target("Fortunes", "/fortunes", 0, None)
        only = set(args.only.split(",")) if args.only else None
        targets = [
            Target(name, path, tops.get(key, 0) if key else 0, goal)
            for name, (path, key, goal) in TARGETS.items()
            if only is None or name in only
        ] + [
            Target(name, path, tops[key], None, skew=True)
            for name, (path, key) in SHARED_TARGETS.items()
            if only is None or name in only
        ]
        check_targets(app, targets)
        c, d = size["connections"], size["duration"]
        warm_up(fortunes, [baseline], c, folder)
        warm_up(app, targets, c, folder)
        print(f"wrk: {c} connections, {d} s per run, {size['rounds']} interleaved round(s)")
        cpu_before = app.worker_cpu_s()
        for _round in range(size["rounds"]):
            baseline.runs.append(wrk(fortunes.base, baseline, c, d, folder))
            drain(fortunes)
            for target in targets:
                target.runs.append(wrk(app.base, target, c, d, folder))
                drain(app)
        base_rps = baseline.summary().rps
        print(
            f"\n{'target':<17}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}  goal"
        )
        for target in [baseline, *targets]:
            s = target.summary()
            ratio = s.rps / base_rps if base_rps else 0.0
            goal = ""
            wanted = target.goal
            if not pg and target.name == "dashboard":
                # On SQLite the issue asks the dashboard alone for its own ratio.
                wanted = SQLITE_DASHBOARD_GOAL
            elif not pg and wanted is not None:
                wanted = None
                goal = "(no goal on SQLite)"
            if wanted is not None:
                met = ratio >= wanted and s.p99_ms <= P99_GOAL_MS and not s.errors
                goal = f"≥ {wanted:.1f}×, p99 ≤ {P99_GOAL_MS} ms: {_verdict(met)}"
            print(
                f"{target.name:<17}{s.rps:>9.0f}{s.p50_ms:>9.1f}{s.p99_ms:>9.1f}"
                f"{s.errors:>8}{ratio:>7.3f}×  {goal}"
            )
            failed |= bool(s.errors)
            if args.each:
                print(
                    " " * 17
                    + "; ".join(f"{r.rps:.0f}/s p99 {r.p99_ms:.0f} ms" for r in target.runs)
                )
        # The workers share one listening socket, so wrk's connections may not be spread
        # evenly: a worker holding most of them answers with the longer tail.
        cpu_after = app.worker_cpu_s()
        used = sorted(
            (cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after), reverse=True
        )
        if sum(used) > 0:
            shares = " / ".join(f"{u / sum(used):.0%}" for u in used if u > 0.01)
            seconds = ", ".join(f"{u:.1f}" for u in used)
            print(f"\nworker CPU during the runs: {seconds} s ({shares})")
        worker_rss = app.worker_rss_mb()
        app_rss = ", ".join(f"{m:.0f}" for m in worker_rss)
        fortunes_rss = ", ".join(f"{m:.0f}" for m in fortunes.worker_rss_mb())
        rss_met = max(worker_rss) <= RSS_GOAL_MB
        print(
            f"\nworker RSS after load: commons {app_rss} MB (goal ≤ {RSS_GOAL_MB} MB each: "
            f"{_verdict(rss_met)}), Fortunes {fortunes_rss} MB"
        )
        for server in servers:
            server.stop()
        servers.clear()

        if not args.no_storm:
            requests, shifts, capacity = size["storm"]
            print(f"\nsign-up storm: {requests} at once into {shifts} shifts of {capacity}")
            storms = {}
            for workers in (1, 2):
                storm_url = args.database_url if pg else url
                r = storms[workers] = asyncio.run(
                    storm_once(storm_url, workers, size["storm"], folder)
                )
                print(
                    f"  {workers} worker(s): {r['per_s']:.0f} sign-ups/s, p50 {r['p50']:.0f} ms, "
                    f"p99 {r['p99']:.0f} ms, confirmed {r['confirmed']} (expected "
                    f"{r['expected']}), errors {r['errors']}"
                    + ("" if not r["problems"] else f"; FAILED: {'; '.join(r['problems'])}")
                )
                failed |= bool(r["problems"])
            two, one = storms[2], storms[1]
            print(
                "  goals (2 workers): exactly "
                f"{two['expected']} confirmed: {_verdict(two['confirmed'] == two['expected'])}; "
                f"≥ {SIGNUP_RATE_GOAL} sign-ups/s: {_verdict(two['per_s'] >= SIGNUP_RATE_GOAL)}; "
                f"p99 ≤ {SIGNUP_P99_GOAL_MS} ms: {_verdict(two['p99'] <= SIGNUP_P99_GOAL_MS)}; "
                f"faster than 1 worker ({two['per_s'] / one['per_s']:.2f}×): "
                f"{_verdict(two['per_s'] > one['per_s'])}"
            )
    finally:
        for server in servers:
            server.stop()
        if pg and not args.reuse:
            asyncio.run(pg_drop(url))
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
