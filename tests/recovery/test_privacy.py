"""No email address or phone number on any public page or in any export."""

import re

import pytest

from tests.recovery.seed import EMAILS, PHONES

pytestmark = pytest.mark.asyncio

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")


def public_paths(seeded) -> list[str]:
    incident = seeded.incident.id
    paths = [
        "/",
        "/data",
        "/organizations",
        f"/incidents/{incident}",
        f"/incidents/{seeded.other_incident.id}",
    ]
    paths += [f"/incidents/{incident}/map.svg", f"/incidents/{incident}/map.geojson"]
    paths += [f"/organizations/{org.id}" for org in seeded.orgs.values()]
    for name in ("needs", "3w"):
        paths += [f"/api/v1/export/{name}.csv", f"/api/v1/export/{name}.json?limit=10000"]
        paths += [f"/api/v1/export/{name}.csv?incident_id={incident}"]
    return paths


async def test_no_email_or_phone_on_public_pages_or_exports(client, seeded):
    for path in public_paths(seeded):
        for locale in ("en", "zh-CN"):
            response = await client.get(path, headers={"Accept-Language": locale})
            assert response.status_code == 200, path
            text = response.text
            for value in EMAILS + PHONES + [seeded.admin.email]:
                assert value not in text, f"{value} leaked on {path}"
            assert not EMAIL.findall(text), f"an email address on {path}"
            assert not PHONE.findall(text), f"a phone number on {path}"


async def test_phone_pattern_catches_the_seeded_numbers():
    for phone in PHONES:
        assert PHONE.search(f"call {phone} now")
    assert not PHONE.search("2026-11-22 30.55 114.35 1234500")
