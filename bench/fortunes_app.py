"""A bare Starlette app doing TechEmpower's "Fortunes" work: the baseline bench/load.py compares to.

Per request: read every row of `fortune` from the same database the platform uses, add one
row at run time, sort by message, render an HTML table through an autoescaping Jinja2
template. It uses the platform's engine settings (core.db.create_engine) and is served by
uvicorn with the same options as `commons serve`.

    DATABASE_URL=... python bench/fortunes_app.py --port 8081 --workers 2
"""

import argparse
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from jinja2 import Environment
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import create_engine  # noqa: E402
from core.settings import Settings  # noqa: E402

# The twelve rows TechEmpower's test seeds (one with markup, one with non-ASCII text).
FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]
ADDED = "Additional fortune added at request time."
TEMPLATE = Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for id, message in fortunes %}<tr><td>{{ id }}</td><td>{{ message }}</td></tr>"
    "{% endfor %}</table></body></html>"
)


def create_app() -> Starlette:
    engine = create_engine(Settings())
    query = text("SELECT id, message FROM fortune")

    async def fortunes(_request):
        async with engine.connect() as conn:
            rows = [tuple(row) for row in (await conn.execute(query)).all()]
        rows.append((0, ADDED))
        rows.sort(key=lambda row: row[1])
        return HTMLResponse(TEMPLATE.render(fortunes=rows))

    async def healthz(_request):
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_app):
        yield
        await engine.dispose()

    return Starlette(
        routes=[Route("/fortunes", fortunes), Route("/healthz", healthz)], lifespan=lifespan
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same options core/cli.py's `serve` passes.
    uvicorn.run(
        "bench.fortunes_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        app_dir=str(ROOT),
    )


if __name__ == "__main__":
    main()
