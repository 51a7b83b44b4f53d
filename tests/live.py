"""Test helpers for live updates: serve an app on a real socket, read server-sent events."""

import asyncio
import json
import socket
from contextlib import asynccontextmanager

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def served(app):
    """The app (lifespan already started by its fixture) behind uvicorn on a free port: event
    streams need a real server, since httpx's ASGI transport waits for the whole body."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class EventReader:
    """Reads one event stream: `await reader.next("figures")` is the next event of that name."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, name: str | None = None, seconds: float = 5.0) -> tuple[str, dict]:
        async with asyncio.timeout(seconds):
            while True:
                event, data = await self._read()
                if name is None or event == name:
                    return event, data

    async def _read(self) -> tuple[str, dict]:
        event, data = "message", []
        async for line in self.lines:
            if not line:
                if data:
                    return event, json.loads("\n".join(data))
                event = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
        raise EOFError("the event stream ended")


@asynccontextmanager
async def events(base: str, incident_id: int):
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream("GET", f"/incidents/{incident_id}/events") as response,
    ):
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def fresh_pg_database(url: str) -> str:
    """Drop and create the PostgreSQL database `url` names (for servers run as processes)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)

    async def run() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return url


def wait_ready(base: str, process=None, seconds: float = 90) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server at {base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not become ready")
