"""COMMONS_ENV=production refuses the development secret key, insecure cookies, missing hosts."""

import httpx
import pytest

from core.app import ProductionSettingsError, create_app
from core.settings import Settings

GOOD = {
    "env": "production",
    "secret_key": "k" * 40,
    "secure_cookies": True,
    "allowed_hosts": ["commons.example.org"],
}


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"secret_key": "dev-insecure-change-me"}, "COMMONS_SECRET_KEY"),
        ({"secret_key": "short"}, "COMMONS_SECRET_KEY"),
        ({"secure_cookies": False}, "COMMONS_SECURE_COOKIES"),
        ({"allowed_hosts": []}, "COMMONS_ALLOWED_HOSTS"),
        ({"debug": True}, "COMMONS_DEBUG"),
    ],
)
def test_production_refuses_each_unsafe_setting_by_name(database_url, override, named):
    settings = Settings(database_url=database_url, **{**GOOD, **override})
    with pytest.raises(ProductionSettingsError) as caught:
        create_app(settings)
    assert named in str(caught.value)
    assert str(caught.value).count(";") == 0  # only the one bad setting is named


def test_all_problems_are_named_at_once(database_url):
    settings = Settings(database_url=database_url, env="production")
    with pytest.raises(ProductionSettingsError) as caught:
        create_app(settings)
    for name in ("COMMONS_SECRET_KEY", "COMMONS_SECURE_COOKIES", "COMMONS_ALLOWED_HOSTS"):
        assert name in str(caught.value)


def test_development_accepts_the_defaults(database_url):
    assert Settings(database_url=database_url).production_problems() == []
    create_app(Settings(database_url=database_url))


@pytest.mark.asyncio
async def test_production_answers_only_allowed_hosts(database_url, tmp_path):
    app = create_app(Settings(database_url=database_url, upload_dir=tmp_path, **GOOD))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="https://commons.example.org"
        ) as c:
            assert (await c.get("/healthz")).status_code == 200
        async with httpx.AsyncClient(transport=transport, base_url="https://evil.example") as c:
            assert (await c.get("/healthz")).status_code == 400
