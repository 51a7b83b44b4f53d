"""The site-wide search: needs, projects, organizations and shifts, public records only."""

import pytest
from lxml import html

from core.cli import load_demo
from core.models import Role

pytestmark = pytest.mark.asyncio


def _groups(page) -> dict[str, list[str]]:
    return {
        section.get("aria-labelledby")[2:]: section.xpath(".//li/a/text()")
        for section in page.xpath("//main//section")
    }


async def test_search_finds_needs_projects_and_verified_organizations(client, factory, setup):
    await factory.user(Role.ngo, org="Willow Water Brigade")
    await factory.user(Role.ngo, org="Willow Water Pending", verified=False)
    await setup.need(title="Drinking WATER for Willow", description="")
    await setup.need(title="Blankets", description="for the water-logged houses")
    await setup.need(title="Tents")
    await setup.project(title="Repair the water works")
    response = await client.get("/search", params={"q": "  water  "})
    assert response.status_code == 200
    groups = _groups(html.fromstring(response.text))
    # Case does not matter, descriptions count, and a pending organization is not public.
    assert sorted(groups["needs"]) == ["Blankets", "Drinking WATER for Willow"]
    assert groups["projects"] == ["Repair the water works"]
    assert groups["organizations"] == ["Willow Water Brigade"]
    assert "4 results for “water”." in response.text


async def test_search_takes_wildcards_literally_and_refuses_a_one_letter_word(client, setup):
    await setup.need(title="Tents")
    response = await client.get("/search", params={"q": "%%"})
    assert response.status_code == 200 and "0 results" in response.text
    short = await client.get("/search", params={"q": "t"})
    assert short.status_code == 400
    assert "Type at least 2 characters." in short.text
    chinese = await client.get("/search", params={"q": "t"}, headers={"Accept-Language": "zh-CN"})
    assert "请至少输入 2 个字符。" in chinese.text
    # One Chinese character is a word.
    assert (await client.get("/search", params={"q": "水"})).status_code == 200
    assert (await client.get("/search", params={"q": "x" * 101})).status_code == 400


async def test_search_finds_open_shifts_and_every_page_has_the_box(settings, client):
    assert await load_demo(settings, "en")
    response = await client.get("/search", params={"q": "debris"})
    groups = _groups(html.fromstring(response.text))
    assert "Debris clearing in Willow Village" in groups["shifts"]
    assert any("debris" in title.lower() for title in groups["needs"])
    page = html.fromstring((await client.get("/needs")).text)
    assert page.xpath("//header//form[@role='search']//input[@name='q']")


async def test_search_leaves_drills_out(client, setup):
    # A drill runs everything, but the public's lists never show it; search is one of them.
    await setup.need(title="Zetadrill tents")
    await setup.project(title="Zetadrill project")
    found = _groups(html.fromstring((await client.get("/search", params={"q": "zetadrill"})).text))
    assert found["needs"] == ["Zetadrill tents"] and found["projects"] == ["Zetadrill project"]
    # Through the API, as an office would: the write bumps the versions search is cached under.
    marked = await client.patch(
        f"/api/v1/incidents/{setup.incident['id']}",
        json={"status": "exercise"},
        headers=setup.headers,
    )
    assert marked.status_code == 200, marked.text
    response = await client.get("/search", params={"q": "zetadrill"})
    assert "0 results" in response.text
