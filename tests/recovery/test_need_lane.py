"""The signed-out lane of the need page: the same answer as the whole stack's, taken only by a
signed-out GET, a 404 and a pool timeout answered as before."""

import pytest
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from core.db import read_rows
from recovery.service import needs as service
from tests.conftest import sign_in
from tests.recovery.conftest import forget_pages, headers_of

pytestmark = pytest.mark.asyncio


def _forget_pages(app) -> None:
    forget_pages(app, "needs")


@pytest.mark.parametrize("language", ["en", "zh-CN,zh;q=0.9"])
async def test_the_lane_answers_as_the_whole_stack(app, client, seeded, lanes, language):
    url = f"/needs/{seeded.needs[0].id}"
    headers = {"Accept-Language": language}
    lanes.off = True
    normal = await client.get(url, headers=headers)
    assert normal.status_code == 200
    _forget_pages(app)
    lanes.off = False
    lane = await client.get(url, headers=headers)
    assert lanes.taken == [True]
    assert lane.status_code == 200
    assert lane.content == normal.content
    assert headers_of(lane) == headers_of(normal)
    assert lane.headers["x-request-id"] != normal.headers["x-request-id"]
    # Without gzip too (the front keys on it), and a revalidation answers 304.
    _forget_pages(app)
    plain = await client.get(url, headers=headers | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == normal.content
    _forget_pages(app)
    again = await client.get(url, headers=headers | {"If-None-Match": normal.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert lanes.taken == [True, True, True]


async def test_the_lane_s_page_goes_to_the_front_when_asked_again(app, client, seeded, lanes):
    url = f"/needs/{seeded.needs[1].id}"
    first = await client.get(url)
    assert not app.state.database.caches["front"].data
    await client.get(url)
    assert lanes.taken == [True, True]
    assert len(app.state.database.caches["front"].data) == 1
    assert (await client.get(url)).content == first.content
    assert lanes.taken == [True, True]


async def test_metrics_name_the_lane_s_route(app, client, seeded, lanes):
    await client.get(f"/needs/{seeded.needs[0].id}")
    assert lanes.taken == [True]
    samples = {
        sample.labels.get("route")
        for family in app.state.metrics.registry.collect()
        for sample in family.samples
    }
    assert "/needs/{id}" in samples


async def test_a_signed_in_visitor_does_not_take_the_lane(client, factory, seeded, lanes):
    user = await factory.user("volunteer")
    await sign_in(client, user.email)
    lanes.taken.clear()
    page = await client.get(f"/needs/{seeded.needs[0].id}")
    assert page.status_code == 200
    assert lanes.taken == []
    assert "public" not in page.headers.get("cache-control", "")


async def test_an_unknown_need_is_404_down_the_normal_stack(client, lanes):
    page = await client.get("/needs/987654")
    assert page.status_code == 404
    assert lanes.taken == [False]


async def test_a_pool_timeout_on_the_lane_is_503_with_retry_after(
    app, client, seeded, lanes, monkeypatch
):
    url = f"/needs/{seeded.needs[0].id}"
    pool = app.state.database.engine.sync_engine.pool

    def no_connection(*_args, **_kwargs):
        raise sa_exc.TimeoutError("QueuePool limit of size 2 overflow 0 reached")

    monkeypatch.setattr(pool, "_do_get", no_connection)
    page = await client.get(url)
    assert lanes.taken == [True]
    assert page.status_code == 503 and page.headers["retry-after"] == "2"
    assert "busy" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_read_rows_reads_what_sqlalchemy_reads(app, seeded):
    """On PostgreSQL the need page's statement runs on asyncpg's connection itself: the same
    rows, column by column, as SQLAlchemy's execution gives, and the engine's listeners hear
    of it."""
    database = app.state.database
    statement, _width = database.extensions.statement("need.page", service._need_page_statement)
    heard = []
    engine = database.engine.sync_engine
    listener = lambda *args: heard.append(args[2])  # noqa: E731
    async with database.engine.connect() as connection:
        for need in seeded.needs:
            params = {"need_id": need.id}
            expected = [tuple(row) for row in (await connection.execute(statement, params)).all()]
            event.listen(engine, "before_cursor_execute", listener)
            try:
                assert await read_rows(connection, statement, params) == expected
            finally:
                event.remove(engine, "before_cursor_execute", listener)
    assert len(heard) == len(seeded.needs)
