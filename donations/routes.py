"""HTTP routes of the donations domain: pages, htmx fragments and /api/v1 operations."""

from core.extensions import provide
from donations import api, pages
from donations.service import figures, matching

provide("incident.figures", figures.incident_funds)
provide("project.funds", figures.project_funds)
provide("need.helpers", matching.need_helpers)
provide("organization.record", matching.organization_record)

routes: list = [*pages.routes]
api_routes: list = [*api.api_routes]
nav: list = [*pages.nav]
