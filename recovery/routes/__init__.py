"""The recovery domain's route table: its pages, its /api/v1 operations and its header links."""

from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from recovery.routes import (
    areas,
    dashboard,
    exports,
    home,
    imports,
    incidents,
    needs,
    organizations,
    projects,
    reports,
    search,
    supervision,
    tasks,
)

routes: list = [
    *dashboard.routes,
    *home.routes,
    *organizations.routes,
    *exports.routes,
    *incidents.routes,
    *areas.routes,
    *needs.routes,
    *imports.routes,
    *projects.routes,
    *tasks.routes,
    *reports.routes,
    *supervision.routes,
    *search.routes,
]
api_routes: list = [
    *exports.api_routes,
    *incidents.api_routes,
    *areas.api_routes,
    *imports.api_routes,
    *needs.api_routes,
    *projects.api_routes,
    *tasks.api_routes,
    *supervision.api_routes,
    *reports.api_routes,
    *search.api_routes,
]
OFFICIALS = (Role.official,)
SIGNED_IN = (Role.official, Role.ngo, Role.volunteer, Role.donor, Role.admin)
nav: list = [
    NavItem(lazy_gettext("My work"), "recovery:my_home", roles=SIGNED_IN, order=10),
    NavItem(lazy_gettext("Needs"), "recovery:needs", order=20),
    NavItem(lazy_gettext("Projects"), "recovery:projects", roles=OFFICIALS, order=21),
    NavItem(lazy_gettext("Our tasks"), "recovery:our_tasks", roles=(Role.ngo,), order=21),
    NavItem(lazy_gettext("Supervision"), "recovery:supervision", roles=OFFICIALS, order=22),
    NavItem(lazy_gettext("Reports"), "recovery:reports", order=23),
    NavItem(
        lazy_gettext("Manage incidents"), "recovery:manage_incidents", roles=OFFICIALS, order=24
    ),
    NavItem(lazy_gettext("Open data"), "recovery:data", order=80),
]
