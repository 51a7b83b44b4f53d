"""HTTP routes of the donations domain: pages, htmx fragments and /api/v1 operations."""

routes: list = []
api_routes: list = []
nav: list = []
