"""Recovery: incidents, areas, needs, projects and tasks, supervision, reports, public pages."""

from pathlib import Path

from core import audit
from core.domain import Domain
from recovery import demo, labels, routes

DOMAIN = Domain(
    name="recovery",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    demo=demo.load,
    template_globals={
        "L": labels.LABELS,
        "label": labels.label,
        "incident_options": labels.options,
        "org_options": labels.options,
        "zone_options": labels.zone_options,
        "audit_changes": audit.changes,
    },
)
