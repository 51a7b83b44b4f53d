"""The cached dashboard: a write changes it at once, ETags answer 304, anonymous visitors share
one public page with no token, signed-in visitors keep theirs."""

import pytest
from sqlalchemy import select, update

from core import cache
from recovery.models import Need, NeedStatus, Priority
from recovery.service import record_fulfilment
from tests.conftest import sign_in
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
    before = await client.get(f"/needs/{need.id}")
    assert before.headers["cache-control"].startswith("public") and "Open" in before.text
    async with app.state.database.transaction() as session:
        global_before, incident_before = await cache.versions(session, seeded.incident.id)
        await record_fulfilment(session, need.id, need.quantity, actor=None, source="test")
    async with app.state.database.session(write=False) as session:
        assert await cache.versions(session, seeded.incident.id) > (
            global_before,
            incident_before,
        )
    page = await client.get(f"/needs/{need.id}")
    assert page.headers["etag"] != before.headers["etag"] and "met" in page.text.lower()


async def test_a_rolled_back_write_bumps_nothing(app, seeded):
    async with app.state.database.session() as session:
        before = await cache.versions(session, seeded.incident.id)
        need = await session.get(Need, seeded.needs[0].id)
        need.title = "changed, then rolled back"
        await session.flush()
        await session.rollback()
        assert await cache.versions(session, seeded.incident.id) == before


async def test_the_anonymous_dashboard_is_public_with_no_token_and_answers_304(client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    first = await client.get(url)
    assert first.headers["cache-control"].startswith("public, max-age=")
    # Nobody's token and no cookie: the same bytes for every visitor, so nginx may keep it.
    assert "set-cookie" not in first.headers and not client.cookies.get("csrftoken")
    assert 'name="csrftoken"' not in first.text and "x-csrftoken" not in first.text
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    client.cookies.clear()
    other = await client.get(url)
    assert other.content == first.content and other.headers["etag"] == first.headers["etag"]


async def test_the_language_form_of_a_shared_page_works_without_a_token(client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    await client.get("/login")  # a csrftoken cookie from an earlier page: still no token needed
    assert client.cookies.get("csrftoken")
    switched = await client.post("/language", data={"locale": "zh_Hans", "next": url})
    assert switched.status_code == 303 and switched.headers["location"] == url
    page = await client.get(url)
    assert '<html lang="zh-Hans">' in page.text and 'name="csrftoken"' not in page.text
    # The session cookie now holds the language: the English page is another cache entry.
    assert (await client.post("/language", data={"locale": "en", "next": url})).status_code == 303
    assert '<html lang="en">' in (await client.get(url)).text


async def test_a_signed_in_visitor_gets_their_own_token_and_no_public_caching(
    client, factory, seeded
):
    user = await factory.user("volunteer")
    await sign_in(client, user.email)
    url = f"/incidents/{seeded.incident.id}"
    page = await client.get(url)
    token = client.cookies.get("csrftoken")
    assert token and f'value="{token}"' in page.text
    assert "public" not in page.headers.get("cache-control", "")
    # Signed in, the language form needs the token like every other form.
    refused = await client.post("/language", data={"locale": "zh_Hans", "next": url})
    assert refused.status_code == 403
    accepted = await client.post(
        "/language", data={"locale": "zh_Hans", "next": url, "csrftoken": token}
    )
    assert accepted.status_code == 303


async def test_needs_list_uses_the_stored_rank(client, seeded):
    body = (await client.get(f"/api/v1/needs?incident_id={seeded.incident.id}&limit=100")).json()
    ranks = {p: r for r, p in enumerate(Priority)}
    order = [(ranks[n["priority"]], n["needed_by"], n["id"]) for n in body["items"]]
    assert order == sorted(order)
    assert body["total"] == len([n for n in seeded.needs if n.incident_id == seeded.incident.id])


async def test_cursor_pages_walk_the_whole_list_once_in_order(client, seeded):
    url = f"/api/v1/needs?incident_id={seeded.incident.id}&limit=7"
    everything = (await client.get(url.replace("limit=7", "limit=100"))).json()["items"]
    seen, cursor, pages = [], None, 0
    while True:
        body = (await client.get(url + (f"&cursor={cursor}" if cursor else ""))).json()
        assert body["total"] == len(everything)
        seen += [n["id"] for n in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [n["id"] for n in everything] and pages == -(-len(everything) // 7)
    # A cursor wins over an offset; the same page as the cursor alone.
    first = (await client.get(url)).json()
    second = (await client.get(url + f"&cursor={first['next_cursor']}")).json()
    both = (await client.get(url + f"&cursor={first['next_cursor']}&offset=3")).json()
    assert both["items"] == second["items"]


async def test_a_cursor_not_from_the_list_is_refused_naming_it(client, seeded):
    for bad in ("x", "1.2026-02-31.5", "1.2026-02-01", "9.2026-02-01.1.2"):
        response = await client.get(f"/api/v1/needs?cursor={bad}")
        assert response.status_code == 422, bad
        assert "cursor" in response.json()["error"]["fields"]
    zh = await client.get("/api/v1/needs?cursor=x", headers={"Accept-Language": "zh-CN"})
    message = zh.json()["error"]["fields"]["cursor"]
    assert message != "Not a cursor this list gave out" and message


async def test_filtered_totals_come_from_the_counts_and_equal_the_rows(client, seeded):
    incident = seeded.incident.id
    for filters in ("", "&status=open", "&category=food&status=met", "&priority=critical"):
        body = (await client.get(f"/api/v1/needs?incident_id={incident}&limit=500{filters}")).json()
        assert body["total"] == len(body["items"]), filters
        assert body["next_cursor"] is None


async def test_the_needs_page_goes_on_by_cursor(client, seeded):
    page = await client.get(f"/needs?incident_id={seeded.incident.id}")
    assert page.headers["cache-control"].startswith("public")
    nxt = doc(page).xpath("//nav[@class='pager']//a[contains(@href, 'cursor=')]")
    if len([n for n in seeded.needs if n.incident_id == seeded.incident.id]) <= 50:
        assert not nxt
        return
    following = await client.get(nxt[0].get("href"))
    assert following.status_code == 200
