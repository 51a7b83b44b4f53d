"""The recovery domain's service functions; other domains call these, never the tables."""

from recovery.labels import CATEGORY as CATEGORY_LABELS
from recovery.labels import PRIORITY as PRIORITY_LABELS
from recovery.models import PRIORITY_RANK, Category, NeedStatus, Priority
from recovery.schemas import NeedCreate, ProjectCreate, TaskCreate
from recovery.service.access import acting_incident_ids, can_act, ensure_can_act
from recovery.service.escalation import escalate
from recovery.service.home import unserved_needs
from recovery.service.incidents import (
    area_choices,
    area_with_descendants,
    incident_choices,
    incident_today,
    list_incidents,
    set_area_agency,
)
from recovery.service.lookup import get_area, get_incident, get_need, get_project, get_task
from recovery.service.needs import (
    create_need,
    derive_status,
    need_rows,
    open_need_rows,
    open_needs,
    record_fulfilment,
)
from recovery.service.projects import create_project, incident_projects, project_currency
from recovery.service.supervision import latest_escalations
from recovery.service.tasks import create_task, project_tasks

# The vocabulary other domains share with needs (categories, priorities, statuses) comes too.
__all__ = [
    "CATEGORY_LABELS",
    "PRIORITY_LABELS",
    "PRIORITY_RANK",
    "Category",
    "NeedCreate",
    "NeedStatus",
    "ProjectCreate",
    "TaskCreate",
    "Priority",
    "area_choices",
    "area_with_descendants",
    "acting_incident_ids",
    "can_act",
    "create_need",
    "create_project",
    "create_task",
    "ensure_can_act",
    "escalate",
    "derive_status",
    "get_area",
    "get_incident",
    "get_need",
    "get_project",
    "get_task",
    "incident_choices",
    "incident_projects",
    "incident_today",
    "latest_escalations",
    "list_incidents",
    "need_rows",
    "open_need_rows",
    "unserved_needs",
    "open_needs",
    "project_currency",
    "project_tasks",
    "record_fulfilment",
    "set_area_agency",
]
