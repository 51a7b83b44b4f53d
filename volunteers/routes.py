"""HTTP routes of the volunteers domain: pages, htmx fragments and /api/v1 operations."""

from starlette.routing import Route

from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from volunteers import pages
from volunteers.api import api_routes

routes = [
    Route("/volunteers/shifts", pages.shifts_page, name="shifts"),
    Route(
        "/volunteers/shifts/new",
        pages.new_shift_page,
        methods=["GET", "POST"],
        name="new_shift",
    ),
    Route("/volunteers/shifts/{id:int}", pages.shift_page, name="shift"),
    Route(
        "/volunteers/shifts/{id:int}/edit",
        pages.edit_shift_page,
        methods=["GET", "POST"],
        name="edit_shift",
    ),
    Route(
        "/volunteers/shifts/{id:int}/cancel",
        pages.cancel_shift_action,
        methods=["POST"],
        name="cancel_shift",
    ),
    Route(
        "/volunteers/shifts/{id:int}/signup",
        pages.signup_action,
        methods=["POST"],
        name="signup",
    ),
    Route(
        "/volunteers/shifts/{id:int}/cancel-signup",
        pages.signup_action,
        methods=["POST"],
        name="cancel_signup",
    ),
    Route(
        "/volunteers/shifts/{id:int}/attendance",
        pages.attendance_action,
        methods=["POST"],
        name="attendance",
    ),
    Route("/volunteers/organize", pages.organize_page, name="organize"),
    Route("/volunteers/me", pages.me_page, methods=["GET", "POST"], name="me"),
    Route(
        "/volunteers/me/calendar",
        pages.calendar_action,
        methods=["POST"],
        name="calendar",
    ),
    Route("/volunteers/me/shifts.ics", pages.my_calendar, name="ics"),
    Route("/volunteers/me/certificate.pdf", pages.certificate, name="certificate"),
    Route("/volunteers/me/export.json", pages.export, name="export"),
    Route(
        "/volunteers/me/delete",
        pages.delete_page,
        methods=["GET", "POST"],
        name="delete",
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
