"""Request and response models of the residents domain; the public ones carry no personal data."""

from datetime import date, datetime

from pydantic import Field, model_validator

from core.api import examples
from core.errors import FieldError
from core.i18n import _
from core.types import DbId, Input, Output
from recovery.service import Category, Priority
from residents.models import VULNERABLE, ComplaintAbout, QuestionKind, RequestStatus


class HelpRequestCreate(Input):
    model_config = examples(
        {
            "incident_id": 1,
            "category": "food",
            "description": "Family of four, no food since yesterday.",
            "people_affected": 4,
            "vulnerable": ["children"],
            "area_id": 1,
            "lat": 30.59,
            "lon": 114.3,
            "place": "Near the Willow Village bridge",
            "contact_name": "Example Resident",
            "contact_phone": "138-0000-0000",
            "contact_email": "resident@example.org",
            "consent": True,
        }
    )

    incident_id: DbId
    category: Category
    description: str = Field(min_length=1, max_length=4000)
    people_affected: int | None = Field(None, ge=1, le=100_000)
    vulnerable: list[str] = Field(default_factory=list, max_length=len(VULNERABLE))
    area_id: DbId | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    place: str | None = Field(None, max_length=300)
    contact_name: str | None = Field(None, max_length=120)
    contact_phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()-]{3,40}$")
    contact_email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    # Consent to use the contact data for this request only; required when a contact is given.
    consent: bool = False
    # A separate, optional consent: the contact may also be invited to a survey on the help.
    survey_consent: bool = False

    @model_validator(mode="after")
    def _checks(self):
        unknown = [v for v in self.vulnerable if v not in VULNERABLE]
        if unknown:
            raise FieldError("vulnerable", _("Choose from the listed kinds of vulnerable people."))
        if (self.lat is None) != (self.lon is None):
            raise FieldError("lat", _("Give both latitude and longitude, or neither."))
        contact = self.contact_name or self.contact_phone or self.contact_email
        if contact and not self.consent:
            raise FieldError("consent", _("Consent is needed to keep the contact data."))
        if self.survey_consent and not (contact and self.consent):
            raise FieldError(
                "survey_consent", _("A survey invitation needs a contact and consent to use it.")
            )
        return self


class HelpRequestReceipt(Output):
    id: int
    status: RequestStatus
    reference: str
    follow_up_url: str


class TrackUpdate(Output):
    at: datetime
    status: RequestStatus
    message: str


class TrackView(Output):
    """What the requester sees by the follow-up link: their request's progress, nothing more."""

    reference: str
    status: RequestStatus
    category: str
    need_status: str | None = None
    updates: list[TrackUpdate]


class Confirmation(Input):
    model_config = examples({"done": True, "comment": "The water arrived, thank you."})

    done: bool
    comment: str | None = Field(None, max_length=2000)


class QueueQuery(Input):
    model_config = examples({"incident_id": 1, "status": "received", "limit": 20, "offset": 0})

    incident_id: DbId
    status: RequestStatus | None = None
    category: Category | None = None
    area_id: DbId | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class DuplicateQuery(Input):
    """What an operator has typed so far: any of the phone, the words and the place."""

    model_config = examples(
        {
            "incident_id": 1,
            "description": "no food since yesterday",
            "contact_phone": "138-0000-0000",
        }
    )

    incident_id: DbId
    description: str | None = Field(None, max_length=4000)
    contact_phone: str | None = Field(None, max_length=40)
    area_id: DbId | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class DuplicateItem(Output):
    """A likely duplicate for triage staff: personal data, never public."""

    id: int
    reference: str
    category: str
    description: str
    status: RequestStatus
    channel: str
    area_id: int | None
    created_at: datetime
    same_phone: bool


class QueueItem(Output):
    """A triage queue row for officials and verified NGOs: personal data, never public."""

    id: int
    reference: str
    incident_id: int
    area_id: int | None
    category: str
    description: str
    people_affected: int | None
    vulnerable: list[str]
    place: str | None
    contact_name: str | None
    contact_phone: str | None
    channel: str
    status: RequestStatus
    need_id: int | None
    duplicate_of_id: int | None
    created_at: datetime
    possible_duplicates: list[int]
    has_photo: bool = False


class Verify(Input):
    model_config = examples({"note": "Called the family; confirmed."})

    note: str = Field(min_length=1, max_length=2000)


class Reject(Input):
    model_config = examples({"reason": "A test message, not a request."})

    reason: str = Field(min_length=1, max_length=2000)


class Merge(Input):
    model_config = examples({"into_id": 1})

    into_id: DbId


class Convert(Input):
    """Either the new need's fields or an existing need to attach the request to."""

    model_config = examples(
        {
            "title": "Food for a family of four",
            "quantity": 4,
            "unit": "parcels",
            "priority": "high",
            "needed_by": "2027-07-05",
        }
    )

    need_id: DbId | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    quantity: int | None = Field(None, gt=0, le=1_000_000_000)
    unit: str | None = Field(None, min_length=1, max_length=40)
    priority: Priority | None = None
    needed_by: date | None = None

    @model_validator(mode="after")
    def _either(self):
        if self.need_id is None and None in (self.title, self.quantity, self.unit, self.needed_by):
            for name in ("needed_by", "unit", "quantity", "title"):
                if getattr(self, name) is None:
                    raise FieldError(
                        name,
                        _("Give the title, quantity, unit and needed-by date, or a need number."),
                    )
        return self


class TriageResult(Output):
    id: int
    status: RequestStatus
    need_id: int | None = None
    duplicate_of_id: int | None = None


class CountsQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId


class RequestCount(Output):
    area_id: int | None
    category: str
    status: RequestStatus
    count: int


class SmsInbound(Input):
    model_config = examples(
        {"from": "+86 138 0000 0000", "text": "HELP food 4 people Willow Village bridge"}
    )

    sender: str = Field(alias="from", min_length=3, max_length=40)
    text: str = Field(min_length=1, max_length=1600)
    received_at: datetime | None = None


class SmsReply(Output):
    reply: str


class ComplaintCreate(Input):
    model_config = examples(
        {
            "incident_id": 1,
            "about_kind": "platform",
            "text": "The help form did not load on my phone.",
            "contact": "resident@example.org",
        }
    )

    incident_id: DbId
    about_kind: ComplaintAbout
    about_id: DbId | None = None
    text: str = Field(min_length=1, max_length=4000)
    contact: str | None = Field(None, max_length=254)

    @model_validator(mode="after")
    def _about(self):
        if self.about_kind != ComplaintAbout.platform and self.about_id is None:
            raise FieldError("about_id", _("Say which one the complaint is about."))
        return self


class ComplaintReceipt(Output):
    id: int
    follow_up_url: str


class ComplaintQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId


class ComplaintItem(Output):
    id: int
    incident_id: int
    about_kind: str
    about_id: int | None
    text: str
    contact: str | None
    responsible_org_id: int | None
    status: str
    due_at: datetime
    escalated_at: datetime | None
    resolution: str | None
    resolved_at: datetime | None


class ComplaintView(Output):
    """What the complainant sees by the follow-up link."""

    status: str
    due_at: datetime
    resolution: str | None
    resolved_at: datetime | None


class Resolve(Input):
    model_config = examples({"resolution": "The form is fixed; we called back."})

    resolution: str = Field(min_length=1, max_length=4000)


class Accountability(Output):
    complaints_received: int
    resolved_in_time: int
    resolved_late: int
    open: int


class QuestionCreate(Input):
    kind: QuestionKind
    text: str = Field(min_length=1, max_length=500)
    text_zh: str | None = Field(None, max_length=500)
    choices: list[str] = Field(default_factory=list, max_length=12)
    choices_zh: list[str] = Field(default_factory=list, max_length=12)

    @model_validator(mode="after")
    def _choices(self):
        if self.kind == QuestionKind.choice and len(self.choices) < 2:
            raise FieldError("choices", _("A choice question needs at least two choices."))
        if self.kind != QuestionKind.choice and self.choices:
            raise FieldError("choices", _("Only a choice question has choices."))
        if self.choices_zh and len(self.choices_zh) != len(self.choices):
            raise FieldError("choices_zh", _("Translate every choice, or none."))
        if any(not c.strip() or len(c) > 200 for c in self.choices + self.choices_zh):
            raise FieldError("choices", _("Each choice is 1 to 200 characters."))
        return self


class SurveyCreate(Input):
    """`title_zh`, `text_zh` and `choices_zh` are the Chinese wording, shown to Chinese readers."""

    model_config = examples(
        {
            "incident_id": 1,
            "area_ids": [1],
            "title": "How is the help reaching you?",
            "title_zh": "援助是否送达？",
            "questions": [
                {
                    "kind": "scale",
                    "text": "How satisfied are you with the help?",
                    "text_zh": "您对援助满意吗？",
                },
                {
                    "kind": "choice",
                    "text": "What do you need most?",
                    "choices": ["Food", "Water", "Shelter"],
                    "choices_zh": ["食物", "水", "住所"],
                },
            ],
            "invite": False,
        }
    )

    incident_id: DbId
    area_ids: list[DbId] = Field(default_factory=list, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    title_zh: str | None = Field(None, max_length=200)
    questions: list[QuestionCreate] = Field(min_length=1, max_length=30)
    # Invite the requesters of the incident (or of its areas) by SMS or mail.
    invite: bool = True


class QuestionOut(Output):
    id: int
    kind: QuestionKind
    text: str
    text_zh: str | None
    choices: list[str]
    choices_zh: list[str]


class SurveyOut(Output):
    id: int
    incident_id: int
    area_ids: list[int]
    title: str
    title_zh: str | None
    link: str
    invited: int = 0
    questions: list[QuestionOut]


class AnswerIn(Input):
    question_id: DbId
    value: int | str


class SurveyResponseCreate(Input):
    """`invite` is the token of a requester's own link (answered once); without it, anyone
    with the survey's link may answer."""

    model_config = examples({"area_id": 1, "answers": [{"question_id": 1, "value": 4}]})

    area_id: DbId | None = None
    answers: list[AnswerIn] = Field(min_length=1, max_length=30)
    invite: str | None = Field(None, max_length=100)


class SurveyResponseReceipt(Output):
    id: int
    survey_id: int


class QuestionResult(Output):
    question_id: int
    kind: QuestionKind
    answers: int
    withheld: bool = False
    # None when any count is 1 to 4: withheld like a small area (all of them, so that none
    # can be worked out from the total).
    counts: dict[str, int] | None = None
    mean: float | None = None


class AreaResult(Output):
    area_id: int | None
    # None when withheld: fewer than 5 responses is itself a small cell.
    responses: int | None
    withheld: bool
    questions: list[QuestionResult] = []


class SurveyResults(Output):
    """Aggregates per area; an area or a question with fewer than 5 answers is withheld and
    free text is never here."""

    survey_id: int
    title: str
    min_cell: int
    areas: list[AreaResult]


class AreaWaiting(Output):
    area_id: int | None
    area_name: str
    category: str
    open: int
    unanswered: int
    overdue: int


class OldestRequest(Output):
    id: int
    reference: str
    created_at: datetime
    waiting_hours: float


class ComplaintsByOrganization(Output):
    organization_id: int | None
    organization_name: str
    open: int
    overdue: int
    # Complaints handed up the territory past this organization, and the agencies they reached.
    escalated: int
    escalated_to: list[str] = []


class OverdueComplaint(Output):
    """An open complaint past its due time: what it is about, never its text or contact."""

    id: int
    about_kind: str
    organization_id: int | None
    organization_name: str
    due_at: datetime
    days_late: int
    # The agency it was last escalated to, up the territory, and at which step.
    escalated_to_id: int | None = None
    escalated_to: str | None = None
    escalation_level: int | None = None


class ResidentsSupervision(Output):
    """The supervision board's residents panel: counts for officials, no personal data."""

    answer_within_hours: int
    open: int
    unanswered: int
    overdue: int
    median_wait_hours: float | None
    oldest_unanswered: OldestRequest | None
    by_area: list[AreaWaiting]
    complaints: list[ComplaintsByOrganization]
    overdue_complaints: list[OverdueComplaint] = []
