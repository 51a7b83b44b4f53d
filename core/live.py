"""Live sections: the parts of a shared page its event stream pushes, already rendered, so a
change reaches the browser's DOM in the stream itself, with no refetch of the page.

A page names its live sections by id and the tag of what it shows (`live_tag`); its stream
sends a `sections` event, the outer HTML of those elements marked `hx-swap-oob`, whenever the
tag differs from the one the browser holds (the page's, then the last event's id, which
EventSource sends back as Last-Event-ID on a reconnect). htmx's SSE extension swaps them in.
One worker renders a tag once for all its streams (`Renderings`).
"""

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from jinja2_fragments import render_blocks
from starlette.requests import Request

from core.web import SHARED_SCOPE_KEY

OOB = ' hx-swap-oob="true"'
# A section's opening tag: its name, then its attributes.
_OPENING = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)\b[^>]*>")


def live_tag(*parts: Hashable) -> str:
    """A short name for what a page's live sections show: the same parts (an incident, its
    public versions, its "today", the language) give the same tag in every worker."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=9).hexdigest()


def block_name(element_id: str) -> str:
    """The template block that renders the live section `element_id` ("live-funds" is
    block "live_funds"), exactly that one element."""
    return element_id.replace("-", "_")


def render_sections(
    request: Request, name: str, ids: Sequence[str], context: dict[str, Any]
) -> str:
    """The live sections `ids` of page `name`, each rendered alone from its block as every
    anonymous visitor sees it, marked for htmx's out-of-band swap (each replaces the element
    of the same id)."""
    request.scope[SHARED_SCOPE_KEY] = True
    templates = request.app.state.templates
    context = {"request": request, **context}
    for processor in templates.context_processors:
        context.update(processor(request))
    parts = []
    for element_id in ids:
        html = render_blocks(templates.env, name, [block_name(element_id)], context).strip()
        opening = _OPENING.match(html)
        if opening is None or f'id="{element_id}"' not in opening[0]:
            raise LookupError(f"block {block_name(element_id)} of {name} is not #{element_id}")
        tag_end = len(opening[1]) + 1
        parts.append(html[:tag_end] + OOB + html[tag_end:])
    return "\n".join(parts)


class Renderings:
    """What a worker rendered for its streams, by key, the last `size` of them: the first
    stream woken by a change renders (in its own open session, which already read the
    versions in the key: no second connection), the others of the same key wait for that
    one result. Should that stream's client leave mid-way, the next waiter renders."""

    def __init__(self, size: int = 64):
        self.size = size
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
        while key not in self._done:
            running = self._running.get(key)
            if running is None:
                return await self._build(key, build)
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                # The renderer was cancelled, not this task: take its place.
                if running.cancelled() and not asyncio.current_task().cancelling():
                    continue
                raise
        self._done.move_to_end(key)
        return self._done[key]

    async def _build(self, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
        future = self._running[key] = asyncio.get_running_loop().create_future()
        try:
            value = await build()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            # Nobody may be waiting: don't let the loop warn about an unread exception.
            future.exception()
            raise
        finally:
            del self._running[key]
        future.set_result(value)
        self._done[key] = value
        while len(self._done) > self.size:
            self._done.popitem(last=False)
        return value
