"""Errors raised by the preparedness domain."""

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class TeamNotFound(NotFound):
    code = "team_not_found"


class DeploymentNotFound(NotFound):
    code = "deployment_not_found"


class NotTeamMember(Forbidden):
    code = "not_team_member"


class ZoneFull(Conflict):
    code = "zone_full"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class NotCertified(Conflict):
    code = "not_certified"


class InvalidTeam(InvalidInput):
    code = "invalid_team"
