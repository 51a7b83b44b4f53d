"""Translated names for the recovery domain's codes, as the public pages show them."""

from core.i18n import lazy_gettext
from core.models import OrgKind
from recovery import labels
from recovery.models import NeedStatus, Priority

# The recovery domain's own labels, so a category reads the same on every page.
CATEGORY_LABELS = labels.CATEGORY
NEED_STATUS_LABELS = labels.NEED_STATUS
PRIORITY_LABELS = labels.PRIORITY
TASK_STATUS_LABELS = labels.TASK_STATUS

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
