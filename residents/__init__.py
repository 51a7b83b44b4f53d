"""Residents: affected people's help requests, their triage and the follow-up to the end."""

from datetime import timedelta
from pathlib import Path

from core.domain import Domain, Periodic, imported_on_call
from residents import routes, service
from residents.models import STATUS, VULNERABLE
from residents.service import home, progress, supervision, surveys

DOMAIN = Domain(
    name="residents",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={
        "organization.record": [service.organization_record],
        "supervision.sections": [supervision.supervision_section],
        "home.panels": [home.home_panel],
        "match.accepted": [progress.help_coming],
        "match.fulfilled": [progress.help_delivered],
    },
    demo=imported_on_call("residents.demo", "load"),
    template_globals={
        "statuses": STATUS,
        "vulnerable_labels": VULNERABLE,
        "localized": surveys.localized,
    },
    jobs={
        "residents.follow_up": service.follow_up,
        "residents.erase_contacts": service.erase_closed,
        "residents.escalate_complaints": service.escalate_overdue,
        "residents.send_sms": service.send_sms,
    },
    # Each sweep acts only on what is due, so a run more or less is harmless; send_sms here
    # picks up texts an earlier failure left behind.
    periodic=[
        Periodic("residents.follow_up", timedelta(hours=1)),
        Periodic("residents.escalate_complaints", timedelta(hours=1)),
        Periodic("residents.erase_contacts", timedelta(days=1)),
        Periodic("residents.send_sms", timedelta(minutes=5)),
    ],
)
