"""Templates' url_for gives exactly Starlette's URLs, from a cached lookup per route name."""

import pytest
from starlette.requests import Request
from starlette.routing import NoMatchFound

from core.web import _url_for


def _request(app) -> Request:
    return Request(
        {
            "type": "http",
            "app": app,
            "router": app.router,
            "method": "GET",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
        }
    )


def test_cached_url_for_equals_starlettes(app):
    request = _request(app)
    context = {"request": request}
    cases = [
        ("recovery:home", {}),
        ("recovery:need", {"id": 7}),
        ("recovery:need", {"id": 123456}),
        ("recovery:incident", {"id": 1}),
        ("recovery:needs", {}),
        ("volunteers:shift", {"id": 42}),
    ]
    for _round in range(2):  # the second round is served from the cache
        for name, params in cases:
            assert str(_url_for(context, name, **params)) == str(request.url_for(name, **params))
    assert "_commons_reverse" in app.router.__dict__


def test_unknown_route_still_raises(app):
    with pytest.raises(NoMatchFound):
        _url_for({"request": _request(app)}, "recovery:no_such_page")
