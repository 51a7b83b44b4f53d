"""Errors raised by the residents domain."""

from core.errors import Conflict, InvalidInput, NotFound


class HelpRequestNotFound(NotFound):
    code = "help_request_not_found"


class RequestClosed(Conflict):
    code = "help_request_closed"


class InvalidMerge(InvalidInput):
    code = "invalid_merge"


class SurveyNotFound(NotFound):
    code = "survey_not_found"
