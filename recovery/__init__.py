"""Recovery: incidents, areas, needs, projects and tasks, supervision, reports, public pages."""

from datetime import timedelta
from pathlib import Path

from core import audit
from core.domain import Domain, Periodic
from recovery import demo, labels, routes
from recovery.service import escalation, home, reminders, search

DOMAIN = Domain(
    name="recovery",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    demo=demo.load,
    providers={"home.panels": [home.home_panel]},
    search=search.SOURCES,
    template_globals={
        "L": labels.LABELS,
        "label": labels.label,
        "incident_options": labels.options,
        "org_options": labels.options,
        "zone_options": labels.zone_options,
        "audit_changes": audit.changes,
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
