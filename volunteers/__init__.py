"""Volunteers: profiles, shifts, sign-ups and waitlists, attendance, calendar, reminders."""

from datetime import timedelta
from pathlib import Path

from core.domain import Domain, Periodic, imported_on_call
from volunteers import routes, service
from volunteers.service import home, search

DOMAIN = Domain(
    name="volunteers",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    providers={
        "incident.figures": [service.incident_figures],
        "incident.map_marks": [service.map_marks],
        "home.panels": [home.home_panel],
    },
    search=search.SOURCES,
    after_register=[service.on_register],
    columns={"need.helpers": [service.NEED_HELPERS]},
    account_deletion=[service.erase_volunteer_data],
    demo=imported_on_call("volunteers.demo", "load"),
    jobs={
        "volunteers.remind_shifts": service.remind_shifts,
        "volunteers.mail": service.send_shift_mail,
    },
    periodic=[Periodic("volunteers.remind_shifts", timedelta(minutes=15))],
)
