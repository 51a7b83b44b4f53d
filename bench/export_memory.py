"""Peak memory of each open-data export with 100,000 needs (and as many gifts and ledger
entries) against the same export of 1,000, on SQLite: streamed exports stay flat.

Each export runs in a fresh process that serves it in-process and drops the bytes as they
come; the figure is how far its peak RSS (VmHWM, reset after the app has started) rose over
its resident size before the export, so lxml's and SQLite's own allocations count too. The
baseline is the same export of a 1,000-row database. Run
`.venv/bin/python bench/export_memory.py [--needs N] [--baseline B]`.
"""

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

EXPORTS = (
    ("needs.csv (HXL)", "/api/v1/export/needs.csv?incident_id=1"),
    ("needs.hxl.json (whole table)", "/api/v1/export/needs.hxl.json?incident_id=1"),
    ("needs.json page of 10,000", "/api/v1/export/needs.json?incident_id=1&limit=10000"),
    ("3w.csv (HXL)", "/api/v1/export/3w.csv?incident_id=1"),
    ("3w.hxl.json (whole table)", "/api/v1/export/3w.hxl.json?incident_id=1"),
    ("3w.json page of 10,000", "/api/v1/export/3w.json?incident_id=1&limit=10000"),
    ("ledger export.json", "/api/v1/ledger/export.json?incident_id=1"),
    ("ledger export.csv", "/api/v1/ledger/export.csv?incident_id=1"),
    ("iati.xml", "/api/v1/export/iati.xml?incident_id=1"),
)
# What the ledger download did before it streamed: the whole chain as a list, then one string.
WHOLE_LIST = "ledger json, whole list (before)"


def seed(path: Path, needs: int) -> None:
    """bench/dashboard.py's incident, plus as many received gifts and ledger entries."""
    from dashboard import seed as seed_dashboard

    from core.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{path}")
    projects = max(10, needs // 100)
    seed_dashboard(path, needs, projects, 5)
    rng = random.Random(7)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "INSERT INTO users (id, email, name, password_hash, role, is_active, created_at)"
        " VALUES (1, 'donor@example.org', 'Donor', 'x', 'donor', 1, ?)",
        (now,),
    )
    db.executemany(
        "INSERT INTO donations (id, incident_id, project_id, donor_id, amount_minor, currency,"
        " public_name, status, reference, received_at, created_at, channel, received_minor,"
        " allocated_minor, refunded_minor)"
        " VALUES (?, 1, ?, 1, ?, 'CNY', ?, 'received', ?, ?, ?, 'pledge', ?, 0, 0)",
        [
            (
                i,
                rng.randint(1, projects) if i % 2 else None,
                amount,
                f"Giver {i}" if i % 3 else None,
                f"BANK-{i}",
                now,
                now,
                amount,
            )
            for i in range(1, needs + 1)
            for amount in (rng.randint(100, 100_000),)
        ],
    )
    db.executemany(
        "INSERT INTO ledger_entries (incident_id, seq, kind, amount_minor, currency,"
        " donation_id, counterparty, reference, description, recorded_at, prev_hash, hash)"
        " VALUES (1, ?, 'receipt', ?, 'CNY', ?, ?, ?, '', ?, ?, ?)",
        [
            (i, 1000 + i, i, f"Giver {i}", f"BANK-{i}", now, f"{i - 1:064x}", f"{i:064x}")
            for i in range(1, needs + 1)
        ],
    )
    db.commit()
    db.close()


async def _serve_once(app, path: str) -> int:
    """The app called as a server would; returns the bytes sent, keeping none of them."""
    sent = 0
    done = asyncio.Event()
    requested = False
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal sent
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message
        if message["type"] == "http.response.body":
            sent += len(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    return sent


async def _whole_list(app) -> int:
    from donations.service import ledger

    async with app.state.database.session(write=False) as session:
        rows, _total = await ledger.entries(session, incident_id=1)
        return len(ledger.to_json(rows, 1).encode())


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


async def _child(mode: str, database_url: str) -> dict:
    from core.app import create_app
    from core.settings import Settings

    app = create_app(Settings(database_url=database_url, jobs_in_process=False))
    async with app.router.lifespan_context(app):
        # Warm: imports, the pool, the templates. Then Linux forgets the peak so far
        # (clear_refs 5 resets VmHWM), and the export's own peak is what is left.
        await _serve_once(app, "/healthz")
        import lxml.etree  # noqa: F401  (loaded by the first XML export otherwise)

        _reset_peak()
        before = _status_kib("VmRSS")
        start = time.perf_counter()
        if mode == WHOLE_LIST:
            sent = await _whole_list(app)
        else:
            sent = await _serve_once(app, dict(EXPORTS)[mode])
        seconds = time.perf_counter() - start
        peak = _status_kib("VmHWM")
    return {"rss_kib": before, "growth_kib": peak - before, "bytes": sent, "seconds": seconds}


def child(mode: str, database_url: str) -> None:
    print(json.dumps(asyncio.run(_child(mode, database_url))))


def measure(mode: str, database_url: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--database-url", database_url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database_url)
        return
    with tempfile.TemporaryDirectory() as folder:
        urls = {}
        for size in (args.baseline, args.needs):
            path = Path(folder) / f"export-{size}.db"
            started = time.perf_counter()
            seed(path, size)
            urls[size] = f"sqlite+aiosqlite:///{path}"
            print(f"seeded {size:,} needs, gifts and ledger entries in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        print(
            f"{'export':34} {'MiB out':>8} {'s':>6} {'peak growth MiB':>16} {'peak growth MiB':>16}"
            f" {'ratio':>6}"
        )
        print(f"{'':34} {'(big)':>8} {'(big)':>6} {format(args.baseline, ',') + ' rows':>16}"
              f" {format(args.needs, ',') + ' rows':>16} {'':>6}")  # fmt: skip
        for name in [name for name, _ in EXPORTS] + [WHOLE_LIST]:
            small = measure(name, urls[args.baseline])
            big = measure(name, urls[args.needs])
            small_mib, big_mib = small["growth_kib"] / 1024, big["growth_kib"] / 1024
            print(
                f"{name:34} {big['bytes'] / 2**20:>8.1f} {big['seconds']:>6.1f}"
                f" {small_mib:>16.1f} {big_mib:>16.1f} {big_mib / max(small_mib, 0.1):>5.1f}x"
            )
        print(f"(app process resident before the export: {big['rss_kib'] / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
