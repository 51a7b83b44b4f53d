"""GET /api/v1/search: the search page's public records as JSON, a page at a time, validated,
in one statement (cached), and throttled per address."""

import pytest
from sqlalchemy import event

from core.models import Role

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"searches_per_address": 8, "search_window_seconds": 60})


async def _search(client, status=200, **params):
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == status, response.text
    return response.json()


async def test_search_api_answers_the_pages_records_with_totals(client, factory, setup):
    await factory.user(Role.ngo, org="Willow Water Brigade")
    await factory.user(Role.ngo, org="Willow Water Pending", verified=False)
    need = await setup.need(title="Drinking WATER for Willow", description="")
    await setup.need(title="Blankets", description="for the water-logged houses")
    await setup.need(title="Tents")
    project = await setup.project(title="Repair the water works")
    found = await _search(client, q="  water  ")
    by_kind = {}
    for item in found["items"]:
        by_kind.setdefault(item["kind"], []).append(item["title"])
    assert sorted(by_kind["needs"]) == ["Blankets", "Drinking WATER for Willow"]
    assert by_kind["projects"] == ["Repair the water works"]
    assert by_kind["organizations"] == ["Willow Water Brigade"]
    assert found["total"] == 4 and found["next_cursor"] is None
    assert found["totals"] == {"needs": 2, "projects": 1, "organizations": 1, "shifts": 0}
    # Kinds in their order; each hit links to its public page.
    assert [i["kind"] for i in found["items"]] == ["needs", "needs", "projects", "organizations"]
    urls = {i["title"]: i["url"] for i in found["items"]}
    assert urls["Drinking WATER for Willow"].endswith(f"/needs/{need['id']}")
    assert urls["Repair the water works"].endswith(f"/projects/{project['id']}")
    only = await _search(client, q="water", types="projects,organizations")
    assert [i["kind"] for i in only["items"]] == ["projects", "organizations"]
    assert only["totals"] == {"projects": 1, "organizations": 1}


async def test_search_api_pages_with_a_cursor_across_kinds(client, setup):
    for number in range(5):
        await setup.need(title=f"Pump {number}")
    await setup.project(title="Pump house")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "pump", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await _search(client, **params)
        assert page["total"] == 6 and len(page["items"]) <= 2
        seen += [(i["kind"], i["id"]) for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(set(seen)) == 6
    assert [kind for kind, _id in seen] == ["needs"] * 5 + ["projects"]


async def test_search_api_leaves_drills_out_and_narrows_to_an_incident(client, setup):
    await setup.need(title="Zetadrill tents")
    other = await setup.post(
        "/api/v1/incidents",
        {"name": "Hill Fire", "started_on": "2026-11-01", "description": "A fire"},
    )
    there = await _search(client, q="zetadrill", incident_id=other["id"])
    assert there["items"] == [] and there["totals"]["needs"] == 0
    here = await _search(client, q="zetadrill", incident_id=setup.incident["id"])
    assert [i["title"] for i in here["items"]] == ["Zetadrill tents"]
    assert (
        "incident_id" in (await _search(client, 404, q="x", incident_id=999999))["error"]["fields"]
    )
    marked = await client.patch(
        f"/api/v1/incidents/{setup.incident['id']}",
        json={"status": "exercise"},
        headers=setup.headers,
    )
    assert marked.status_code == 200
    # Signed in or not, a drill is not a public record.
    assert (await _search(client, q="zetadrill"))["items"] == []
    signed_in = await client.get("/api/v1/search", params={"q": "zetadrill"}, headers=setup.headers)
    assert signed_in.json()["items"] == []


async def test_search_api_names_the_bad_field_in_the_users_language(client):
    assert "q" in (await _search(client, 422))["error"]["fields"]
    assert "q" in (await _search(client, 422, q="   "))["error"]["fields"]
    assert "q" in (await _search(client, 422, q="x" * 101))["error"]["fields"]
    assert (await _search(client, q=" " + "x" * 100 + " "))["total"] == 0
    assert "types.0" in (await _search(client, 422, q="x", types="people"))["error"]["fields"]
    assert "cursor" in (await _search(client, 422, q="x", cursor="forged"))["error"]["fields"]
    assert "limit" in (await _search(client, 422, q="x", limit=0))["error"]["fields"]
    chinese = await client.get(
        "/api/v1/search", params={"q": ""}, headers={"Accept-Language": "zh-CN"}
    )
    assert chinese.status_code == 422
    message = chinese.json()["error"]["fields"]["q"]
    assert message and not any("a" <= c.lower() <= "z" for c in message)


async def test_search_is_one_statement_and_a_repeat_is_served_from_the_cache(app, client, setup):
    await setup.need(title="Generator fuel")
    await setup.project(title="Generator shed")
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).lower())

    engine = app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = await _search(client, q="generator")
        searches = [s for s in statements if "union all" in s]
        assert len(searches) == 1 and searches[0].count("union all") == 3
        assert not [s for s in statements if "from needs" in s and "union all" not in s]
        statements.clear()
        assert await _search(client, q="generator") == first
        assert not [s for s in statements if "from needs" in s or "from projects" in s]
        # A write changes the public version: the next search sees it.
        await setup.need(title="Generator repair")
        assert (await _search(client, q="generator"))["totals"]["needs"] == 2
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_search_is_throttled_per_address_with_retry_after(client):
    for _ in range(8):
        await _search(client, q="tents")
    refused = await client.get("/api/v1/search", params={"q": "tents"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    page = await client.get("/search", params={"q": "tents"}, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 429 and "retry-after" in page.headers
    assert "搜索" in page.text
