"""The SVG builders and the optional-link helper, on their own."""

import pytest
from lxml import etree

from recovery.service import charts, map_svg
from recovery.service.dashboard import MapData, MapPoint

SVG = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_scale_to_the_largest_total_and_escape_labels():
    chart = charts.stacked_bars(
        "c",
        "Needs <by> category",
        "A & B",
        [
            ("<script>alert(1)</script>", [(6, "#111"), (0, "#222"), (2, "#333")]),
            ("Food", [(4, "#111")]),
        ],
    )
    tree = etree.fromstring(str(chart))
    assert tree.find(f".//{SVG}title").text == "Needs <by> category"
    assert tree.find(f".//{SVG}desc").text == "A & B"
    assert "<script>" not in str(chart)
    rects = tree.findall(f".//{SVG}rect")
    assert len(rects) == 3  # the zero segment is not drawn
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.3)
    assert widths[2] == pytest.approx(widths[0] / 6 * 4, abs=0.3)
    totals = [t.text for t in tree.findall(f".//{SVG}text")][1::2]
    assert totals == ["8", "4"]


def test_bars_with_nothing_to_show_still_make_a_valid_chart():
    tree = etree.fromstring(str(charts.bars("e", "Empty", "Nothing yet", [])))
    assert tree.findall(f".//{SVG}rect") == []


def test_map_svg_draws_unmet_needs_filled_and_met_needs_as_rings():
    points = [
        MapPoint(1, "Tents", "shelter", "critical", "open", 30.5, 114.3),
        MapPoint(2, "Water", "water_sanitation", "low", "met", 30.6, 114.4),
    ]
    svg = map_svg.map_svg(MapData(points, 2, [("Riverside <County>", 30.55, 114.35)]), "Map & key")
    tree = etree.fromstring(svg)
    circles = tree.findall(f".//{SVG}circle")
    assert [c.get("fill") for c in circles] == ["#fff", "#b3261e"]
    assert tree.find(f".//{SVG}title").text == "Map & key"
    assert "Riverside <County>" in [t.text for t in tree.findall(f".//{SVG}text")]
    for circle in circles:
        assert 0 <= float(circle.get("cx")) <= map_svg.MAP_W
        assert 0 <= float(circle.get("cy")) <= map_svg.MAP_H
    # North is up: the need further north is drawn higher.
    north, south = sorted(circles, key=lambda c: float(c.get("cy")))
    assert north.get("stroke") == "#3d6b8c"


def test_map_svg_of_an_incident_without_points_is_a_plain_valid_image():
    tree = etree.fromstring(map_svg.map_svg(MapData([], 0, []), "Empty"))
    assert tree.findall(f".//{SVG}circle") == []


def test_needs_at_one_place_are_one_dot_with_their_count_and_every_dot_links():
    from lxml import etree

    from recovery.service.dashboard import MapData, MapPoint
    from recovery.service.map_svg import map_svg

    here = [MapPoint(i, f"Tents {i}", "shelter", "high", "open", 30.60, 114.30) for i in (1, 2, 3)]
    there = MapPoint(4, "Water", "water_sanitation", "critical", "met", 30.70, 114.45)
    data = MapData(points=[*here, there], total=4, areas=[("Willow Village", 30.61, 114.31)])
    svg = map_svg(
        data,
        "Needs",
        need_url=lambda i: f"/needs/{i}",
        list_url="/needs?incident_id=1",
        many=lambda count, titles: f"{count} needs here: {titles}",
    )
    tree = etree.fromstring(svg.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    links = {
        a.get("href"): a.findtext("s:title", namespaces=ns) for a in tree.iterfind(".//s:a", ns)
    }
    assert links == {
        "/needs?incident_id=1": "3 needs here: Tents 1, Tents 2, Tents 3",
        "/needs/4": "Water",
    }
    texts = [t.text for t in tree.iterfind(".//s:text", ns)]
    assert "3" in texts and "Willow Village" in texts
    # Without links (the standalone image), the same dots.
    plain = etree.fromstring(map_svg(data, "Needs").encode())
    assert len(plain.findall(".//s:circle", ns)) == 2 and not plain.findall(".//s:a", ns)
