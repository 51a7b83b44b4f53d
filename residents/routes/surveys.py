"""Surveys: published by officials, answered by anyone with the link, results public per area."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.db import get_session
from core.forms import form_page
from core.models import User
from core.web import render
from recovery.service import area_choices
from residents.models import SCALE_MAX, SurveyQuestion
from residents.schemas import QuestionOut, SurveyCreate, SurveyOut, SurveyResponseCreate
from residents.schemas import SurveyResponseReceipt as Receipt
from residents.service import surveys as service


def _link(request: Request, survey_id: int) -> str:
    return str(request.url_for("residents:survey", id=survey_id))


def _out(request: Request, survey, questions: list[SurveyQuestion], invited: int = 0):
    return SurveyOut(
        id=survey.id,
        incident_id=survey.incident_id,
        area_ids=survey.area_ids,
        title=survey.title,
        title_zh=survey.title_zh,
        link=_link(request, survey.id),
        invited=invited,
        questions=[QuestionOut.model_validate(q, from_attributes=True) for q in questions],
    )


async def create_api(request: Request, body: SurveyCreate, user: User):
    """Publish a survey; its requesters are invited by SMS or mail with their own link."""
    survey, questions, invited = await service.create_survey(
        get_session(request),
        body,
        actor=user,
        invite_link=lambda survey_id, token: f"{_link(request, survey_id)}?invite={token}",
    )
    return api.Answer(_out(request, survey, questions, invited), status_code=201)


async def show_api(request: Request):
    """The survey's questions, for whoever has its link."""
    survey, questions = await service.get_survey(get_session(request), request.path_params["id"])
    return _out(request, survey, questions)


async def respond_api(request: Request, body: SurveyResponseCreate):
    """Answer the survey; the answers are kept apart from who gave them."""
    response = await service.respond(get_session(request), request.path_params["id"], body)
    return api.Answer(Receipt(id=response.id, survey_id=response.survey_id), status_code=201)


async def results_api(request: Request):
    """Aggregates per area; areas and answers under 5 are withheld, free text never shown."""
    return await service.results(get_session(request), request.path_params["id"])


def _answers_from_form(questions: list[SurveyQuestion]):
    """The form's q<ID> fields as the API's answers; blank questions are skipped."""

    def prepare(data: dict) -> dict:
        answers, order = [], []
        for question in questions:
            value = data.get(f"q{question.id}")
            if value is not None:
                answers.append({"question_id": question.id, "value": value})
                order.append(question.id)
        return {**data, "answers": answers, "answer_order": order}

    return prepare


async def survey_page(request: Request) -> Response:
    """The survey as one light form, no account and no JavaScript needed."""
    session = get_session(request)
    survey, questions = await service.get_survey(session, request.path_params["id"])
    areas = await area_choices(session, survey.incident_id)
    if survey.area_ids:
        areas = [(a, d) for a, d in areas if a.id in survey.area_ids]
    invite = request.query_params.get("invite")
    if request.query_params.get("answered"):
        return await render(request, "residents/survey.html", {"survey": survey, "answered": 1})
    return await form_page(
        request,
        "residents/survey.html",
        block="form",
        schema=SurveyResponseCreate,
        prepare=_answers_from_form(questions),
        initial={"invite": invite},
        context={
            "survey": survey,
            "questions": questions,
            "areas": areas,
            "scale": range(1, SCALE_MAX + 1),
        },
        action=lambda session, body, user: service.respond(session, survey.id, body),
        success=lambda response: f"{_link(request, survey.id)}?answered=1",
    )


async def results_page(request: Request) -> Response:
    session = get_session(request)
    survey, questions = await service.get_survey(session, request.path_params["id"])
    areas = {a.id: a.name for a, _depth in await area_choices(session, survey.incident_id)}
    context = {
        "survey": survey,
        "questions": {q.id: q for q in questions},
        "results": await service.results(session, survey.id),
        "area_names": areas,
        "scale_max": SCALE_MAX,
    }
    return await render(request, "residents/survey_results.html", context)
