"""HTTP routes of the recovery domain: official pages, public pages and /api/v1 operations."""

from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from recovery.public import routes as public
from recovery.routes import api, api_work, imports, incidents, needs, projects, reports

routes: list = [
    *public.routes,
    *incidents.routes,
    *needs.routes,
    *projects.routes,
    *reports.routes,
    *imports.routes,
]
api_routes: list = [*public.api_routes, *api.api_routes, *api_work.api_routes]
nav: list = [
    *public.nav,
    NavItem(lazy_gettext("Needs"), "recovery:needs", order=20),
    NavItem(lazy_gettext("Projects"), "recovery:projects", roles=(Role.official,), order=21),
    NavItem(lazy_gettext("Supervision"), "recovery:supervision", roles=(Role.official,), order=22),
    NavItem(lazy_gettext("Reports"), "recovery:reports", order=23),
    NavItem(
        lazy_gettext("Manage incidents"),
        "recovery:manage_incidents",
        roles=(Role.official,),
        order=24,
    ),
]
