"""HTTP routes of the donations domain: pages, htmx fragments and /api/v1 operations."""

from donations import api, pages

routes: list = [*pages.routes]
api_routes: list = [*api.api_routes]
nav: list = [*pages.nav]
