"""Links to pages that another part of the app may or may not provide, resolved per request."""

from collections.abc import Callable

from starlette.requests import Request
from starlette.routing import NoMatchFound


def optional_url(request: Request) -> Callable[..., str | None]:
    """`url(name, **params)`: the page's URL, or None while no route of that name is mounted.

    The public pages link to need, project and report pages that the recovery domain serves;
    a missing route leaves plain text instead of a broken link or an error.
    """

    def url(name: str, **params) -> str | None:
        try:
            return str(request.url_for(name, **params))
        except NoMatchFound:
            return None

    return url
