"""Test helpers for live updates: serve an app on a real socket, read server-sent events."""

import asyncio
import json
import socket
from collections.abc import Sequence
from contextlib import asynccontextmanager, contextmanager
from html.parser import HTMLParser

import httpx
import uvicorn

from core.live import OOB


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
    """Reads one event stream: `await reader.next("figures")` is the next event of that name,
    its data parsed as JSON (the `sections` event's HTML as it came); `last_id` is the last
    event id seen, as EventSource would send it back on reconnecting."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.lines = response.aiter_lines()
        self.last_id: str | None = None

    async def next(self, name: str | None = None, seconds: float = 5.0) -> tuple[str, object]:
        async with asyncio.timeout(seconds):
            while True:
                event, data = await self._read()
                if name is None or event == name:
                    return event, data

    async def _read(self) -> tuple[str, object]:
        event, data = "message", []
        async for line in self.lines:
            if not line:
                if data:
                    text = "\n".join(data)
                    return event, text if event == "sections" else json.loads(text)
                event = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                self.last_id = value
        raise EOFError("the event stream ended")


@asynccontextmanager
async def events(base: str, incident_id: int, query: str = "", headers: dict | None = None):
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream(
            "GET", f"/incidents/{incident_id}/events{query}", headers=headers
        ) as response,
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


@contextmanager
def demo_workers(url: str, folder, count: int = 2):
    """`commons db upgrade` and `demo` on `url`, then `count` `commons serve` processes, each on
    its own port (so a test knows which worker it talks to); yields their base URLs."""
    import os
    import subprocess
    import sys

    from core.settings import ROOT

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COMMONS_SECRET_KEY": "e2e-secret",
        "COMMONS_MAIL_DIR": str(folder / "mail"),
        "COMMONS_UPLOAD_DIR": str(folder / "uploads"),
        "COMMONS_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
    }
    commons = [sys.executable, "-m", "core.cli"]
    subprocess.run([*commons, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*commons, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    processes, bases = [], []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [*commons, "serve", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            wait_ready(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


class _Finder(HTMLParser):
    """Where each wanted element starts and ends, as offsets into the page."""

    def __init__(self, text: str, ids: Sequence[str]):
        super().__init__(convert_charrefs=False)
        self.text = text
        self.wanted = set(ids)
        self.found: dict[str, tuple[int, int, int]] = {}
        # Offsets of each line's start: the parser reports (line, column).
        self._lines = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._lines.append(index + 1)
        self._open: tuple[str, str, int, int] | None = None  # id, tag, start, depth

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self._open is not None:
            element_id, open_tag, start, depth = self._open
            if tag == open_tag:
                self._open = (element_id, open_tag, start, depth + 1)
            return
        element_id = dict(attrs).get("id")
        if element_id in self.wanted and element_id not in self.found:
            start = self._offset()
            self._open = (element_id, tag, start, 1)

    def handle_endtag(self, tag):
        if self._open is None:
            return
        element_id, open_tag, start, depth = self._open
        if tag != open_tag:
            return
        if depth > 1:
            self._open = (element_id, open_tag, start, depth - 1)
            return
        end = self.text.index(">", self._offset()) + 1
        self.found[element_id] = (start, start + 1 + len(open_tag), end)
        self._open = None


def page_sections(page: str, ids) -> str:
    """What a live stream should push for `page`: the outer HTML of its elements `ids`, found
    by an HTML parser (the app renders them from template blocks instead), marked for htmx's
    out-of-band swap."""
    finder = _Finder(page, ids)
    finder.feed(page)
    finder.close()
    missing = [element_id for element_id in ids if element_id not in finder.found]
    assert not missing, f"live sections missing from the page: {missing}"
    parts = []
    for element_id in ids:
        start, name_end, end = finder.found[element_id]
        parts.append(page[start:name_end] + OOB + page[name_end:end])
    return "\n".join(parts)
