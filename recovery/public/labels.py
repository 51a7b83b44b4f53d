"""Translated names for the recovery domain's codes, as the public pages show them."""

from core.i18n import lazy_gettext
from core.models import OrgKind
from recovery.models import Category, NeedStatus, Priority, TaskStatus

CATEGORY_LABELS = {
    Category.shelter: lazy_gettext("Shelter"),
    Category.food: lazy_gettext("Food"),
    Category.water_sanitation: lazy_gettext("Water and sanitation"),
    Category.health: lazy_gettext("Health"),
    Category.psychosocial: lazy_gettext("Psychosocial support"),
    Category.education: lazy_gettext("Education"),
    Category.logistics: lazy_gettext("Logistics"),
    Category.debris_removal: lazy_gettext("Debris removal"),
    Category.construction: lazy_gettext("Construction"),
    Category.livelihoods: lazy_gettext("Livelihoods"),
    Category.protection: lazy_gettext("Protection"),
}

NEED_STATUS_LABELS = {
    NeedStatus.open: lazy_gettext("Open"),
    NeedStatus.partially_met: lazy_gettext("Partly met"),
    NeedStatus.met: lazy_gettext("Met"),
    NeedStatus.closed: lazy_gettext("Closed"),
    NeedStatus.cancelled: lazy_gettext("Cancelled"),
}

PRIORITY_LABELS = {
    Priority.critical: lazy_gettext("Critical"),
    Priority.high: lazy_gettext("High"),
    Priority.medium: lazy_gettext("Medium"),
    Priority.low: lazy_gettext("Low"),
}

TASK_STATUS_LABELS = {
    TaskStatus.todo: lazy_gettext("To do"),
    TaskStatus.in_progress: lazy_gettext("In progress"),
    TaskStatus.blocked: lazy_gettext("Blocked"),
    TaskStatus.done: lazy_gettext("Done"),
}

ORG_KIND_LABELS = {
    OrgKind.government: lazy_gettext("Government agency"),
    OrgKind.ngo: lazy_gettext("NGO"),
    OrgKind.company: lazy_gettext("Company"),
    OrgKind.community: lazy_gettext("Community group"),
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
