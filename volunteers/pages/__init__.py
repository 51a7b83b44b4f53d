"""Volunteer and organizer pages; htmx swaps the sign-up button and the roster in place."""

from volunteers.pages.me import (
    calendar_action,
    certificate,
    delete_page,
    export,
    me_page,
    my_calendar,
)
from volunteers.pages.shifts import (
    attendance_action,
    cancel_shift_action,
    edit_shift_page,
    new_shift_page,
    organize_page,
    shift_page,
    shifts_page,
    signup_action,
)

__all__ = [
    "attendance_action",
    "calendar_action",
    "cancel_shift_action",
    "certificate",
    "delete_page",
    "edit_shift_page",
    "export",
    "me_page",
    "my_calendar",
    "new_shift_page",
    "organize_page",
    "shift_page",
    "shifts_page",
    "signup_action",
]
