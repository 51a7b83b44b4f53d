"""Live updates: GET /incidents/{id}/events sends the dashboard's figures now and after every
committed change, from any connection and (on PostgreSQL) any app instance."""

import asyncio
import re
import time

import httpx
import pytest
import pytest_asyncio

from core.app import create_app
from core.events import publish
from recovery.routes.dashboard import LIVE_SECTIONS
from tests.live import events, page_sections, served

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture
async def base(app):
    async with served(app) as url:
        yield url


async def test_stream_starts_with_the_current_figures_and_follows_a_committed_need(
    setup, base, client
):
    incident_id = setup.incident["id"]
    async with events(base, incident_id) as stream:
        _, first = await stream.next("figures")
        assert first["incident_id"] == incident_id
        assert first["needs"]["total"] == 0
        started = time.monotonic()
        # Written through another connection (the API's own request session).
        await setup.need(quantity=10)
        _, update = await stream.next("figures")
        assert time.monotonic() - started < 1.0
        assert update["needs"]["total"] == 1
        assert update["needs"]["by_status"]["open"] == 1
        assert update["needs"]["by_category"] == {
            "shelter": {"open": 1, "partially_met": 0, "met": 0, "closed": 0}
        }


async def test_a_rolled_back_change_is_never_announced(setup, base, app):
    incident_id = setup.incident["id"]
    database = app.state.database
    async with events(base, incident_id) as stream:
        await stream.next("figures")
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                publish(session, incident_id, "need")
                raise RuntimeError("refused")
        async with database.transaction() as session:
            publish(session, incident_id, "task")
        _, changed = await stream.next("changed")
        assert changed == {"kinds": ["task"]}


async def test_other_incidents_changes_do_not_reach_the_stream(setup, base, app):
    incident_id = setup.incident["id"]
    async with events(base, incident_id) as stream:
        await stream.next("figures")
        async with app.state.database.transaction() as session:
            publish(session, incident_id + 1000, "need")
        async with app.state.database.transaction() as session:
            publish(session, incident_id, "signup")
        _, changed = await stream.next("changed")
        assert changed == {"kinds": ["signup"]}


async def test_a_reconnecting_client_gets_what_changed_while_it_was_away(setup, base):
    incident_id = setup.incident["id"]
    async with events(base, incident_id) as stream:
        _, before = await stream.next("figures")
    await setup.need()
    await setup.need(title="Blankets", unit="blankets")
    async with events(base, incident_id) as stream:
        _, after = await stream.next("figures")
    assert before["needs"]["total"] == 0
    assert after["needs"]["total"] == 2


async def test_streams_beyond_the_worker_limit_get_503_and_a_closed_one_frees_its_place(
    setup, base, app
):
    incident_id = setup.incident["id"]
    hub = app.state.database.events
    hub.max_streams = 1
    async with events(base, incident_id) as stream:
        await stream.next("figures")
        assert hub.open_streams == 1
        async with httpx.AsyncClient(base_url=base) as other:
            refused = await other.get(f"/incidents/{incident_id}/events")
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "live_full"
        assert refused.headers["retry-after"] == "30"
    for _ in range(100):
        if hub.open_streams == 0:
            break
        await asyncio.sleep(0.02)
    assert hub.open_streams == 0
    async with events(base, incident_id) as stream:
        await stream.next("figures")


async def test_unknown_incident_has_no_stream(client):
    response = await client.get("/incidents/999999/events")
    assert response.status_code == 404


async def test_dashboard_figures_match_the_stream(setup, base, client):
    incident_id = setup.incident["id"]
    await setup.need(quantity=10)
    async with events(base, incident_id) as stream:
        _, figures = await stream.next("figures")
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert f'sse-connect="/incidents/{incident_id}/events?sections=' in page.text
    assert figures["needs"]["total"] == 1
    assert figures["projects"] == {"total": 0, "completed": 0, "average_progress": None}
    assert figures["overdue_tasks"] == 0
    assert "funds" in figures and "volunteers" in figures


@pytest_asyncio.fixture
async def second_app(settings):
    """Another web worker on the same database: its streams hear only what NOTIFY tells."""
    if settings.is_sqlite:
        pytest.skip("fan-out across processes is PostgreSQL's LISTEN/NOTIFY")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_change_in_one_worker_reaches_the_streams_of_another(setup, second_app):
    incident_id = setup.incident["id"]
    async with served(second_app) as other_base, events(other_base, incident_id) as stream:
        _, first = await stream.next("figures")
        assert first["needs"]["total"] == 0
        started = time.monotonic()
        await setup.need()  # through the first app
        _, update = await stream.next("figures")
        assert time.monotonic() - started < 1.0
        assert update["needs"]["total"] == 1


async def test_officials_needs_list_and_board_refresh_live_for_one_incident(setup, client):
    from tests.conftest import sign_in

    incident_id = setup.incident["id"]
    await sign_in(client, setup.official.email)
    stream = f'sse-connect="/incidents/{incident_id}/events"'
    needs = await client.get(f"/needs?incident_id={incident_id}")
    assert stream in needs.text
    assert f'hx-get="/needs?incident_id={incident_id}" hx-trigger="sse:changed"' in needs.text
    board = await client.get(f"/supervision?incident_id={incident_id}")
    assert stream in board.text
    assert 'hx-target="#board"' in board.text
    # Across every incident there is no one stream to follow: the plain list, no connection.
    assert "sse-connect" not in (await client.get("/needs")).text


def _page_stream(html: str) -> str:
    """The query of the dashboard's own stream, as the page names it."""
    found = re.search(r'sse-connect="/incidents/\d+/events(\?sections=[0-9a-f]+)"', html)
    assert found, "the dashboard names no stream of its live sections"
    return found[1]


async def test_the_dashboard_stream_pushes_its_sections_rendered_when_they_change(
    setup, base, client
):
    """No refetch of the page: the change comes in the stream as the sections' HTML, equal to
    what the page itself shows after the change, each marked for htmx's out-of-band swap."""
    incident_id = setup.incident["id"]
    page = (await client.get(f"/incidents/{incident_id}")).text
    query = _page_stream(page)
    async with events(base, incident_id, query) as stream:
        await stream.next("figures")
        started = time.monotonic()
        await setup.need(quantity=10)
        event, pushed = await stream.next()
        # The page's tag was current: nothing is pushed before the change.
        assert event == "changed"
        _, pushed = await stream.next("sections")
        assert time.monotonic() - started < 1.0
        tag = stream.last_id
    assert tag and tag != query.removeprefix("?sections=")
    # The same server the stream came from: the page's links are absolute.
    async with httpx.AsyncClient(base_url=base) as same:
        after = (await same.get(f"/incidents/{incident_id}")).text
    assert _page_stream(after) == f"?sections={tag}"
    assert pushed == page_sections(after, LIVE_SECTIONS)
    for element_id in LIVE_SECTIONS:
        assert f'id="{element_id}" hx-swap-oob="true"' in pushed or re.search(
            rf'<\w+ hx-swap-oob="true"[^>]* id="{element_id}"', pushed
        ), element_id
    assert "No needs recorded yet." not in pushed and "Needs by category" in pushed


async def test_a_stale_or_reconnecting_page_gets_the_sections_it_lacks_and_no_more(
    setup, base, client
):
    incident_id = setup.incident["id"]
    stale = _page_stream((await client.get(f"/incidents/{incident_id}")).text)
    await setup.need()
    # A page rendered (or micro-cached) before the need: its stream first brings it up to date.
    async with events(base, incident_id, stale) as stream:
        await stream.next("figures")
        _, pushed = await stream.next("sections")
        current = stream.last_id
    assert "No needs recorded yet." not in pushed
    # EventSource reconnects with the last id it got: up to date, so nothing is pushed.
    async with events(base, incident_id, stale, headers={"Last-Event-ID": current}) as stream:
        await stream.next("figures")
        with pytest.raises(TimeoutError):
            await stream.next("sections", seconds=0.5)


async def test_pushed_sections_are_in_the_visitors_language(setup, base, client):
    incident_id = setup.incident["id"]
    page = (await client.get(f"/incidents/{incident_id}")).text
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    async with events(base, incident_id, _page_stream(page), headers=chinese) as stream:
        # The tag is per language: the English page's tag is not this visitor's.
        _, pushed = await stream.next("sections")
    assert "资金" in pushed and "Funds" not in pushed


async def test_streams_without_sections_get_no_html(setup, base):
    incident_id = setup.incident["id"]
    async with events(base, incident_id) as stream:
        await stream.next("figures")
        await setup.need()
        await stream.next("figures")
        with pytest.raises(TimeoutError):
            await stream.next("sections", seconds=0.5)
