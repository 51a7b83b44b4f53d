"""Donations: capacity offers, in-kind pledges, money, disbursements, the public ledger."""

from pathlib import Path

from core.domain import Domain, imported_on_call
from donations import labels, routes, service
from donations.service import home, matching

DOMAIN = Domain(
    name="donations",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={
        "incident.figures": [service.incident_funds],
        "organization.record": [service.organization_record],
        "supervision.items": [service.overdue_disclosures],
        "home.panels": [home.home_panel],
    },
    columns={"need.helpers": [service.NEED_HELPERS], "project.funds": [service.PROJECT_FUNDS]},
    account_deletion=[service.forget_donor],
    demo=imported_on_call("donations.demo", "load"),
    jobs={matching.JOB: matching.run_job},
    template_globals={"reason_text": labels.reason_text},
)
