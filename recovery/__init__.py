"""Recovery: incidents, areas, needs, projects and tasks, supervision, reports, public pages."""

from datetime import timedelta
from pathlib import Path

from starlette.routing import Router

from core import audit
from core.domain import Domain, Periodic, imported_on_call
from recovery import labels, routes
from recovery.service import escalation, home, reminders, search

DOMAIN = Domain(
    name="recovery",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    demo=imported_on_call("recovery.demo", "load"),
    providers={"home.panels": [home.home_panel]},
    search=search.SOURCES,
    template_globals={
        "L": labels.LABELS,
        "label": labels.label,
        "incident_options": labels.options,
        "org_options": labels.options,
        "zone_options": labels.zone_options,
        "audit_changes": audit.changes,
        # For the point picker macro, which is built once, without a request to reverse with.
        "map_extent_path": str(Router(routes.routes).url_path_for("map_extent")),
    },
    jobs={
        "recovery.morning_reminders": reminders.morning_reminders,
        "recovery.escalate_tasks": escalation.escalate_overdue_tasks,
    },
    # Hourly, so each incident's zone gets its mail in its own morning hour.
    periodic=[
        Periodic("recovery.morning_reminders", timedelta(hours=1)),
        Periodic("recovery.escalate_tasks", timedelta(hours=1)),
    ],
)
