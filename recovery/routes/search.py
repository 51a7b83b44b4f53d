"""The site-wide search page: needs, projects, organizations and shifts, public records only."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import domain
from core.db import get_session
from core.web import render

PER_KIND = 20
# Shorter words match nearly everything; longer ones are a typing accident or an attack.
MIN_LENGTH, MAX_LENGTH = 2, 100


async def search_page(request: Request) -> Response:
    text = " ".join((request.query_params.get("q") or "").split())
    error = None
    groups = []
    if text and len(text) < MIN_LENGTH and not any(ord(c) > 0x2E80 for c in text):
        error = "short"
    elif len(text) > MAX_LENGTH:
        error = "long"
    elif text:
        groups = await domain.search(get_session(request), text, PER_KIND)
    status = 400 if error else 200
    context = {
        "q": text,
        "groups": groups,
        "error": error,
        "found": sum(g.total for g in groups),
        "min_length": MIN_LENGTH,
        "max_length": MAX_LENGTH,
    }
    return await render(request, "recovery/search.html", context, status_code=status)


routes = [Route("/search", search_page, name="search")]
