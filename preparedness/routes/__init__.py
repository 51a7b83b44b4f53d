"""The preparedness domain's one route table: pages and /api/v1 operations."""

from starlette.routing import Route

from core import api
from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from preparedness.routes import alerts, deployments, plans, reserves, teams
from preparedness.schemas import (
    Activate,
    ActivationOut,
    AfterAction,
    AlertCreate,
    AlertReceipt,
    AlertSubscribe,
    CapabilityOut,
    CheckOut,
    DailyReportIn,
    DailyReportOut,
    DeploymentCreate,
    DeploymentOut,
    DeploymentQuery,
    MovementIn,
    MovementOut,
    PlanCreate,
    PlanOut,
    PlanSummary,
    Position,
    ReserveTotal,
    StockList,
    SubscriptionReceipt,
    TeamList,
    TeamOut,
    TeamProfile,
    TeamQuery,
    WarehouseCreate,
    WarehouseOut,
    ZoneIn,
    ZoneOut,
)

OFFICIAL = (Role.official,)
MEMBER = (Role.ngo, Role.official)
TAGS = ["preparedness"]
POST = ["POST"]

routes = [
    Route("/alerts", alerts.alerts_page, methods=["GET", "POST"], name="alerts"),
    Route("/alerts.atom", alerts.atom, name="alerts_atom"),
    Route("/alerts/{id:int}.cap", alerts.cap_document, name="alert_cap"),
    Route(
        "/alerts/subscriptions/{token:str}",
        alerts.confirm_page,
        methods=["GET", "POST"],
        name="alert_confirm",
    ),
    Route(
        "/alerts/unsubscribe/{token:str}",
        alerts.unsubscribe_page,
        methods=["GET", "POST"],
        name="alert_unsubscribe",
    ),
    Route("/reserves", reserves.totals_page, name="reserves"),
    Route("/teams/{id:int}", teams.team_page, name="team"),
    Route("/incidents/{id:int}/coordination", deployments.coordination_page, name="coordination"),
    Route("/plans", plans.plans_page, name="plans"),
    Route("/plans/new", plans.plan_new, methods=["GET", "POST"], name="plan_new"),
    Route("/plans/{id:int}", plans.plan_page, name="plan"),
    Route(
        "/incidents/{id:int}/plans",
        plans.activate_page,
        methods=["GET", "POST"],
        name="incident_plans",
    ),
]

api_routes = [
    api.ApiRoute(
        "/organizations/{id:int}/team",
        teams.save_api,
        methods=["PUT"],
        name="team_save",
        body=TeamProfile,
        response=TeamOut,
        roles=MEMBER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/organizations/{id:int}/team",
        teams.view_api,
        name="team_view",
        response=TeamOut,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/teams/capabilities",
        teams.capabilities_api,
        name="team_capabilities",
        response=list[CapabilityOut],
        tags=TAGS,
    ),
    api.ApiRoute(
        "/teams",
        teams.search_api,
        name="team_search",
        query=TeamQuery,
        response=TeamList,
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/areas/{id:int}/zone",
        deployments.zone_api,
        methods=["PUT"],
        name="zone_set",
        body=ZoneIn,
        response=ZoneOut,
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/deployments",
        deployments.create_api,
        methods=POST,
        name="deployment_create",
        body=DeploymentCreate,
        response=DeploymentOut,
        status_code=201,
        roles=OFFICIAL,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/deployments",
        deployments.list_api,
        name="deployment_list",
        query=DeploymentQuery,
        response=api.Page[DeploymentOut],
        roles=OFFICIAL,
        tags=TAGS,
    ),
    *(
        api.ApiRoute(
            f"/deployments/{{id:int}}/{action}",
            handler,
            methods=POST,
            name=f"deployment_{action.replace('-', '_')}",
            body=body,
            response=DeploymentOut,
            roles=MEMBER,
            tags=TAGS,
            errors=(409,),
        )
        for action, handler, body in (
            ("accept", deployments.accept_api, None),
            ("decline", deployments.decline_api, None),
            ("check-in", deployments.check_in_api, Position),
            ("check-out", deployments.check_out_api, CheckOut),
        )
    ),
    api.ApiRoute(
        "/deployments/{id:int}/reports",
        deployments.report_api,
        methods=POST,
        name="deployment_report",
        body=DailyReportIn,
        response=DailyReportOut,
        status_code=201,
        roles=MEMBER,
        tags=TAGS,
        errors=(409,),
    ),
]

api_routes += [
    api.ApiRoute(
        "/warehouses",
        reserves.create_api,
        methods=POST,
        name="warehouse_create",
        body=WarehouseCreate,
        response=WarehouseOut,
        status_code=201,
        roles=MEMBER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/warehouses/{id:int}/stock",
        reserves.stock_api,
        name="warehouse_stock",
        response=StockList,
        roles=MEMBER,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/warehouses/{id:int}/movements",
        reserves.movement_api,
        methods=POST,
        name="warehouse_movement",
        body=MovementIn,
        response=list[MovementOut],
        status_code=201,
        roles=MEMBER,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/reserves/totals",
        reserves.totals_api,
        name="reserve_totals",
        response=list[ReserveTotal],
        tags=TAGS,
    ),
]

api_routes += [
    api.ApiRoute(
        "/alerts",
        alerts.create_api,
        methods=POST,
        name="alert_create",
        body=AlertCreate,
        response=AlertReceipt,
        status_code=201,
        roles=OFFICIAL,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/alert-subscriptions",
        alerts.subscribe_api,
        methods=POST,
        name="alert_subscribe",
        body=AlertSubscribe,
        response=SubscriptionReceipt,
        status_code=202,
        tags=TAGS,
    ),
]

api_routes += [
    api.ApiRoute(
        "/plans",
        plans.create_api,
        methods=POST,
        name="plan_create",
        body=PlanCreate,
        response=PlanOut,
        status_code=201,
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/plans",
        plans.list_api,
        name="plan_list",
        query=api.Pagination,
        response=api.Page[PlanSummary],
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/plans/{id:int}",
        plans.view_api,
        name="plan_view",
        response=PlanOut,
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/incidents/{id:int}/activate-plan",
        plans.activate_api,
        methods=POST,
        name="plan_activate",
        body=Activate,
        response=ActivationOut,
        status_code=201,
        roles=OFFICIAL,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/incidents/{id:int}/after-action",
        plans.after_action_api,
        name="after_action",
        response=AfterAction,
        roles=OFFICIAL,
        tags=TAGS,
    ),
]

nav = [
    NavItem(lazy_gettext("Alerts"), "preparedness:alerts", order=68),
    NavItem(lazy_gettext("Reserves"), "preparedness:reserves", order=70),
    NavItem(lazy_gettext("Emergency plans"), "preparedness:plans", roles=OFFICIAL, order=72),
]
