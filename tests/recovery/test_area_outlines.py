"""Area outlines: checked GeoJSON through the API and the area form, drawn on the dashboard's
maps, and the demo's outlines computed from the areas' positions."""

import json

import pytest
from lxml import etree
from sqlalchemy import select

from core.cli import load_demo
from core.models import AuditEntry
from core.outlines import outer_rings
from recovery.demo import add_demo_outlines
from recovery.models import Area, Incident
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[114.2, 30.5], [114.4, 30.5], [114.4, 30.7], [114.2, 30.7], [114.2, 30.5]]],
}
SVG = {"s": "http://www.w3.org/2000/svg"}


async def test_an_outline_is_stored_shown_and_cleared_through_the_api(client, db, setup):
    county = setup.county["id"]
    response = await client.patch(
        f"/api/v1/areas/{county}", json={"outline": SQUARE}, headers=setup.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["outline"] == SQUARE
    assert response.json()["name"] == "Riverside County"  # what is not sent stays
    listed = (await client.get(f"/api/v1/areas?incident_id={setup.incident['id']}")).json()
    assert [a["outline"] for a in listed["items"] if a["id"] == county] == [SQUARE]
    assert (await client.get(f"/api/v1/areas/{county}")).json()["outline"] == SQUARE
    cleared = await client.patch(
        f"/api/v1/areas/{county}", json={"outline": None}, headers=setup.headers
    )
    assert cleared.json()["outline"] is None
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "area.update"))
    assert audit is not None and audit.object_id == county


@pytest.mark.parametrize(
    ("outline", "words"),
    [
        ({"type": "Point", "coordinates": [114.3, 30.6]}, "Polygon or MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[114.2, 30.5], [114.4, 30.5], [114.4, 30.7]]]},
            "four",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[114.2, 30.5], [114.4, 30.5], [114.4, 30.7], [1, 1]]],
            },
            "closed",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[200, 30.5], [114.4, 30.5], [114.4, 91], [200, 30.5]]],
            },
            "longitude",
        ),
        ("{not json", "GeoJSON"),
        (
            {"type": "Polygon", "coordinates": [[[114.2, 30.5]] * 5001 + [[114.2, 30.5]]]},
            "too many",
        ),
    ],
)
async def test_a_bad_outline_is_refused_naming_the_field(client, setup, outline, words):
    response = await client.patch(
        f"/api/v1/areas/{setup.county['id']}", json={"outline": outline}, headers=setup.headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert "outline" in error["fields"] and words in error["fields"]["outline"]


async def test_a_bad_outline_is_refused_in_chinese(client, setup):
    response = await client.patch(
        f"/api/v1/areas/{setup.county['id']}",
        json={"outline": {"type": "Point", "coordinates": [1, 2]}},
        headers=setup.headers | {"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    message = response.json()["error"]["fields"]["outline"]
    assert "Polygon" in message and "多边形" in message


async def test_the_area_form_takes_pasted_geojson_and_shows_a_refusal_in_place(client, setup):
    await sign_in(client, setup.official.email)
    url = f"/manage/areas/{setup.township['id']}"
    page = await client.get(url)
    assert page.status_code == 200 and 'name="outline"' in page.text
    token = await csrf_token(client, url)
    form = {"csrftoken": token, "name": "Willow Township", "lat": "30.62", "lon": "114.32"}
    bad = await client.post(
        url, data=form | {"outline": '{"type": "Polygon"}'}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "coordinates" in bad.text
    good = await client.post(url, data=form | {"outline": json.dumps(SQUARE)})
    assert good.status_code == 303
    area = (await client.get(f"/api/v1/areas/{setup.township['id']}")).json()
    assert area["outline"] == SQUARE


async def test_the_dashboard_map_draws_outlines_solid_and_derived_shapes_dashed(client, setup):
    await client.patch(
        f"/api/v1/areas/{setup.county['id']}", json={"outline": SQUARE}, headers=setup.headers
    )
    await setup.need()
    svg = await client.get(f"/incidents/{setup.incident['id']}/map.svg")
    tree = etree.fromstring(svg.content)
    paths = tree.findall(".//s:g[@class='layer-areas']/s:path", SVG)
    names = {p.findtext("s:title", namespaces=SVG): p for p in paths}
    assert set(names) == {"Riverside County", "Willow Township", "Willow Village"}
    assert names["Riverside County"].get("stroke-dasharray") is None
    assert names["Willow Township"].get("stroke-dasharray")
    # Only villages' names are marked to be dropped on a phone, where they would crowd
    # (the village moved off so that its name has room and is written at all).
    await client.patch(
        f"/api/v1/areas/{setup.village['id']}", json={"lat": 30.9}, headers=setup.headers
    )
    tree = etree.fromstring(
        (await client.get(f"/incidents/{setup.incident['id']}/map.svg")).content
    )
    labels = {t.text: t.get("class") for t in tree.iterfind(".//s:text", SVG)}
    assert labels["Willow Village"] == "village-name"
    assert labels["Willow Township"] is None and labels["Riverside County"] is None
    points = (await client.get(f"/incidents/{setup.incident['id']}/map.geojson")).json()
    areas = [f for f in points["features"] if f["properties"]["layer"] == "areas"]
    assert {f["geometry"]["type"] for f in areas} == {"Polygon", "Point"}


async def test_projects_stand_at_their_area_and_each_mark_links_to_its_page(client, setup):
    await setup.need()
    project = await setup.project(area_id=setup.township["id"])
    page = await client.get(f"/incidents/{setup.incident['id']}")
    tree = etree.fromstring(page.content, etree.HTMLParser())
    links = tree.xpath("//*[local-name()='g'][@class='layer-projects']//*[local-name()='a']")
    assert [a.get("href") for a in links] == [f"/projects/{project['id']}"]
    points = (await client.get(f"/incidents/{setup.incident['id']}/map.geojson")).json()
    marks = [f for f in points["features"] if f["properties"]["layer"] == "projects"]
    assert marks[0]["geometry"]["coordinates"] == [114.32, 30.62]
    # The layer switches are plain checkboxes: without script, CSS hides an unchecked layer.
    assert tree.xpath("//fieldset[@class='map-layers']//input[@value='projects']")


async def test_the_extent_is_the_incidents_areas(client, setup):
    answer = await client.get(f"/map/extent.json?incident_id={setup.incident['id']}")
    assert answer.json()["bounds"] == [[30.6, 114.3], [30.63, 114.33]]
    assert (await client.get("/map/extent.json?incident_id=99999")).status_code == 404


async def test_demo_areas_get_outlines_nested_by_level(settings, db):
    assert await load_demo(settings) is True
    incident = await db.scalar(select(Incident))
    # The demo loader gives its areas their outlines.
    areas = list(await db.scalars(select(Area).where(Area.incident_id == incident.id)))
    assert all(a.outline for a in areas)
    by_id = {a.id: a for a in areas}
    for area in areas:
        (ring,) = outer_rings(json.loads(area.outline))
        assert ring[0] == ring[-1]
        # Its own position lies inside its shape, and the shape inside its parent's box.
        assert _contains(ring, area.lon, area.lat), area.level
        if area.parent_id:
            parent = outer_rings(json.loads(by_id[area.parent_id].outline))[0]
            for lon, lat in ring:
                assert _in_box(parent, lon, lat), (area.level, area.id)
    # Run again: nothing left to add.
    assert await add_demo_outlines(db, incident.id) == 0
    for area in areas:
        area.outline = None
    await db.commit()
    assert await add_demo_outlines(db, incident.id) == len(areas)


def _contains(ring, x, y) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _in_box(ring, x, y, slack=1e-6) -> bool:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs) - slack <= x <= max(xs) + slack and min(ys) - slack <= y <= max(ys) + slack
