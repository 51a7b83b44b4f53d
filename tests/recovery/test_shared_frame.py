"""The layout kept once for signed-out visitors' shared pages: each language has its own, each
page its own path in the language form, and a signed-in visitor's page keeps their name,
their token and their links."""

import pytest
from lxml import html

from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


def _header(response) -> str:
    """The header, with the page's own path (the language form's `next`) taken out."""
    header = html.fromstring(response.text).find(".//header")
    following = header.find(".//input[@name='next']")
    assert following.get("value") == response.url.path
    following.set("value", "")
    return html.tostring(header).decode()


async def test_each_language_has_its_own_frame(client, seeded):
    url = f"/needs/{seeded.needs[0].id}"
    english = await client.get(url, headers={"Accept-Language": "en"})
    chinese = await client.get(url, headers={"Accept-Language": "zh-Hans"})
    again = await client.get(f"/needs/{seeded.needs[1].id}", headers={"Accept-Language": "en"})
    assert 'lang="en"' in english.text and 'lang="zh-Hans"' in chinese.text
    assert _header(english) != _header(chinese)
    assert _header(again) == _header(english)


async def test_a_signed_in_page_keeps_its_own_frame(client, factory, seeded):
    url = f"/needs/{seeded.needs[0].id}"
    anonymous = await client.get(url)
    user = await factory.user(name="Volunteer Lin")
    await sign_in(client, user.email)
    signed_in = await client.get(url)
    assert "Sign out" in signed_in.text and "Sign out" not in anonymous.text
    assert 'name="csrftoken" value="' in _header(signed_in)
    assert "csrftoken" not in _header(anonymous)
    # The shared frame is still the signed-out one for the next anonymous visitor.
    client.cookies.clear()
    assert _header(await client.get(f"/needs/{seeded.needs[1].id}")) == _header(anonymous)
