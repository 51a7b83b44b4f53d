"""Translated labels for the recovery domain's codes (categories, priorities, statuses)."""

from core.i18n import lazy_gettext

CATEGORY = {
    "shelter": lazy_gettext("Shelter"),
    "food": lazy_gettext("Food"),
    "water_sanitation": lazy_gettext("Water and sanitation"),
    "health": lazy_gettext("Health"),
    "psychosocial": lazy_gettext("Psychosocial support"),
    "education": lazy_gettext("Education"),
    "logistics": lazy_gettext("Logistics"),
    "debris_removal": lazy_gettext("Debris removal"),
    "construction": lazy_gettext("Construction"),
    "livelihoods": lazy_gettext("Livelihoods"),
    "protection": lazy_gettext("Protection"),
}
PRIORITY = {
    "critical": lazy_gettext("Critical"),
    "high": lazy_gettext("High"),
    "medium": lazy_gettext("Medium"),
    "low": lazy_gettext("Low"),
}
NEED_STATUS = {
    "open": lazy_gettext("Open"),
    "partially_met": lazy_gettext("Partially met"),
    "met": lazy_gettext("Met"),
    "closed": lazy_gettext("Closed"),
    "cancelled": lazy_gettext("Cancelled"),
}
TASK_STATUS = {
    "todo": lazy_gettext("To do"),
    "in_progress": lazy_gettext("In progress"),
    "blocked": lazy_gettext("Blocked"),
    "done": lazy_gettext("Done"),
}
INCIDENT_STATUS = {
    "response": lazy_gettext("Response"),
    "recovery": lazy_gettext("Recovery"),
    "closed": lazy_gettext("Closed"),
}
AREA_LEVEL = {
    "county": lazy_gettext("County"),
    "township": lazy_gettext("Township"),
    "village": lazy_gettext("Village"),
}
REPORT_STATUS = {"draft": lazy_gettext("Draft"), "published": lazy_gettext("Published")}
IMPORT_STATUS = {
    "invalid": lazy_gettext("Has errors"),
    "ready": lazy_gettext("Ready to import"),
    "importing": lazy_gettext("Importing"),
    "done": lazy_gettext("Imported"),
    "failed": lazy_gettext("Failed"),
}
FIELDS = {
    "title": lazy_gettext("Title"),
    "category": lazy_gettext("Category"),
    "quantity": lazy_gettext("Quantity"),
    "quantity_met": lazy_gettext("Quantity met"),
    "unit": lazy_gettext("Unit"),
    "priority": lazy_gettext("Priority"),
    "needed_by": lazy_gettext("Needed by"),
    "area_id": lazy_gettext("Area"),
    "lat": lazy_gettext("Latitude"),
    "lon": lazy_gettext("Longitude"),
    "description": lazy_gettext("Description"),
    "status": lazy_gettext("Status"),
    "progress": lazy_gettext("Progress"),
    "blocked_reason": lazy_gettext("Reason it is blocked"),
    "due_on": lazy_gettext("Due on"),
    "responsible_org_id": lazy_gettext("Responsible organization"),
    "completed_on": lazy_gettext("Completed on"),
    "lead_org_id": lazy_gettext("Lead organization"),
    "budget_minor": lazy_gettext("Budget"),
    "currency": lazy_gettext("Currency"),
    "starts_on": lazy_gettext("Starts on"),
}

# Keys other domains use in their "incident.figures" and "project.funds" contributions.
FUNDS = {
    "pledged_minor": lazy_gettext("Pledged"),
    "received_minor": lazy_gettext("Received"),
    "disbursed_minor": lazy_gettext("Disbursed"),
    "spent_minor": lazy_gettext("Spent"),
    "balance_minor": lazy_gettext("Balance"),
    "donations": lazy_gettext("Donations"),
    "donors": lazy_gettext("Donors"),
}

LABELS = {
    "funds": FUNDS,
    "category": CATEGORY,
    "priority": PRIORITY,
    "need_status": NEED_STATUS,
    "task_status": TASK_STATUS,
    "incident_status": INCIDENT_STATUS,
    "area_level": AREA_LEVEL,
    "report_status": REPORT_STATUS,
    "import_status": IMPORT_STATUS,
    "field": FIELDS,
}
