"""CPU time per request of bench/load.py's targets, served in process, beside the Fortunes app.

    python bench/profile_requests.py [--database-url URL] [--seed] [--requests N]
                                     [--only NAMES] [--mode hit|random|miss] [--profile NAME]

On a machine shared with other work, wall-clock throughput says little; the CPU time this
process spends per request (time.process_time) and the SQL statements it issues do not depend
on the neighbours much. Each target is requested through httpx's ASGI transport one request at
a time: `hit` repeats one URL (a warm shared cache), `random` draws ids as the wrk script does
(mostly misses for the need pages), `miss` empties this process's page caches before each
request (the cost of a rebuild). The ratio is Fortunes' CPU per request over the target's: a
rough forecast of the req/s ratio bench/load.py measures (PostgreSQL's own CPU is not in it;
the statements per request stand for that). `--seed` loads load.py's data set first (the
database is emptied); `--profile NAME` prints cProfile's top functions for one target.
"""

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
from fortunes_app import create_app as create_fortunes  # noqa: E402

from core.app import create_app  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test_surge"


async def empty(url: str) -> None:
    """Drop every table so the data set is seeded into a fresh schema."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(parsed)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def path_of(template: str, top: int, rng: random.Random, fixed: bool) -> str:
    if "{id}" not in template:
        return template
    return template.replace("{id}", "1" if fixed else str(rng.randint(1, top)))


def make_profiler():
    """pyinstrument when it is installed (a sampling profiler that reads coroutines right),
    else cProfile on CPU time (which counts every resumption of a coroutine as a call)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return cProfile.Profile(time.process_time)
    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.enable, profiler.disable = profiler.start, profiler.stop
    return profiler


def report(profile, args) -> str:
    if isinstance(profile, cProfile.Profile):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        return out.getvalue()
    # The event loop's waits (select) are idle time, not work: read the tree without them.
    return profile.output_text(unicode=True, color=False, show_all=False)


async def measure(app, paths, *, before=None, statements=None, profile=None) -> dict:
    transport = httpx.ASGITransport(app=app)
    cpu, wall = [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
        for path in paths:
            if before is not None:
                before()
            counted = statements[0] if statements else 0
            if profile is not None:
                profile.enable()
            c0, w0 = time.process_time(), time.perf_counter()
            response = await client.get(path)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            if profile is not None:
                profile.disable()
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            if statements:
                statements[1].append(statements[0] - counted)
    return {
        "cpu_ms": statistics.median(cpu) * 1000,
        "cpu_mean_ms": statistics.fmean(cpu) * 1000,
        "wall_ms": statistics.median(wall) * 1000,
        "statements": statistics.fmean(statements[1]) if statements else 0.0,
        "bytes": len(response.content),
    }


async def run(args) -> None:
    settings = Settings(database_url=args.database_url, db_pool_size=2, db_max_overflow=0)
    if args.seed:
        await empty(args.database_url)
        await asyncio.to_thread(upgrade, args.database_url)
        await load.seed(args.database_url, load.SIZES[args.size])
    app = create_app(settings)
    database = app.state.database
    counter = [0, []]

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def _count(*_args):
        counter[0] += 1

    # The Fortunes app reads its database from the environment, as under uvicorn.
    os.environ["DATABASE_URL"] = args.database_url
    fortunes = create_fortunes()
    size = load.SIZES[args.size]
    tops = {"needs": size["needs"], "projects": size["projects"]}
    rng = random.Random(7)
    n = args.requests
    base = await measure(fortunes, ["/fortunes"] * (n // 5) + ["/fortunes"] * n)
    print(
        f"{'target':<14}{'mode':>7}{'cpu ms':>9}{'mean':>8}{'wall ms':>9}{'SQL/req':>9}"
        f"{'KiB':>7}{'ratio':>8}"
    )
    print(
        f"{'Fortunes':<14}{'':>7}{base['cpu_ms']:>9.2f}{base['cpu_mean_ms']:>8.2f}"
        f"{base['wall_ms']:>9.2f}{'1':>9}{base['bytes'] / 1024:>7.1f}{1:>7.3f}×"
    )
    only = set(args.only.split(",")) if args.only else None
    caches = database._reads.kw["info"]["commons.caches"]

    def forget_pages():
        for name, found in caches.items():
            if name != "versions":
                found.clear()

    for name, (template, key, _goal) in load.TARGETS.items():
        if only is not None and name not in only:
            continue
        top = tops.get(key, 0) if key else 0
        modes = [args.mode] if args.mode else ["hit", "random", "miss"]
        for mode in modes:
            if mode == "random" and "{id}" not in template:
                continue
            fixed = mode != "random"
            warm = [path_of(template, top, rng, fixed) for _ in range(max(n // 5, 3))]
            await measure(app, warm)
            paths = [path_of(template, top, rng, fixed) for _ in range(n)]
            profile = make_profiler() if args.profile == name else None
            counter[1] = []
            found = await measure(
                app,
                paths,
                before=forget_pages if mode == "miss" else None,
                statements=counter,
                profile=profile,
            )
            ratio = base["cpu_ms"] / found["cpu_ms"] if found["cpu_ms"] else 0.0
            print(
                f"{name:<14}{mode:>7}{found['cpu_ms']:>9.2f}{found['cpu_mean_ms']:>8.2f}"
                f"{found['wall_ms']:>9.2f}{found['statements']:>9.1f}"
                f"{found['bytes'] / 1024:>7.1f}{ratio:>7.3f}×"
            )
            if profile is not None:
                print(report(profile, args))
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", action="store_true", help="empty the database and seed it")
    parser.add_argument("--size", choices=sorted(load.SIZES), default="full")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", help="comma-separated target names")
    parser.add_argument("--mode", choices=["hit", "random", "miss"])
    parser.add_argument("--profile", help="a target name to run under cProfile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
