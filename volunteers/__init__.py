"""Volunteers: profiles, shifts, sign-ups and waitlists, attendance, calendar, mail delivery."""

from pathlib import Path

from core.domain import Domain
from volunteers import demo, routes, service

DOMAIN = Domain(
    name="volunteers",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={
        "incident.figures": [service.incident_figures],
        "need.helpers": [service.need_helpers],
    },
    after_register=[service.on_register],
    account_deletion=[service.erase_volunteer_data],
    demo=demo.load,
)
