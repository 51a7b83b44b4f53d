"""A GET or HEAD writes nothing outside the routes `core.safe_methods` declares (the matrix
checks every GET route for every role; here the guard itself is checked)."""

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from core import safe_methods
from core.safe_methods import SafeMethodGuard, SafeMethodMiddleware
from tests.authz.test_matrix import app_routes

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def guarded(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'guard.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE visits (id INTEGER PRIMARY KEY, path TEXT)"))

    async def write(request):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO visits (path) VALUES (:p)"), {"p": "x"})
        return PlainTextResponse("written")

    async def read(request):
        async with engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM visits"))
        return PlainTextResponse(str(count))

    routes = [
        Route("/read", read),
        Mount("/api/v1", routes=[Route("/visits/{id:int}", write, methods=["GET", "POST"])]),
    ]
    guard = SafeMethodGuard()
    guard.watch(engine)
    app = Starlette(routes=routes, middleware=[Middleware(SafeMethodMiddleware)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client, guard
    await engine.dispose()


async def test_a_get_that_writes_is_noted_with_its_route_template(guarded):
    client, guard = guarded
    assert (await client.get("/read")).text == "0"
    assert (await client.post("/api/v1/visits/1")).text == "written"
    assert guard.seen == []
    assert (await client.get("/api/v1/visits/7")).text == "written"
    assert guard.seen == [("/api/v1/visits/{id:int}", "INSERT INTO visits (path) VALUES (?)")]


async def test_a_declared_route_may_write_on_get(guarded, monkeypatch):
    client, guard = guarded
    monkeypatch.setitem(safe_methods.WRITES_ON_GET, "/api/v1/visits/{id:int}", "a test's")
    await client.get("/api/v1/visits/7")
    assert guard.seen == []


async def test_every_declared_route_is_a_get_route_of_the_app(app):
    gets = {path for method, path in app_routes(app) if method == "GET"}
    for template, reason in safe_methods.WRITES_ON_GET.items():
        assert template in gets, template
        assert len(reason) > 20, "say why the GET writes and why it is idempotent"
    assert isinstance(app.state.safe_methods, SafeMethodGuard)
