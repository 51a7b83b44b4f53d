"""Residents: affected people's help requests, their triage and the follow-up to the end."""

from pathlib import Path

from core.domain import Domain
from residents import demo, routes, service
from residents.models import STATUS

DOMAIN = Domain(
    name="residents",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={"organization.record": [service.organization_record]},
    demo=demo.load,
    template_globals={"statuses": STATUS},
)
