"""The residents domain's one route table: pages, /api/v1 operations and header links."""

from starlette.routing import Route

from core import api
from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from residents.routes import complaints, requests, sms, surveys, triage
from residents.schemas import (
    Accountability,
    ComplaintCreate,
    ComplaintItem,
    ComplaintQuery,
    ComplaintReceipt,
    ComplaintView,
    Confirmation,
    Convert,
    CountsQuery,
    DuplicateItem,
    DuplicateQuery,
    HelpRequestCreate,
    HelpRequestReceipt,
    Merge,
    QueueItem,
    QueueQuery,
    Reject,
    RequestCount,
    Resolve,
    SmsInbound,
    SmsReply,
    SurveyCreate,
    SurveyOut,
    SurveyResponseCreate,
    SurveyResponseReceipt,
    SurveyResults,
    TrackView,
    TriageResult,
    Verify,
)

OFFICIAL = (Role.official,)
TRIAGE = (Role.official, Role.ngo)
TAGS = ["residents"]
POST = ["POST"]

routes = [
    Route("/help", requests.help_page, methods=["GET", "POST"], name="help"),
    Route("/help/track/{token:str}", requests.track_page, name="track"),
    Route("/help/track/{token:str}/confirm", requests.confirm_page, methods=POST, name="confirm"),
    Route("/help/operator", requests.operator_page, methods=["GET", "POST"], name="operator"),
    Route("/help/operator/duplicates", requests.operator_duplicates, name="operator_duplicates"),
    Route("/help-requests", triage.queue_page, name="queue"),
    Route("/help-requests/{id:int}/photo", requests.photo_page, name="photo"),
    *triage.decision_routes(),
    Route("/surveys/{id:int}", surveys.survey_page, methods=["GET", "POST"], name="survey"),
    Route("/surveys/{id:int}/results", surveys.results_page, name="survey_results"),
]

api_routes = [
    api.ApiRoute(
        "/help-requests",
        requests.create_api,
        methods=POST,
        name="help_request_create",
        body=HelpRequestCreate,
        response=HelpRequestReceipt,
        status_code=201,
        tags=TAGS,
        errors=(429,),
    ),
    api.ApiRoute(
        "/help-requests/operator",
        requests.operator_create_api,
        methods=POST,
        name="help_request_operator",
        body=HelpRequestCreate,
        response=HelpRequestReceipt,
        status_code=201,
        roles=TRIAGE,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/help-requests",
        triage.queue_api,
        name="help_request_queue",
        query=QueueQuery,
        response=api.Page[QueueItem],
        roles=TRIAGE,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/help-requests/duplicates",
        requests.duplicates_api,
        name="help_request_duplicates",
        query=DuplicateQuery,
        response=list[DuplicateItem],
        roles=TRIAGE,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/help-requests/counts",
        requests.counts_api,
        name="help_request_counts",
        query=CountsQuery,
        response=list[RequestCount],
        tags=TAGS,
    ),
    api.ApiRoute(
        "/help-requests/track/{token:str}",
        requests.track_api,
        name="help_request_track",
        response=TrackView,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/help-requests/track/{token:str}/confirm",
        requests.confirm_api,
        methods=POST,
        name="help_request_confirm",
        body=Confirmation,
        response=TrackView,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/complaints",
        complaints.create_api,
        methods=POST,
        name="complaint_create",
        body=ComplaintCreate,
        response=ComplaintReceipt,
        status_code=201,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/complaints",
        complaints.list_api,
        name="complaint_list",
        query=ComplaintQuery,
        response=api.Page[ComplaintItem],
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/complaints/{id:int}/resolve",
        complaints.resolve_api,
        methods=POST,
        name="complaint_resolve",
        body=Resolve,
        response=ComplaintItem,
        roles=TRIAGE,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/complaints/track/{token:str}",
        complaints.track_api,
        name="complaint_track",
        response=ComplaintView,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/organizations/{id:int}/accountability",
        complaints.accountability_api,
        name="organization_accountability",
        response=Accountability,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/sms/inbound",
        sms.inbound_api,
        methods=POST,
        name="sms_inbound",
        body=SmsInbound,
        response=SmsReply,
        tags=TAGS,
        errors=(401,),
        headers={"X-Gateway-Secret": "the secret shared with the SMS gateway"},
    ),
    api.ApiRoute(
        "/surveys",
        surveys.create_api,
        methods=POST,
        name="survey_create",
        body=SurveyCreate,
        response=SurveyOut,
        status_code=201,
        roles=OFFICIAL,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/surveys/{id:int}", surveys.show_api, name="survey", response=SurveyOut, tags=TAGS
    ),
    api.ApiRoute(
        "/surveys/{id:int}/responses",
        surveys.respond_api,
        methods=POST,
        name="survey_respond",
        body=SurveyResponseCreate,
        response=SurveyResponseReceipt,
        status_code=201,
        tags=TAGS,
        errors=(409,),
    ),
    api.ApiRoute(
        "/surveys/{id:int}/results",
        surveys.results_api,
        name="survey_results",
        response=SurveyResults,
        tags=TAGS,
    ),
    *(
        api.ApiRoute(
            f"/help-requests/{{id:int}}/{action}",
            handler,
            methods=POST,
            name=f"help_request_{action}",
            body=body,
            response=TriageResult,
            roles=OFFICIAL,
            tags=TAGS,
            errors=(409,),
        )
        for action, handler, body in (
            ("verify", triage.verify_api, Verify),
            ("reject", triage.reject_api, Reject),
            ("merge", triage.merge_api, Merge),
            ("convert", triage.convert_api, Convert),
        )
    ),
]

nav = [
    NavItem(lazy_gettext("Ask for help"), "residents:help", order=15),
    NavItem(lazy_gettext("Help requests"), "residents:queue", roles=TRIAGE, order=35),
]
