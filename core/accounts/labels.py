"""Translated names for the accounts' codes: roles, kinds and statuses of organizations."""

from core.i18n import lazy_gettext
from core.models import OrgKind, OrgStatus, Role

ROLE = {
    Role.admin: lazy_gettext("Administrator"),
    Role.official: lazy_gettext("Government official"),
    Role.ngo: lazy_gettext("Member of an organization"),
    Role.volunteer: lazy_gettext("Volunteer"),
    Role.donor: lazy_gettext("Donor"),
}
ORG_KIND = {
    OrgKind.government: lazy_gettext("Government agency"),
    OrgKind.ngo: lazy_gettext("NGO"),
    OrgKind.company: lazy_gettext("Company"),
    OrgKind.community: lazy_gettext("Community group"),
}
ORG_STATUS = {
    OrgStatus.pending: lazy_gettext("Pending"),
    OrgStatus.verified: lazy_gettext("Verified"),
    OrgStatus.rejected: lazy_gettext("Rejected"),
}


def account_label(mapping: dict, code: str | None) -> str:
    """The translated name of a code, or the code itself for one added later."""
    found = mapping.get(code)
    return str(found) if found is not None else (code or "")


LABELS = {"role": ROLE, "org_kind": ORG_KIND, "org_status": ORG_STATUS}
