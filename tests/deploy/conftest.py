"""The browser fixtures of tests/e2e, for the live-update browser test through nginx."""

from tests.e2e.conftest import browser, browser_required, second_browser  # noqa: F401
