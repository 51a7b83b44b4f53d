"""core.live: one rendering per key for all of a worker's streams, however its first asker
fares, and tags that name what a page's live sections show."""

import asyncio

import pytest

from core.live import Renderings, block_name, live_tag


@pytest.mark.asyncio
async def test_concurrent_streams_of_one_key_share_one_rendering():
    renderings, calls = Renderings(), []
    release = asyncio.Event()

    async def build():
        calls.append(1)
        await release.wait()
        return "html"

    waiting = [asyncio.create_task(renderings.get("k", build)) for _ in range(5)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiting) == ["html"] * 5
    assert calls == [1]
    # Done: served without building again; another key builds its own.
    assert await renderings.get("k", build) == "html" and calls == [1]
    assert await renderings.get("other", build) == "html" and calls == [1, 1]


@pytest.mark.asyncio
async def test_when_the_renderer_leaves_a_waiter_renders_in_its_place():
    renderings, started = Renderings(), []
    gate = asyncio.Event()

    async def build():
        started.append(asyncio.current_task())
        await gate.wait()
        return len(started)

    first = asyncio.create_task(renderings.get("k", build))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(renderings.get("k", build))
    await asyncio.sleep(0.01)
    first.cancel()  # its client went away mid-rendering
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.sleep(0.01)
    gate.set()
    assert await second == 2
    assert started[1] is second


@pytest.mark.asyncio
async def test_a_failed_rendering_is_not_kept():
    renderings, tries = Renderings(), []

    async def build():
        tries.append(1)
        if len(tries) == 1:
            raise RuntimeError("database went away")
        return "ok"

    with pytest.raises(RuntimeError):
        await renderings.get("k", build)
    assert await renderings.get("k", build) == "ok"


@pytest.mark.asyncio
async def test_only_the_last_renderings_are_kept():
    renderings = Renderings(size=2)

    async def build():
        return object()

    first = await renderings.get(1, build)
    await renderings.get(2, build)
    await renderings.get(3, build)
    assert await renderings.get(1, build) is not first


def test_tags_are_stable_names_of_their_parts():
    assert live_tag(1, (3, 4), "en") == live_tag(1, (3, 4), "en")
    assert live_tag(1, (3, 4), "en") != live_tag(1, (3, 5), "en")
    assert live_tag(1, (3, 4), "en") != live_tag(1, (3, 4), "zh_Hans")
    assert block_name("live-funds") == "live_funds"
