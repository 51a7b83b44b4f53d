"""HTTP routes of the volunteers domain: pages, htmx fragments and /api/v1 operations."""

routes: list = []
api_routes: list = []
nav: list = []
