"""Helpers for reading the public pages in tests: tables and figures out of the HTML."""

import re

from lxml import html


def doc(response):
    return html.fromstring(response.text)


def number(text: str) -> int:
    """An integer as the page formats it, in either language (thousands separators dropped)."""
    return int(re.sub(r"[^\d]", "", text))


def table_by_caption(page, caption: str):
    for table in page.iter("table"):
        found = table.find("caption")
        if found is not None and found.text_content().strip() == caption:
            return table
    raise AssertionError(f"no table captioned {caption!r}")


def stats(page) -> dict[str, str]:
    """The first headline figures list: {label: value}."""
    block = page.find_class("stats")[0]
    return {
        div.find("dt").text_content().strip(): div.find("dd").text_content().strip()
        for div in block.findall("div")
    }
