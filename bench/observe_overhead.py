"""Cost of the observation middleware (request id, route template, counter and histogram) per
request: the same app with and without it, interleaved rounds, in-process over ASGI.

Run `.venv/bin/python bench/observe_overhead.py [--requests N] [--rounds R]`; with
PROMETHEUS_MULTIPROC_DIR set it measures the multiprocess (mmap file) mode.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.app import create_app  # noqa: E402
from core.metrics import ObserveMiddleware, RouteMarker  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402

PATHS = ("/healthz", "/api/v1/needs/12345", "/login")


def _app(settings: Settings, observed: bool):
    app = create_app(settings)
    if not observed:
        app.user_middleware = [
            m for m in app.user_middleware if m.cls not in (ObserveMiddleware, RouteMarker)
        ]
    return app


async def _run(app, path: str, count: int) -> float:
    """Seconds per request for `count` sequential requests."""
    scope_base = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    start = time.perf_counter()
    for _ in range(count):
        await app(dict(scope_base), receive, send)
    return (time.perf_counter() - start) / count


async def _bare(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def isolated(requests: int, rounds: int) -> None:
    """The middleware pair around an app that does nothing: its own cost, without noise."""
    from core.metrics import Metrics

    wrapped = ObserveMiddleware(RouteMarker(_bare), metrics=Metrics())
    times = {"bare": [], "observed": []}
    for _ in range(rounds):
        times["bare"].append(await _run(_bare, "/healthz", requests * 10))
        times["observed"].append(await _run(wrapped, "/healthz", requests * 10))
    bare = statistics.median(times["bare"]) * 1e6
    observed = statistics.median(times["observed"]) * 1e6
    print(f"middleware alone: {observed - bare:.1f} µs per request (bare ASGI app {bare:.1f} µs)")


async def main_async(requests: int, rounds: int) -> None:
    await isolated(requests, rounds)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/overhead.db"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, jobs_in_process=False)
        apps = {"without": _app(settings, False), "with": _app(settings, True)}
        for app in apps.values():
            async with app.router.lifespan_context(app):
                pass
        print(f"{'path':24} {'without µs':>11} {'with µs':>9} {'added µs':>9} {'ratio':>7}")
        for path in PATHS:
            times = {"without": [], "with": []}
            for app in apps.values():
                await _run(app, path, 200)  # warm up caches and the pool
            for _ in range(rounds):
                for name, app in apps.items():
                    times[name].append(await _run(app, path, requests))
            without = statistics.median(times["without"]) * 1e6
            with_ = statistics.median(times["with"]) * 1e6
            print(
                f"{path:24} {without:>11.1f} {with_:>9.1f} {with_ - without:>9.1f}"
                f" {with_ / without:>6.3f}x"
            )
        for app in apps.values():
            await app.state.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async(args.requests, args.rounds))


if __name__ == "__main__":
    main()
