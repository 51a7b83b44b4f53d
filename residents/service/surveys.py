"""Surveys of affected people: questions, invitations to requesters, answers and the aggregates
published per area with every small cell withheld."""

import re
import secrets
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, notifications
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import _, current_locale
from core.models import User
from recovery.service import ensure_can_act, get_area
from residents.errors import SurveyNotFound
from residents.models import (
    SCALE_MAX,
    HelpRequest,
    QuestionKind,
    RequestStatus,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyQuestion,
    SurveyResponse,
)
from residents.schemas import (
    AreaResult,
    QuestionResult,
    SurveyCreate,
    SurveyResponseCreate,
    SurveyResults,
)
from residents.service.requests import token_hash
from residents.service.sms import queue_sms

# An area or a question with fewer answers than this shows no figures: nobody is identifiable.
MIN_CELL = 5
# Requests whose requester is no longer ours to contact.
_NOT_INVITED = (RequestStatus.duplicate, RequestStatus.rejected)


async def _check_areas(session: AsyncSession, incident_id: int, area_ids: list[int]) -> None:
    """Each listed area exists in the incident; a refusal names the list item as pydantic's
    own errors do (`area_ids.2`), so a client knows which one to correct."""
    for index, area_id in enumerate(area_ids):
        where = f"area_ids.{index}"
        try:
            area = await get_area(session, area_id)
        except NotFound as exc:
            raise type(exc)(exc.message, fields={where: _("not found")}) from exc
        if area.incident_id != incident_id:
            message = _("No such area in this incident.")
            raise InvalidInput(message, fields={where: message})


async def create_survey(
    session: AsyncSession,
    data: SurveyCreate,
    *,
    actor: User,
    invite_link: Callable[[int, str], str],
) -> tuple[Survey, list[SurveyQuestion], int]:
    """Publish a questionnaire; with `invite`, each requester of the incident (or its areas)
    who left a contact gets their own link. Answers the survey, its questions and how many
    were invited. `invite_link(survey_id, token)` makes a requester's link."""
    await ensure_can_act(session, actor, data.incident_id)
    await _check_areas(session, data.incident_id, data.area_ids)
    area_ids = sorted(set(data.area_ids))
    survey = Survey(
        incident_id=data.incident_id,
        title=data.title,
        title_zh=data.title_zh,
        area_ids=area_ids,
        created_by_id=actor.id,
    )
    session.add(survey)
    await session.flush()
    questions = [
        SurveyQuestion(survey_id=survey.id, position=index, **question.model_dump())
        for index, question in enumerate(data.questions)
    ]
    session.add_all(questions)
    await session.flush()
    invited = await _invite(session, survey, invite_link) if data.invite else 0
    await audit.record(
        session,
        actor=actor,
        action="survey.create",
        obj=survey,
        after={**audit.snapshot(survey), "questions": len(questions), "invited": invited},
    )
    return survey, questions, invited


async def _invite(
    session: AsyncSession, survey: Survey, invite_link: Callable[[int, str], str]
) -> int:
    """One link per household (by phone or address), by SMS or else by mail."""
    query = select(HelpRequest).where(
        HelpRequest.incident_id == survey.incident_id,
        HelpRequest.consent.is_(True),
        # The contact was given for the request; a survey needs its own consent.
        HelpRequest.survey_consent.is_(True),
        HelpRequest.erased_at.is_(None),
        HelpRequest.status.not_in(_NOT_INVITED),
        (HelpRequest.contact_phone.is_not(None)) | (HelpRequest.contact_email.is_not(None)),
    )
    if survey.area_ids:
        query = query.where(HelpRequest.area_id.in_(survey.area_ids))
    seen: set[str] = set()
    invited = 0
    for request in (await session.scalars(query.order_by(HelpRequest.id))).all():
        phone = re.sub(r"\D", "", request.contact_phone or "")[-11:]
        key = phone or (request.contact_email or "").lower()
        if key in seen:
            continue
        seen.add(key)
        token = secrets.token_urlsafe(24)
        session.add(
            SurveyInvite(survey_id=survey.id, request_id=request.id, token_hash=token_hash(token))
        )
        link = invite_link(survey.id, token)
        text = _("Please tell us how the help went: %(link)s") % {"link": link}
        if phone:
            await queue_sms(
                session, request.contact_phone, f"[{request.reference}] {text}", request.id
            )
        else:
            await notifications.queue(
                session,
                kind="residents.survey",
                to_email=request.contact_email,
                subject=_("A short survey: %(title)s") % {"title": survey.title},
                body=text,
            )
        invited += 1
    await session.flush()
    return invited


async def get_survey(session: AsyncSession, survey_id: int) -> tuple[Survey, list[SurveyQuestion]]:
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise SurveyNotFound(_("No such survey."))
    questions = await session.scalars(
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(SurveyQuestion.position)
    )
    return survey, list(questions)


async def incident_surveys(
    session: AsyncSession, incident_id: int, area_id: int | None = None
) -> list[Survey]:
    """The surveys a requester of this incident (and area) may answer, newest first."""
    rows = await session.scalars(
        select(Survey).where(Survey.incident_id == incident_id).order_by(Survey.id.desc())
    )
    return [s for s in rows if not s.area_ids or area_id in s.area_ids]


def localized(question_or_survey, field: str):
    """The Chinese wording for a Chinese reader when there is one, else the original."""
    if current_locale.get() == "zh_Hans":
        translated = getattr(question_or_survey, f"{field}_zh", None)
        if translated:
            return translated
    return getattr(question_or_survey, field)


def _value(question: SurveyQuestion, value: int | str, where: str) -> tuple[int | None, str | None]:
    """The stored form of one answer: (number, text); refuses what the question cannot take."""
    if question.kind == QuestionKind.text:
        text = str(value).strip()
        if not text or len(text) > 2000:
            raise InvalidInput(
                _("Answer in 1 to 2000 characters."),
                fields={where: _("Answer in 1 to 2000 characters.")},
            )
        return None, text
    if question.kind == QuestionKind.scale:
        number = value if isinstance(value, int) else int(value) if str(value).isdigit() else 0
        if not 1 <= number <= SCALE_MAX:
            message = _("Choose a number from 1 to %(max)s.") % {"max": SCALE_MAX}
            raise InvalidInput(message, fields={where: message})
        return number, None
    names = [*question.choices, *question.choices_zh]
    if isinstance(value, int) and 0 <= value < len(question.choices):
        return value, None
    if isinstance(value, str) and value in names:
        return names.index(value) % len(question.choices), None
    if isinstance(value, str) and value.isdigit() and int(value) < len(question.choices):
        return int(value), None
    message = _("Choose one of the listed answers.")
    raise InvalidInput(message, fields={where: message})


async def respond(
    session: AsyncSession, survey_id: int, data: SurveyResponseCreate
) -> SurveyResponse:
    """Record one household's answers; an invite link answers once. Nothing ties the stored
    answers to the request or the contact."""
    survey, questions = await get_survey(session, survey_id)
    by_id = {q.id: q for q in questions}
    area_id = data.area_id
    if data.invite:
        invite = await session.scalar(
            select(SurveyInvite).where(
                SurveyInvite.token_hash == token_hash(data.invite),
                SurveyInvite.survey_id == survey.id,
            )
        )
        if invite is None:
            raise InvalidInput(
                _("This survey link is not valid."), fields={"invite": _("not found")}
            )
        if invite.answered:
            raise Conflict(_("This survey was already answered from this link."))
        invite.answered = True
        if area_id is None:
            area_id = await session.scalar(
                select(HelpRequest.area_id).where(HelpRequest.id == invite.request_id)
            )
    if area_id is not None:
        area = await get_area(session, area_id)
        if area.incident_id != survey.incident_id or (
            survey.area_ids and area_id not in survey.area_ids
        ):
            raise InvalidInput(
                _("This survey is not for that area."),
                fields={"area_id": _("This survey is not for that area.")},
            )
    elif survey.area_ids:
        message = _("Choose your area.")
        raise InvalidInput(message, fields={"area_id": message})
    answers: list[SurveyAnswer] = []
    seen: set[int] = set()
    for index, answer in enumerate(data.answers):
        question = by_id.get(answer.question_id)
        where = f"answers.{index}.question_id"
        if question is None or question.id in seen:
            message = _("Answer each of this survey's questions once.")
            raise InvalidInput(message, fields={where: message})
        seen.add(question.id)
        number, text = _value(question, answer.value, f"answers.{index}.value")
        answers.append(SurveyAnswer(question_id=question.id, number=number, text=text))
    response = SurveyResponse(survey_id=survey.id, area_id=area_id)
    session.add(response)
    await session.flush()
    for answer in answers:
        answer.response_id = response.id
    session.add_all(answers)
    await session.flush()
    await audit.record(
        session,
        actor=None,
        action="survey.respond",
        obj=response,
        after={"survey_id": survey.id, "area_id": area_id, "answers": len(answers)},
    )
    return response


def _distribution(values: dict[int, int], keys, labels: list[str]) -> dict[str, int] | None:
    """The answer counts by label, or None when any of them is 1 to MIN_CELL - 1: withholding
    only the small cell would not do, as the total less the cells shown gives it back."""
    counts = {label: values.get(key, 0) for key, label in zip(keys, labels, strict=True)}
    if any(0 < count < MIN_CELL for count in counts.values()):
        return None
    return counts


async def results(session: AsyncSession, survey_id: int) -> SurveyResults:
    """Per area: responses, and per scale or choice question its mean or counts; an area or
    a question with fewer than MIN_CELL answers is withheld. Free text never appears."""
    survey, questions = await get_survey(session, survey_id)
    responses = dict(
        (
            await session.execute(
                select(SurveyResponse.area_id, func.count())
                .where(SurveyResponse.survey_id == survey.id)
                .group_by(SurveyResponse.area_id)
            )
        ).all()
    )
    figures = await session.execute(
        select(
            SurveyResponse.area_id,
            SurveyAnswer.question_id,
            SurveyAnswer.number,
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.number.is_not(None))
        .group_by(SurveyResponse.area_id, SurveyAnswer.question_id, SurveyAnswer.number)
    )
    cells: dict[tuple[int | None, int], dict[int, int]] = {}
    for area_id, question_id, number, count in figures.all():
        cells.setdefault((area_id, question_id), {})[number] = count
    areas = []
    for area_id in sorted(responses, key=lambda a: (a is None, a or 0)):
        count = responses[area_id]
        if count < MIN_CELL:
            areas.append(AreaResult(area_id=area_id, responses=None, withheld=True))
            continue
        found = []
        for question in questions:
            if question.kind == QuestionKind.text:
                continue
            values = cells.get((area_id, question.id), {})
            total = sum(values.values())
            item = QuestionResult(question_id=question.id, kind=question.kind, answers=total)
            if total < MIN_CELL:
                item.withheld = True
            elif question.kind == QuestionKind.scale:
                item.mean = round(sum(v * n for v, n in values.items()) / total, 2)
                item.counts = _distribution(
                    values, range(1, SCALE_MAX + 1), [str(v) for v in range(1, SCALE_MAX + 1)]
                )
            else:
                item.counts = _distribution(values, range(len(question.choices)), question.choices)
            found.append(item)
        areas.append(AreaResult(area_id=area_id, responses=count, withheld=False, questions=found))
    return SurveyResults(survey_id=survey.id, title=survey.title, min_cell=MIN_CELL, areas=areas)
