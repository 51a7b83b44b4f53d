"""The volunteers domain's service functions; the only surface other domains may call."""

from volunteers.service.account import delete_account, erase_volunteer_data, export_data
from volunteers.service.attendance import (
    attendance_result,
    check_in,
    check_out,
    record_attendance,
)
from volunteers.service.browse import incident_zones
from volunteers.service.counts import NEED_HELPERS, incident_figures, map_marks
from volunteers.service.mail import send_shift_mail
from volunteers.service.profiles import (
    ensure_profile,
    hours,
    on_register,
    profile_view,
    total_minutes,
    update_profile,
)
from volunteers.service.recommend import rank, score
from volunteers.service.reminders import queue_reminders, remind_shifts
from volunteers.service.roster import roster
from volunteers.service.shifts import (
    can_manage,
    cancel_shift,
    create_shift,
    get_shift,
    list_shifts,
    update_shift,
)
from volunteers.service.signups import (
    cancel_signup,
    my_signups,
    queue_position,
    sign_up,
    signup_list,
    statuses_for,
)

__all__ = [
    "attendance_result",
    "can_manage",
    "cancel_shift",
    "cancel_signup",
    "check_in",
    "check_out",
    "create_shift",
    "delete_account",
    "ensure_profile",
    "erase_volunteer_data",
    "export_data",
    "incident_zones",
    "get_shift",
    "hours",
    "incident_figures",
    "map_marks",
    "list_shifts",
    "my_signups",
    "NEED_HELPERS",
    "on_register",
    "profile_view",
    "queue_position",
    "queue_reminders",
    "remind_shifts",
    "rank",
    "record_attendance",
    "roster",
    "score",
    "send_shift_mail",
    "sign_up",
    "signup_list",
    "statuses_for",
    "total_minutes",
    "update_profile",
    "update_shift",
]
