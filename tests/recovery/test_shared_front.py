"""The front of the shared pages: a repeat anonymous view costs no database statement, a write
shows at once, a signed-in visitor never gets the shared copy, and a miss is built once."""

import asyncio
import time

import pytest
from sqlalchemy import event, select

from core import cache
from core.db import Database
from recovery.models import Need, NeedStatus
from recovery.service import dashboard
from tests.conftest import sign_in
from tests.recovery.pages import doc, number, table_by_caption

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(settings):
    # The memo of the versions is kept a minute here, not a second: on a busy machine a
    # second can pass between two requests, and the front would rightly go the long way.
    return settings.model_copy(update={"public_version_ttl": 60.0})


class Statements:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self, app):
        self.count = 0
        event.listen(app.state.database.engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_args):
        self.count += 1


def _open_needs_shown(response) -> int:
    table = table_by_caption(doc(response), "Needs by category and status")
    return sum(
        number(tr.findall("td")[0].text_content()) for tr in table.find("tbody").findall("tr")
    )


@pytest.mark.parametrize("page", ["dashboard", "need", "needs", "shifts"])
async def test_a_repeat_anonymous_view_runs_no_statement(app, client, seeded, page):
    url = {
        "dashboard": f"/incidents/{seeded.incident.id}",
        "need": f"/needs/{seeded.needs[0].id}",
        "needs": f"/needs?incident_id={seeded.incident.id}",
        "shifts": "/volunteers/shifts",
    }[page]
    first = await client.get(url)
    assert first.status_code == 200
    # Asked for a second time, the page goes to the front (a page read once does not).
    assert not app.state.database.caches.get("front").data
    await client.get(url)
    assert len(app.state.database.caches["front"].data) == 1
    statements = Statements(app)
    again = await client.get(url)
    assert statements.count == 0
    assert again.content == first.content
    for header in ("etag", "cache-control", "vary", "content-security-policy"):
        assert again.headers[header] == first.headers[header]
    # Each answer has its own request id, not the first one's.
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    revalidated = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert statements.count == 0


async def test_a_page_built_again_after_leaving_its_cache_goes_to_the_front(app, client, seeded):
    """A second view counts as a repeat even when the page had left its cache meanwhile (a
    thousand projects read at random, 256 kept): the front takes it then, not after several
    more builds."""
    url = f"/needs/{seeded.needs[0].id}"
    first = await client.get(url)
    assert first.status_code == 200
    app.state.database.caches["needs"].clear()
    assert not app.state.database.caches.get("front").data
    again = await client.get(url)
    assert again.content == first.content
    assert len(app.state.database.caches["front"].data) == 1
    statements = Statements(app)
    assert (await client.get(url)).content == first.content
    assert statements.count == 0


async def test_this_process_s_write_shows_at_once(app, client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    before = _open_needs_shown(await client.get(url))
    await client.get(url)
    async with app.state.database.transaction() as session:
        need = await session.scalar(
            select(Need).where(
                Need.incident_id == seeded.incident.id, Need.status == NeedStatus.open
            )
        )
        need.status = NeedStatus.closed
    assert _open_needs_shown(await client.get(url)) == before - 1


async def _close_a_need_elsewhere(settings, incident_id: int) -> None:
    """Close an open need as another worker would: its own database object, so its commit
    does not touch this process's memo."""
    other = Database(settings)
    try:
        async with other.transaction() as session:
            need = await session.scalar(
                select(Need).where(Need.incident_id == incident_id, Need.status == NeedStatus.open)
            )
            need.status = NeedStatus.closed
    finally:
        await other.dispose()


async def test_another_process_s_write_shows_once_the_memo_lapses(app, client, seeded, settings):
    url = f"/incidents/{seeded.incident.id}"
    before = _open_needs_shown(await client.get(url))
    await _close_a_need_elsewhere(settings, seeded.incident.id)
    # Within the memo's second the front may still answer what this worker knew...
    memo = app.state.database.caches["versions"]
    # ...and once it lapses, the next view reads the versions and shows the write.
    memo.found.clear()
    assert _open_needs_shown(await client.get(url)) == before - 1


async def test_while_lapsed_versions_are_read_again_the_front_answers_for_one_ttl_more(
    app, client, seeded, settings
):
    url = f"/incidents/{seeded.incident.id}"
    before = _open_needs_shown(await client.get(url))
    await client.get(url)
    await _close_a_need_elsewhere(settings, seeded.incident.id)
    memo = app.state.database.caches["versions"]
    (source,) = [key for key in memo.found if key != memo.ALL] or [memo.ALL]
    lapsed_at, known = memo.found[source]
    # Lapsed a moment ago, and a renewal is under way (stuck behind the pool, say).
    memo.found[source] = (time.monotonic() - 0.01, known)
    claim = memo.start_refresh(source)
    statements = Statements(app)
    # (The long way would wait for that renewal: bounded, so a regression fails, not hangs.)
    assert _open_needs_shown(await asyncio.wait_for(client.get(url), 10)) == before
    assert statements.count == 0
    # Lapsed longer ago than one more ttl: no longer answered from what was known.
    memo.found[source] = (time.monotonic() - memo.ttl - 0.01, known)
    memo.done_reading(source, claim)
    assert _open_needs_shown(await client.get(url)) == before - 1
    assert statements.count > 0


async def test_a_signed_in_visitor_never_gets_the_shared_copy(client, factory, seeded):
    url = f"/incidents/{seeded.incident.id}"
    shared = await client.get(url)
    await client.get(url)
    user = await factory.user("volunteer")
    await sign_in(client, user.email)
    page = await client.get(url)
    token = client.cookies.get("csrftoken")
    assert token and f'value="{token}"' in page.text
    assert page.content != shared.content
    assert "public" not in page.headers.get("cache-control", "")


async def test_a_bearer_token_or_htmx_request_goes_past_the_front(app, client, factory, seeded):
    url = f"/incidents/{seeded.incident.id}"
    await client.get(url)
    await client.get(url)
    statements = Statements(app)
    await client.get(url, headers={"HX-Request": "true"})
    assert statements.count > 0


async def test_concurrent_misses_build_the_page_once(app, client, seeded, monkeypatch):
    calls = []
    original = dashboard.need_figures

    async def counted(session, incident_id):
        calls.append(incident_id)
        await asyncio.sleep(0.05)
        return await original(session, incident_id)

    monkeypatch.setattr(dashboard, "need_figures", counted)
    url = f"/incidents/{seeded.incident.id}"
    answers = await asyncio.gather(*(client.get(url) for _ in range(8)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(calls) == 1


async def test_the_needs_api_is_shared_and_a_write_shows_at_once(app, client, seeded, factory):
    url = f"/api/v1/needs?incident_id={seeded.incident.id}&limit=5"
    first = (await client.get(url)).json()
    statements = Statements(app)
    assert (await client.get(url)).json() == first and statements.count == 0
    # The same answer with a bearer token (it holds no personal data), past the front.
    user = await factory.user("volunteer")
    signed = await client.get(url, headers=await factory.token(user))
    assert signed.json() == first
    async with app.state.database.transaction() as session:
        need = await session.get(Need, first["items"][0]["id"])
        need.title = "Renamed just now"
    after = (await client.get(url)).json()
    assert after["items"][0]["title"] == "Renamed just now"
    assert after["total"] == first["total"]


async def test_a_signed_in_official_s_needs_list_shares_the_list_not_the_frame(
    app, client, factory, seeded
):
    url = f"/needs?incident_id={seeded.incident.id}"
    anonymous = await client.get(url)
    official = await factory.user("official")
    await sign_in(client, official.email)
    first = await client.get(url)
    token = client.cookies.get("csrftoken")
    assert first.status_code == 200 and token and f'value="{token}"' in first.text
    assert "/manage/needs/new" in first.text and "/manage/needs/new" not in anonymous.text
    # The rows are the anonymous list's, in the official's own page.
    rows = [tr.get("id") for tr in doc(first).iter("tr") if tr.get("id")]
    assert rows == [tr.get("id") for tr in doc(anonymous).iter("tr") if tr.get("id")]
    statements = Statements(app)
    again = await client.get(url)
    assert again.text == first.text
    # Only the visitor's own parts are read again (who they are, whether they may edit).
    assert statements.count <= 4
    async with app.state.database.transaction() as session:
        need = await session.get(Need, int(rows[0].removeprefix("need-")))
        need.title = "Renamed for the official"
    assert "Renamed for the official" in (await client.get(url)).text


async def test_versions_that_lapsed_are_read_once_by_concurrent_requests(app, seeded):
    database: Database = app.state.database
    reads = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: (
            reads.append(statement)
            if statement.startswith("SELECT count(*), coalesce(sum(version)")
            else None
        ),
    )
    sessions = [database.session(write=False) for _ in range(5)]
    try:
        found = await asyncio.gather(*(cache.all_versions(s) for s in sessions))
        assert len(reads) == 1 and len(set(found)) == 1
        # A commit of this process forgets the memo: the next readers read again, once.
        async with database.transaction() as session:
            need = await session.get(Need, seeded.needs[0].id)
            need.title = "renamed"
        for session in sessions:
            await session.close()  # new transactions, which see the commit
        again = await asyncio.gather(*(cache.all_versions(s) for s in sessions))
        assert len(reads) == 2 and len(set(again)) == 1 and again[0] > found[0]
    finally:
        for session in sessions:
            await session.close()


async def test_versions_about_to_lapse_are_renewed_behind_the_front(app, client, seeded, settings):
    url = f"/incidents/{seeded.incident.id}"
    before = _open_needs_shown(await client.get(url))
    await client.get(url)
    await _close_a_need_elsewhere(settings, seeded.incident.id)
    memo = app.state.database.caches["versions"]
    expires, known = memo.found[seeded.incident.id]
    # The memo's entry in the last quarter of its life: the front still answers from it...
    memo.found[seeded.incident.id] = (expires - 0.9 * settings.public_version_ttl, known)
    assert _open_needs_shown(await client.get(url)) == before
    # ...and reads the versions again meanwhile, once, so the other worker's write shows
    # before the entry would have lapsed, and the renewed entry lives a whole ttl.
    front = next(m for m in _middleware(app) if m.__class__.__name__ == "SharedFront")
    assert len(front._renewing) == 1
    await asyncio.gather(*front._renewing)
    assert memo.found[seeded.incident.id][1] != known
    assert memo.found[seeded.incident.id][0] > expires - 0.9 * settings.public_version_ttl
    assert _open_needs_shown(await client.get(url)) == before - 1


def _middleware(app):
    layer = app.middleware_stack
    while layer is not None:
        yield layer
        layer = getattr(layer, "app", None)


async def test_a_request_holding_a_connection_does_not_wait_for_a_renewal(app, seeded):
    """A renewal in the background needs a pooled connection of its own; a request that holds
    one already (the need and project pages take theirs first) reads the versions itself rather
    than wait for it, so a full pool of such waiters cannot stall until the pool's timeout."""
    memo = app.state.database.caches["versions"]
    async with app.state.database.session(write=False) as session:
        expected = await cache.versions(session, seeded.incident.id)
    memo.found.clear()
    stuck = memo.reading[seeded.incident.id] = asyncio.Event()  # a renewal that never ends
    try:
        async with app.state.database.session(write=False) as session:
            await session.connection()
            found = await asyncio.wait_for(cache.versions(session, seeded.incident.id), 5)
        assert found == expected
        # A request holding nothing yet still waits for the read under way, as before.
        memo.found.clear()
        async with app.state.database.session(write=False) as session:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(cache.versions(session, seeded.incident.id), 0.2)
    finally:
        memo.done_reading(seeded.incident.id, stuck)


@pytest.mark.parametrize("signed_in", [False, True])
async def test_a_page_names_each_thing_it_varies_on_once(client, factory, seeded, signed_in):
    """The page, the session, the CSRF token and gzip each add to Vary, none reading the
    others': the header still names each once."""
    if signed_in:
        user = await factory.user("volunteer")
        await sign_in(client, user.email)
    for url in (f"/needs/{seeded.needs[0].id}", f"/incidents/{seeded.incident.id}", "/"):
        for _view in range(2):  # the second signed-out view comes from the front
            response = await client.get(url, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            names = [v.strip().lower() for v in response.headers["vary"].split(",")]
            assert len(names) == len(set(names)), (url, response.headers["vary"])
            assert "cookie" in names and "accept-encoding" in names


@pytest.mark.parametrize("first", ["gzip", "identity"])
async def test_the_front_keeps_a_page_gzipped_and_answers_either_kind_of_caller(
    app, client, seeded, first
):
    """Kept once, gzipped, whoever asked first: a caller that takes gzip gets those bytes, any
    other the page inflated, each with its own length and the same ETag."""
    url = f"/incidents/{seeded.incident.id}"
    for _view in range(2):
        made = await client.get(url, headers={"Accept-Encoding": first})
    (entry,) = app.state.database.caches["front"].data.values()
    assert entry[4][:2] == b"\x1f\x8b" and len(entry[4]) < len(made.content) / 2
    statements = Statements(app)
    for encoding in ("gzip", "identity"):
        response = await client.get(url, headers={"Accept-Encoding": encoding})
        assert response.content == made.content
        assert response.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None)
        raw = len(response.content) if encoding == "identity" else len(entry[4])
        assert int(response.headers["content-length"]) == raw
        assert response.headers["etag"] == made.headers["etag"]
        assert "x-request-id" in response.headers
    assert statements.count == 0
