"""Errors raised by the recovery domain."""

from core.errors import Conflict, NotFound


class IncidentNotFound(NotFound):
    code = "incident_not_found"


class AreaNotFound(NotFound):
    code = "area_not_found"


class NeedNotFound(NotFound):
    code = "need_not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"


class TaskNotFound(NotFound):
    code = "task_not_found"


class ReportNotFound(NotFound):
    code = "report_not_found"


class LikelyDuplicate(Conflict):
    """What a form asks to confirm: something much like it is already recorded."""

    code = "likely_duplicate"


class OverFulfilment(Conflict):
    code = "over_fulfilment"
