"""HTTP routes of the recovery domain: official pages, public pages and /api/v1 operations."""

from recovery.public import routes as public

routes: list = [*public.routes]
api_routes: list = [*public.api_routes]
nav: list = [*public.nav]
