"""The preparedness domain's service functions; the only surface other domains may call."""

from preparedness.service import alerts, plans
from preparedness.service.after_action import after_action
from preparedness.service.alerts import send_alert
from preparedness.service.deployments import (
    accept,
    check_in,
    check_out,
    decline,
    get_deployment,
    hours,
    list_deployments,
    request_deployment,
    set_zone,
)
from preparedness.service.reports import coordination, file_report, team_record
from preparedness.service.reserves import (
    create_warehouse,
    move,
    public_totals,
    stock,
    stock_alerts,
)
from preparedness.service.stock_offers import (
    hold_for_match,
    issue_for_match,
    offer_source,
    sync_offers,
)
from preparedness.service.teams import (
    remind_certifications,
    save_team,
    search_teams,
    team_view,
)

__all__ = [
    "after_action",
    "alerts",
    "plans",
    "send_alert",
    "create_warehouse",
    "hold_for_match",
    "issue_for_match",
    "move",
    "offer_source",
    "public_totals",
    "stock",
    "stock_alerts",
    "sync_offers",
    "accept",
    "check_in",
    "check_out",
    "coordination",
    "decline",
    "file_report",
    "get_deployment",
    "hours",
    "list_deployments",
    "remind_certifications",
    "request_deployment",
    "save_team",
    "search_teams",
    "set_zone",
    "team_record",
    "team_view",
]
