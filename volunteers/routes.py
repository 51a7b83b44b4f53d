"""HTTP routes of the volunteers domain: pages, htmx fragments and /api/v1 operations."""

from starlette.routing import Route

from core.accounts import service as accounts
from core.extensions import provide
from core.i18n import lazy_gettext
from core.models import Role
from core.web import NavItem
from volunteers import pages, service
from volunteers.api import api_routes
from volunteers.figures import incident_figures, need_helpers

if service.on_register not in accounts.after_register:
    accounts.after_register.append(service.on_register)
provide("incident.figures", incident_figures)
provide("need.helpers", need_helpers)

routes = [
    Route("/volunteers/shifts", pages.shifts_page, name="volunteers:shifts"),
    Route(
        "/volunteers/shifts/new",
        pages.new_shift_page,
        methods=["GET", "POST"],
        name="volunteers:new_shift",
    ),
    Route("/volunteers/shifts/{id:int}", pages.shift_page, name="volunteers:shift"),
    Route(
        "/volunteers/shifts/{id:int}/edit",
        pages.edit_shift_page,
        methods=["GET", "POST"],
        name="volunteers:edit_shift",
    ),
    Route(
        "/volunteers/shifts/{id:int}/cancel",
        pages.cancel_shift_action,
        methods=["POST"],
        name="volunteers:cancel_shift",
    ),
    Route(
        "/volunteers/shifts/{id:int}/signup",
        pages.signup_action,
        methods=["POST"],
        name="volunteers:signup",
    ),
    Route(
        "/volunteers/shifts/{id:int}/cancel-signup",
        pages.signup_action,
        methods=["POST"],
        name="volunteers:cancel_signup",
    ),
    Route(
        "/volunteers/shifts/{id:int}/attendance",
        pages.attendance_action,
        methods=["POST"],
        name="volunteers:attendance",
    ),
    Route("/volunteers/organize", pages.organize_page, name="volunteers:organize"),
    Route("/volunteers/me", pages.me_page, methods=["GET", "POST"], name="volunteers:me"),
    Route(
        "/volunteers/me/calendar",
        pages.calendar_action,
        methods=["POST"],
        name="volunteers:calendar",
    ),
    Route("/volunteers/me/shifts.ics", pages.my_calendar, name="volunteers:ics"),
    Route("/volunteers/me/certificate.pdf", pages.certificate, name="volunteers:certificate"),
    Route("/volunteers/me/export.json", pages.export, name="volunteers:export"),
    Route(
        "/volunteers/me/delete",
        pages.delete_page,
        methods=["GET", "POST"],
        name="volunteers:delete",
    ),
]

nav = [
    NavItem(lazy_gettext("Shifts"), "volunteers:shifts", order=30),
    NavItem(lazy_gettext("My volunteering"), "volunteers:me", roles=(Role.volunteer,), order=31),
    NavItem(
        lazy_gettext("Our shifts"), "volunteers:organize", roles=(Role.official, Role.ngo), order=32
    ),
]

__all__ = ["api_routes", "nav", "routes"]
