"""The residents domain's service functions; the only surface other domains may call."""

from residents.service.complaints import (
    accountability,
    complaint_view,
    escalate_overdue,
    file_complaint,
    list_complaints,
    organization_record,
    resolve,
)
from residents.service.counts import incident_figures, request_counts
from residents.service.followup import erase_closed, follow_up
from residents.service.requests import by_token, confirm, erase_contacts, submit, track
from residents.service.sms import SmsGateway, handle_inbound, send_pending, send_sms
from residents.service.triage import (
    check_duplicates,
    convert,
    duplicates_of,
    merge,
    queue,
    queue_item,
    reject,
    verify,
)

__all__ = [
    "accountability",
    "complaint_view",
    "escalate_overdue",
    "file_complaint",
    "list_complaints",
    "organization_record",
    "resolve",
    "SmsGateway",
    "by_token",
    "check_duplicates",
    "confirm",
    "convert",
    "duplicates_of",
    "erase_closed",
    "erase_contacts",
    "follow_up",
    "handle_inbound",
    "incident_figures",
    "merge",
    "queue",
    "queue_item",
    "reject",
    "request_counts",
    "send_pending",
    "send_sms",
    "submit",
    "track",
    "verify",
]
