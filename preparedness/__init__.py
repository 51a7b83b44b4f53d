"""Preparedness: rescue and relief teams, deployments by zone, reserves and early warning."""

from datetime import timedelta
from pathlib import Path

from core.domain import Domain, Periodic, imported_on_call
from preparedness import routes, service
from preparedness.labels import CAPABILITIES, DEPLOYMENT_STATUS, INCIDENT_TYPES, LEVELS

DOMAIN = Domain(
    name="preparedness",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    demo=imported_on_call("preparedness.demo", "load"),
    template_globals={
        "capabilities": CAPABILITIES,
        "deployment_statuses": DEPLOYMENT_STATUS,
        "response_levels": LEVELS,
        "incident_types": INCIDENT_TYPES,
    },
    providers={
        "matching.offers": [service.sync_offers],
        "offer.source": [service.offer_source],
        "match.accepted": [service.hold_for_match],
        "match.fulfilled": [service.issue_for_match],
    },
    jobs={
        "preparedness.remind_certifications": service.remind_certifications,
        "preparedness.stock_alerts": service.stock_alerts,
        "preparedness.send_alert": service.send_alert,
    },
    periodic=[
        Periodic("preparedness.remind_certifications", timedelta(days=1)),
        Periodic("preparedness.stock_alerts", timedelta(days=1)),
    ],
)
