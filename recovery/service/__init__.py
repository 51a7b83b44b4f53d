"""The recovery domain's service functions; other domains call these, never the tables."""

from recovery.service.lookup import get_area, get_incident, get_need, get_project, get_task
from recovery.service.needs import derive_status, open_needs, record_fulfilment

__all__ = [
    "derive_status",
    "get_area",
    "get_incident",
    "get_need",
    "get_project",
    "get_task",
    "open_needs",
    "record_fulfilment",
]
