"""The volunteers domain's service functions: profiles, shifts, sign-ups, attendance, data."""

from volunteers.service.account import delete_account, export_data
from volunteers.service.attendance import check_in, check_out, record_attendance
from volunteers.service.profiles import (
    calendar_token,
    ensure_profile,
    hours,
    on_register,
    total_minutes,
    update_profile,
    user_by_calendar_token,
)
from volunteers.service.recommend import rank, score
from volunteers.service.reminders import queue_reminders
from volunteers.service.roster import roster
from volunteers.service.shifts import (
    active_signups,
    area_choices,
    can_manage,
    cancel_shift,
    create_shift,
    get_shift,
    list_shifts,
    organization_shifts,
    update_shift,
    waitlist_counts,
)
from volunteers.service.signups import (
    cancel_signup,
    fill_from_waitlist,
    my_signups,
    queue_position,
    sign_up,
    statuses_for,
)

__all__ = [
    "active_signups",
    "area_choices",
    "calendar_token",
    "can_manage",
    "cancel_shift",
    "cancel_signup",
    "check_in",
    "check_out",
    "create_shift",
    "delete_account",
    "ensure_profile",
    "export_data",
    "fill_from_waitlist",
    "get_shift",
    "hours",
    "list_shifts",
    "my_signups",
    "on_register",
    "organization_shifts",
    "queue_position",
    "queue_reminders",
    "rank",
    "roster",
    "record_attendance",
    "score",
    "sign_up",
    "statuses_for",
    "total_minutes",
    "update_profile",
    "update_shift",
    "user_by_calendar_token",
    "waitlist_counts",
]
