"""Donations: capacity offers, in-kind pledges, money, disbursements, the public ledger."""

from pathlib import Path

from core.domain import Domain
from donations import demo, routes
from donations.service import figures, matching

DOMAIN = Domain(
    name="donations",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={
        "incident.figures": [figures.incident_funds],
        "project.funds": [figures.project_funds],
        "need.helpers": [matching.need_helpers],
        "organization.record": [matching.organization_record],
    },
    demo=demo.load,
)
