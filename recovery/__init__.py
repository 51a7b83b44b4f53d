"""Recovery: incidents, areas, needs, projects and tasks, supervision, reports, public pages."""

from pathlib import Path

from core.domain import Domain
from recovery import demo, routes

DOMAIN = Domain(
    name="recovery",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    demo=demo.load,
)
