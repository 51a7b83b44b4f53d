"""Translated names and colours for the recovery domain's codes, on every page and chart."""

from core.i18n import lazy_gettext
from core.models import OrgKind
from recovery.models import NeedStatus, Priority

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
    "response": lazy_gettext("Emergency response"),
    "recovery": lazy_gettext("Recovery"),
    "closed": lazy_gettext("Closed"),
    "exercise": lazy_gettext("Exercise"),
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
    "published_at": lazy_gettext("Published at"),
    "body_markdown": lazy_gettext("Text"),
}

ORG_KIND = {
    OrgKind.government: lazy_gettext("Government agency"),
    OrgKind.ngo: lazy_gettext("NGO"),
    OrgKind.company: lazy_gettext("Company"),
    OrgKind.community: lazy_gettext("Community group"),
}
# Keys of the volunteers domain's "incident.figures" contribution.
VOLUNTEERS = {
    "registered": lazy_gettext("Volunteers registered"),
    "active": lazy_gettext("Active volunteers"),
    "signups": lazy_gettext("Shift sign-ups"),
    "shifts": lazy_gettext("Shifts"),
    "places_filled": lazy_gettext("Places filled"),
    "volunteers": lazy_gettext("Volunteers who served"),
    "hours": lazy_gettext("Hours given"),
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
    "org_kind": ORG_KIND,
    "volunteers": VOLUNTEERS,
}

# Colours with at least 3:1 contrast against white (WCAG 1.4.11, graphical objects).
NEED_STATUS_COLORS = {
    NeedStatus.open: "#b3261e",
    NeedStatus.partially_met: "#8a5a00",
    NeedStatus.met: "#1e7b34",
    NeedStatus.closed: "#555d66",
}
PRIORITY_COLORS = {
    Priority.critical: "#b3261e",
    Priority.high: "#c25400",
    Priority.medium: "#7a6100",
    Priority.low: "#3d6b8c",
}


def label(mapping: dict, code: str) -> str:
    """The translated name of a code, or the code itself for values added later."""
    found = mapping.get(code)
    return str(found) if found is not None else code


def options(rows) -> list[tuple[int, str]]:
    """(id, name) pairs of incidents or organizations, for a select."""
    return [(row.id, row.name) for row in rows]


def zone_options(zones: tuple[str, ...], current: str | None) -> list[tuple[str, str]]:
    """The offered time zones, plus the current one when it is not among them."""
    names = list(zones) + ([current] if current and current not in zones else [])
    return [(name, name) for name in names]
