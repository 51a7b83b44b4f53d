"""The request's session owns the transaction: one commit on success, a rollback otherwise."""

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from core.db import Database, DBSessionMiddleware, get_session
from core.errors import Conflict
from core.models import AuditEntry
from core.web import exception_handlers

pytestmark = pytest.mark.asyncio


async def _write(request: Request) -> AuditEntry:
    entry = AuditEntry(action="test.write", object_type="test")
    session = get_session(request)
    session.add(entry)
    await session.flush()
    return entry


async def succeed(request: Request):
    await _write(request)
    return JSONResponse({"ok": True}, status_code=201)


async def refuse(request: Request):
    await _write(request)
    raise Conflict("refused after writing")


async def answer_422(request: Request):
    await _write(request)
    return JSONResponse({"error": "invalid"}, status_code=422)


async def crash(request: Request):
    await _write(request)
    raise RuntimeError("boom")


async def sign_in_then_write(request: Request):
    request.session["uid"] = 42
    await _write(request)
    return JSONResponse({"ok": True})


async def stream(request: Request):
    await _write(request)
    session = get_session(request)

    async def body():
        # Reads after the commit still work: the session stays open until the body is sent.
        yield str(await session.scalar(select(func.count()).select_from(AuditEntry))).encode()

    return StreamingResponse(body())


@pytest_asyncio.fixture
async def harness(settings):
    database = Database(settings)
    app = Starlette(
        routes=[
            Route(f"/{handler.__name__}", handler, methods=["POST"])
            for handler in (succeed, refuse, answer_422, crash, sign_in_then_write, stream)
        ],
        middleware=[
            Middleware(SessionMiddleware, secret_key="test"),
            Middleware(DBSessionMiddleware, database=database),
        ],
        exception_handlers=exception_handlers,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, database
    await database.dispose()


async def _count(database: Database) -> int:
    async with database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(AuditEntry))


async def test_success_commits_once_before_the_answer(harness):
    client, database = harness
    assert (await client.post("/succeed")).status_code == 201
    assert await _count(database) == 1


@pytest.mark.parametrize("path", ["/refuse", "/answer_422", "/crash"])
async def test_a_refusal_an_invalid_form_or_an_exception_writes_nothing(harness, path):
    client, database = harness
    response = await client.post(path)
    assert response.status_code in (409, 422, 500)
    assert await _count(database) == 0


async def test_a_failed_commit_answers_500_and_keeps_the_old_session(harness, monkeypatch):
    client, database = harness
    from sqlalchemy.ext.asyncio import AsyncSession

    async def failing_commit(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    response = await client.post("/sign_in_then_write")
    assert response.status_code == 500
    assert "commons_session" not in response.headers.get("set-cookie", "")
    assert "session=" not in response.headers.get("set-cookie", "")
    monkeypatch.undo()
    assert await _count(database) == 0


async def test_a_streamed_body_reads_after_the_commit(harness):
    client, database = harness
    response = await client.post("/stream")
    assert response.status_code == 200 and response.text == "1"
    assert await _count(database) == 1
