"""Every public page renders in English and Simplified Chinese, with the right `lang`."""

import pytest

from tests.recovery.pages import doc

pytestmark = pytest.mark.asyncio

# A word each page must show translated: (path template, English, Chinese).
PAGES = [
    ("/", "Disasters in recovery", "灾后"),
    ("/incidents/{incident}", "Needs by category", "按类别划分的需求"),
    ("/organizations/{org}", "Track record on this platform", "在本平台的履约记录"),
    ("/organizations", "track record", "履约记录"),
    ("/data", "Data dictionary", "数据字典"),
]


@pytest.mark.parametrize(("path", "english", "chinese"), PAGES)
async def test_public_page_renders_in_both_languages(client, seeded, path, english, chinese):
    url = path.format(incident=seeded.incident.id, org=seeded.orgs["builders"].id)
    en = await client.get(url, headers={"Accept-Language": "en"})
    zh = await client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert en.status_code == zh.status_code == 200
    assert doc(en).get("lang") == "en"
    assert doc(zh).get("lang") == "zh-Hans"
    assert english in en.text and english not in zh.text
    assert chinese in zh.text


async def test_numbers_and_dates_follow_the_language(client, seeded):
    url = f"/incidents/{seeded.incident.id}"
    en = (await client.get(url, headers={"Accept-Language": "en"})).text
    zh = (await client.get(url, headers={"Accept-Language": "zh-CN"})).text
    started = seeded.incident.started_on
    assert f"{started.strftime('%b')} {started.day}, {started.year}" in en
    assert f"{started.year}年{started.month}月{started.day}日" in zh


async def test_chinese_chart_labels_and_map_title(client, seeded):
    headers = {"Accept-Language": "zh-CN"}
    page = await client.get(f"/incidents/{seeded.incident.id}", headers=headers)
    assert '<title id="c-cat-t">按类别划分的需求</title>' in page.text
    assert "心理社会支持" in page.text
    svg = await client.get(f"/incidents/{seeded.incident.id}/map.svg", headers=headers)
    assert "Riverside floods 的需求" in svg.text
