"""One "met" figure everywhere: the average share of each need met, whatever its unit."""

import pytest
from lxml import html

from tests.recovery.test_reports import report

pytestmark = pytest.mark.asyncio


async def test_one_met_figure_on_the_dashboard_the_home_page_and_a_report(client, setup):
    tents = await setup.need(quantity=10, unit="tents")
    await setup.need(quantity=1000, unit="litres")
    await setup.need(quantity=4, unit="pumps")
    await client.patch(
        f"/api/v1/needs/{tents['id']}", json={"quantity_met": 10}, headers=setup.headers
    )
    # (1 + 0 + 0) / 3 needs = 33.3 %; adding quantities up (10 of 1,014) would say 1 %.
    incident = html.fromstring((await client.get(f"/incidents/{setup.incident['id']}")).text)
    stats = dict(
        zip(
            incident.xpath("//dl[@id='live-stats']//dt/text()"),
            incident.xpath("//dl[@id='live-stats']//dd/text()"),
            strict=True,
        )
    )
    assert stats["Met on average"] == "33%"
    needs = " ".join(incident.xpath("//section[@id='live-needs']/p")[0].text_content().split())
    assert "Met on average: 33%" in needs and "Needs fully met: 1 of 3." in needs
    home = html.fromstring((await client.get("/")).text)
    assert "33%" in home.xpath("//li[@class='card']//dd")[1].text_content()

    draft = await report(setup)
    published = await client.post(f"/api/v1/reports/{draft['id']}/publish", headers=setup.headers)
    snapshot = published.json()["snapshot"]["needs"]
    assert snapshot["average_met_percent"] == 33.3 and snapshot["met"] == 1
    assert "quantity_met_percent" not in snapshot
    page = html.fromstring((await client.get(f"/reports/{draft['id']}")).text)
    facts = [" ".join(t.text_content().split()) for t in page.xpath("//dl[@class='facts']/*")]
    assert facts[0] == "Met on average" and facts[1].startswith("33%")
    assert "Needs fully met" in facts
