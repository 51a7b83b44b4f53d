"""Re-exports of the shared test helpers, for tests that import them by name."""

from tests.conftest import PASSWORD, csrf_token, sign_in

__all__ = ["PASSWORD", "csrf_token", "sign_in"]
