"""The volunteers domain's one route table: pages, /api/v1 operations and header links."""

from starlette.routing import Route

from core import api
from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from volunteers.routes import account, attendance, calendar, profile, shifts, signups
from volunteers.schemas import (
    AttendanceCreate,
    AttendanceResult,
    CalendarLink,
    CertificatePublic,
    MySignup,
    ProfilePublic,
    ProfileUpdate,
    RosterEntry,
    ShiftCreate,
    ShiftPublic,
    ShiftQuery,
    ShiftUpdate,
    SignupResult,
)

ORGANIZERS = (Role.official, Role.ngo)
VOLUNTEER = (Role.volunteer,)
TAGS = ["volunteers"]
POST = ["POST"]
FORM = ["GET", "POST"]

routes = [
    Route("/volunteers/shifts", shifts.shifts_page, name="shifts"),
    Route("/volunteers/shifts/new", shifts.new_shift_page, methods=FORM, name="new_shift"),
    Route("/volunteers/shifts/{id:int}", shifts.shift_page, name="shift"),
    Route(
        "/volunteers/shifts/{id:int}/edit", shifts.edit_shift_page, methods=FORM, name="edit_shift"
    ),
    Route(
        "/volunteers/shifts/{id:int}/cancel",
        shifts.cancel_shift_page,
        methods=POST,
        name="cancel_shift",
    ),
    Route("/volunteers/shifts/{id:int}/signup", signups.sign_up_page, methods=POST, name="signup"),
    Route(
        "/volunteers/shifts/{id:int}/cancel-signup",
        signups.cancel_signup_page,
        methods=POST,
        name="cancel_signup",
    ),
    Route(
        "/volunteers/shifts/{id:int}/attendance",
        attendance.attendance_page,
        methods=POST,
        name="attendance",
    ),
    Route("/volunteers/organize", shifts.organize_page, name="organize"),
    Route("/volunteers/me", profile.me_page, methods=FORM, name="me"),
    Route("/volunteers/me/calendar", calendar.calendar_link_page, methods=POST, name="calendar"),
    Route("/volunteers/me/shifts.ics", calendar.calendar_download, name="ics"),
    Route("/volunteers/me/certificate.pdf", account.certificate, name="certificate"),
    Route("/volunteers/me/export.json", account.export, name="export"),
    Route("/certificates/{code:str}", account.certificate_check_page, name="certificate_check"),
    Route("/volunteers/me/delete", account.delete_page, methods=FORM, name="delete"),
]

api_routes = [
    api.ApiRoute(
        "/volunteers/me",
        profile.get_me,
        name="volunteer_me",
        response=ProfilePublic,
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me",
        profile.put_me,
        methods=["PUT"],
        name="volunteer_me_update",
        body=ProfileUpdate,
        response=ProfilePublic,
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me",
        account.delete_me,
        methods=["DELETE"],
        name="volunteer_delete",
        status_code=204,
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/export",
        account.export,
        name="volunteer_export",
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/signups",
        signups.my_signups,
        name="volunteer_signups",
        response=api.Page[MySignup],
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/shifts.ics",
        calendar.my_calendar,
        name="volunteer_ics",
        roles=VOLUNTEER,
        tags=TAGS,
        content_type="text/calendar",
    ),
    api.ApiRoute(
        "/volunteers/me/calendar",
        calendar.calendar_link,
        methods=POST,
        name="volunteer_calendar",
        response=CalendarLink,
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/calendar/reset",
        calendar.calendar_reset,
        methods=POST,
        name="volunteer_calendar_reset",
        response=CalendarLink,
        roles=VOLUNTEER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/calendar/{token:str}.ics",
        calendar.calendar_feed,
        name="volunteer_calendar_feed",
        tags=TAGS,
        content_type="text/calendar",
    ),
    api.ApiRoute(
        "/volunteers/me/certificate.pdf",
        account.certificate,
        name="volunteer_certificate",
        roles=VOLUNTEER,
        tags=TAGS,
        content_type="application/pdf",
    ),
    api.ApiRoute(
        "/certificates/{code:str}",
        account.certificate_check,
        name="certificate_check",
        response=CertificatePublic,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts",
        shifts.create_shift,
        methods=POST,
        name="shifts_create",
        body=ShiftCreate,
        response=ShiftPublic,
        status_code=201,
        roles=ORGANIZERS,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts",
        shifts.list_shifts,
        name="shifts",
        query=ShiftQuery,
        response=api.Page[ShiftPublic],
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}", shifts.get_shift, name="shift", response=ShiftPublic, tags=TAGS
    ),
    api.ApiRoute(
        "/shifts/{id:int}",
        shifts.update_shift,
        methods=["PATCH"],
        name="shift_update",
        body=ShiftUpdate,
        response=ShiftPublic,
        roles=ORGANIZERS,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/shifts/{id:int}/cancel",
        shifts.cancel_shift,
        methods=POST,
        name="shift_cancel",
        response=ShiftPublic,
        roles=ORGANIZERS,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signup",
        signups.sign_up_api,
        methods=POST,
        name="shift_signup",
        response=SignupResult,
        roles=VOLUNTEER,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signup",
        signups.cancel_signup_api,
        methods=["DELETE"],
        name="shift_signup_cancel",
        response=SignupResult,
        roles=VOLUNTEER,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signups",
        attendance.roster_api,
        name="shift_roster",
        response=api.Page[RosterEntry],
        roles=ORGANIZERS,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/attendance",
        attendance.attendance_api,
        methods=POST,
        name="shift_attendance",
        body=AttendanceCreate,
        response=AttendanceResult,
        roles=ORGANIZERS,
        tags=TAGS,
    ),
]

nav = [
    NavItem(lazy_gettext("Shifts"), "volunteers:shifts", order=30),
    NavItem(lazy_gettext("My volunteering"), "volunteers:me", roles=VOLUNTEER, order=31),
    NavItem(lazy_gettext("Our shifts"), "volunteers:organize", roles=ORGANIZERS, order=32),
]
