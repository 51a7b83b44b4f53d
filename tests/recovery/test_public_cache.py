"""The cached dashboard: a write changes it at once, ETags answer 304, visitors keep their token."""

import pytest
from sqlalchemy import select, update

from core import cache
from recovery.models import Need, NeedStatus, Priority
from recovery.service import record_fulfilment
from tests.recovery.pages import doc, number, table_by_caption

pytestmark = pytest.mark.asyncio


def _open_needs_shown(response) -> int:
    table = table_by_caption(doc(response), "Needs by category and status")
    return sum(
        number(tr.findall("td")[0].text_content()) for tr in table.find("tbody").findall("tr")
    )


async def test_a_write_changes_the_cached_dashboard(app, client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    first = await client.get(url)
    again = await client.get(url)
    assert first.text == again.text and first.headers["etag"] == again.headers["etag"]
    before = _open_needs_shown(first)
    assert before > 0

    # A unit-of-work write (an ORM object with its incident) bumps the incident's version.
    async with app.state.database.transaction() as session:
        need = await session.scalar(
            select(Need).where(
                Need.incident_id == seeded.incident.id, Need.status == NeedStatus.open
            )
        )
        need.status = NeedStatus.closed
    after = await client.get(url)
    assert _open_needs_shown(after) == before - 1
    assert after.headers["etag"] != first.headers["etag"]

    # A bulk statement (no incident named): every public page is invalidated.
    async with app.state.database.transaction() as session:
        await session.execute(
            update(Need)
            .where(Need.incident_id == seeded.incident.id, Need.status == NeedStatus.open)
            .values(status=NeedStatus.closed)
        )
    assert _open_needs_shown(await client.get(url)) == 0


async def test_fulfilment_shows_on_the_cached_dashboard(app, client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    await client.get(url)
    need = next(n for n in seeded.needs if n.status == NeedStatus.open)
    async with app.state.database.transaction() as session:
        global_before, incident_before = await cache.versions(session, seeded.incident.id)
        await record_fulfilment(session, need.id, need.quantity, actor=None, source="test")
    async with app.state.database.session(write=False) as session:
        assert await cache.versions(session, seeded.incident.id) > (
            global_before,
            incident_before,
        )
    page = (await client.get(f"/needs/{need.id}")).text
    assert "met" in page.lower()


async def test_a_rolled_back_write_bumps_nothing(app, seeded):
    async with app.state.database.session() as session:
        before = await cache.versions(session, seeded.incident.id)
        need = await session.get(Need, seeded.needs[0].id)
        need.title = "changed, then rolled back"
        await session.flush()
        await session.rollback()
        assert await cache.versions(session, seeded.incident.id) == before


async def test_etag_answers_304_and_each_visitor_gets_their_own_token(client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    first = await client.get(url)
    assert first.headers["cache-control"] == "private, no-cache"
    token = client.cookies.get("csrftoken")
    assert token and f'value="{token}"' in first.text
    assert "commons-csrf-mark" not in first.text
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    client.cookies.clear()
    other = await client.get(url)
    other_token = other.cookies.get("csrftoken")
    assert other_token and other_token != token and f'value="{other_token}"' in other.text
    assert f'value="{token}"' not in other.text


async def test_needs_list_uses_the_stored_rank(client, seeded):
    body = (await client.get(f"/api/v1/needs?incident_id={seeded.incident.id}&limit=100")).json()
    ranks = {p: r for r, p in enumerate(Priority)}
    order = [(ranks[n["priority"]], n["needed_by"], n["id"]) for n in body["items"]]
    assert order == sorted(order)
    assert body["total"] == len([n for n in seeded.needs if n.incident_id == seeded.incident.id])
