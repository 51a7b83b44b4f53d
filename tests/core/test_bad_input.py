"""Bad input is refused with a 4xx naming the field, never a 500, and writes nothing."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from lxml import etree
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import SQLModel

from core import clock
from core.api import ApiRoute, json_depth_exceeds
from core.app import create_app
from core.models import OrgKind, Role
from core.types import Input
from tests.conftest import csrf_token, sign_in

HUGE = 2**63
INT32 = 2**31
DEEP = 100_000
pytestmark = pytest.mark.asyncio


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]

    def today(self, days: int = 0) -> str:
        return (clock.today("Asia/Shanghai") + timedelta(days=days)).isoformat()

    def start(self, days: int = 2, hours: int = 0) -> str:
        base = clock.utcnow().replace(microsecond=0) + timedelta(days=days, hours=hours)
        return base.isoformat()

    def need(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "area_id": self.ids["area"],
            "title": "Family tents",
            "category": "shelter",
            "quantity": 40,
            "unit": "tents",
            "priority": "high",
            "needed_by": self.today(10),
            "lat": 30.63,
            "lon": 114.33,
        } | overrides

    def area(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "name": "Willow Village",
            "lat": 30.6,
            "lon": 114.3,
        } | overrides

    def incident(self, **overrides: Any) -> dict:
        return {"name": "Hill fire", "started_on": self.today(-3), "description": ""} | overrides

    def project(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "title": "Rebuild the school",
            "lead_org_id": self.ids["official_org"],
            "budget_minor": 100_000,
            "currency": "CNY",
            "starts_on": self.today(),
            "due_on": self.today(90),
        } | overrides

    def task(self, **overrides: Any) -> dict:
        return {
            "title": "Pour the foundations",
            "responsible_org_id": self.ids["ngo_org"],
            "due_on": self.today(30),
        } | overrides

    def offer(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "category": "shelter",
            "quantity": 10,
            "unit": "tents",
            "lat": 30.6,
            "lon": 114.3,
            "radius_km": 50,
            "available_from": self.today(),
            "available_until": self.today(20),
        } | overrides

    def donation(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "amount_minor": 5_000,
            "currency": "CNY",
            "public_name": "Bell",
        } | overrides

    def disbursement(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "amount_minor": 100,
            "currency": "CNY",
            "description": "Tarpaulins",
        } | overrides

    def shift(self, **overrides: Any) -> dict:
        return {
            "incident_id": self.ids["incident"],
            "title": "Sandbag filling",
            "starts_at": self.start(),
            "ends_at": self.start(hours=4),
            "lat": 30.0,
            "lon": 114.0,
            "capacity": 5,
            "skills": [],
        } | overrides

    def attendance(self, **overrides: Any) -> dict:
        return {
            "volunteer_id": self.ids["volunteer"],
            "checked_in_at": self.start(-1),
            "checked_out_at": self.start(-1, hours=3),
        } | overrides

    def report(self, **overrides: Any) -> dict:
        return {"incident_id": self.ids["incident"], "title": "Week one"} | overrides

    def register(self, **overrides: Any) -> dict:
        return {
            "email": "new.person@example.org",
            "password": "a long enough password",
            "name": "New Person",
            "role": "volunteer",
        } | overrides


@pytest_asyncio.fixture
async def world(client, factory) -> World:
    official = await factory.user(Role.official, org="Recovery Office", org_kind=OrgKind.government)
    ngo = await factory.user(Role.ngo, org="Red Cross", org_kind=OrgKind.ngo)
    donor = await factory.user(Role.donor)
    volunteer = await factory.user(Role.volunteer)
    headers = {
        "official": await factory.token(official),
        "ngo": await factory.token(ngo),
        "donor": await factory.token(donor),
        "volunteer": await factory.token(volunteer),
        "anyone": {},
    }
    ids = {
        "official_org": official.organization_id,
        "ngo_org": ngo.organization_id,
        "volunteer": volunteer.id,
        "donor": donor.id,
    }
    w = World(headers, ids)

    async def post(path, body, who="official"):
        response = await client.post(path, json=body, headers=headers[who])
        assert response.status_code == 201, response.text
        return response.json()["id"]

    ids["incident"] = await post(
        "/api/v1/incidents", w.incident(name="River floods", time_zone="Asia/Shanghai")
    )
    ids["area"] = await post("/api/v1/areas", w.area())
    ids["need"] = await post("/api/v1/needs", w.need())
    ids["project"] = await post("/api/v1/projects", w.project())
    ids["shift"] = await post("/api/v1/shifts", w.shift(), who="ngo")
    return w


@dataclass
class Case:
    id: str
    who: str
    method: str
    path: str
    body: Any = None  # a function of the world: the JSON body, or bytes sent as they are
    status: int = 422
    field: str | None = None


def case(id, who, method, path, body=None, status=422, field=None):
    return pytest.param(Case(id, who, method, path, body, status, field), id=id)


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


CASES = [
    # Control characters and NUL in text (bodies and queries).
    case("donation-bell", "donor", "POST", "/api/v1/donations",
         lambda w: w.donation(public_name="Bell\u0007"), field="public_name"),
    case("project-vtab", "official", "POST", "/api/v1/projects",
         lambda w: w.project(title="School\u000b"), field="title"),
    case("need-title-nul", "official", "POST", "/api/v1/needs",
         lambda w: w.need(title="a\u0000b"), field="title"),
    case("need-description-nul", "official", "POST", "/api/v1/needs",
         lambda w: w.need(description="x\u0000"), field="description"),
    case("need-unit-nul", "official", "POST", "/api/v1/needs",
         lambda w: w.need(unit="kg\u0000"), field="unit"),
    case("need-patch-nul", "official", "PATCH", "/api/v1/needs/{need}",
         lambda w: {"title": "\u0000"}, field="title"),
    case("register-name-nul", "anyone", "POST", "/api/v1/auth/register",
         lambda w: w.register(name="Ann\u0000"), field="name"),
    case("register-email-nul", "anyone", "POST", "/api/v1/auth/register",
         lambda w: w.register(email="ann\u0000@example.org"), field="email"),
    case("token-password-nul", "anyone", "POST", "/api/v1/auth/token",
         lambda w: {"email": "a@example.org", "password": "pw\u0000"}, field="password"),
    case("needs-q-nul", "anyone", "GET", "/api/v1/needs?q=%00", field="q"),
    case("needs-q-escape", "anyone", "GET", "/api/v1/needs?q=%1B%5B31m", field="q"),
    case("incident-escape", "official", "POST", "/api/v1/incidents",
         lambda w: w.incident(name="\u001b[31mFire"), field="name"),
    case("area-formfeed", "official", "POST", "/api/v1/areas",
         lambda w: w.area(name="Village\u000c"), field="name"),
    case("offer-description-nul", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(description="\u0000"), field="description"),
    case("shift-backspace", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(title="Sand\u0008bags"), field="title"),
    case("report-nul", "official", "POST", "/api/v1/reports",
         lambda w: w.report(body_markdown="# \u0000"), field="body_markdown"),
    case("task-c1", "official", "POST", "/api/v1/projects/{project}/tasks",
         lambda w: w.task(title="Roof\u0085"), field="title"),
    case("disbursement-nul", "official", "POST", "/api/v1/disbursements",
         lambda w: w.disbursement(description="Tarps\u0000"), field="description"),
    case("profile-language-nul", "volunteer", "PUT", "/api/v1/volunteers/me",
         lambda w: {"languages": ["en\u0000"]}, field="languages"),
    case("need-lone-surrogate", "official", "POST", "/api/v1/needs",
         lambda w: raw(json.dumps(w.need()).replace("Family tents", "\\ud800")), field="title"),
    # Integers past what an id column holds.
    case("api-need-huge", "anyone", "GET", f"/api/v1/needs/{HUGE}", status=404),
    case("api-need-int32", "anyone", "GET", f"/api/v1/needs/{INT32}", status=404),
    case("api-need-patch-huge", "official", "PATCH", f"/api/v1/needs/{HUGE}",
         lambda w: {"title": "x"}, status=404),
    case("page-need-huge", "anyone", "GET", f"/needs/{HUGE}", status=404),
    case("page-project-huge", "anyone", "GET", f"/projects/{HUGE}", status=404),
    case("page-organization-huge", "anyone", "GET", f"/organizations/{HUGE}", status=404),
    case("atom-huge", "anyone", "GET", f"/incidents/{HUGE}/reports.atom", status=404),
    case("funds-huge", "anyone", "GET", f"/api/v1/incidents/{HUGE}/funds", status=404),
    case("calendar-token-nul", "anyone", "GET", "/volunteers/calendar/%00.ics", status=404),
    case("needs-incident-huge", "anyone", "GET", f"/api/v1/needs?incident_id={HUGE}",
         field="incident_id"),
    case("needs-area-int32", "anyone", "GET", f"/api/v1/needs?area_id={INT32}", field="area_id"),
    case("needs-offset-huge", "anyone", "GET", f"/api/v1/needs?offset={HUGE}", field="offset"),
    case("shifts-offset-huge", "anyone", "GET", f"/api/v1/shifts?offset={HUGE}", field="offset"),
    case("ledger-incident-huge", "anyone", "GET", f"/api/v1/ledger?incident_id={HUGE}",
         field="incident_id"),
    case("need-incident-huge", "official", "POST", "/api/v1/needs",
         lambda w: w.need(incident_id=HUGE), field="incident_id"),
    case("need-area-int32", "official", "POST", "/api/v1/needs",
         lambda w: w.need(area_id=INT32), field="area_id"),
    case("project-lead-huge", "official", "POST", "/api/v1/projects",
         lambda w: w.project(lead_org_id=HUGE), field="lead_org_id"),
    case("project-budget-past-money-max", "official", "POST", "/api/v1/projects",
         lambda w: w.project(budget_minor=10**15 + 1), field="budget_minor"),
    case("project-budget-huge", "official", "POST", "/api/v1/projects",
         lambda w: w.project(budget_minor=HUGE), field="budget_minor"),
    case("task-responsible-huge", "official", "POST", "/api/v1/projects/{project}/tasks",
         lambda w: w.task(responsible_org_id=HUGE), field="responsible_org_id"),
    case("shift-need-huge", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(need_id=HUGE), field="need_id"),
    case("area-parent-huge", "official", "POST", "/api/v1/areas",
         lambda w: w.area(parent_id=HUGE), field="parent_id"),
    case("donation-need-huge", "donor", "POST", "/api/v1/donations",
         lambda w: w.donation(need_id=HUGE), field="need_id"),
    case("need-quantity-met-huge", "official", "PATCH", "/api/v1/needs/{need}",
         lambda w: {"quantity_met": 2**40}, field="quantity_met"),
    case("attendance-volunteer-huge", "ngo", "POST", "/api/v1/shifts/{shift}/attendance",
         lambda w: w.attendance(volunteer_id=HUGE), field="volunteer_id"),
    # Bodies nested deeper than any request model.
    case("deep-arrays-in-field", "official", "POST", "/api/v1/needs",
         lambda w: raw('{"title": ' + "[" * DEEP + "]" * DEEP + "}"), status=400, field="body"),
    case("deep-arrays", "official", "POST", "/api/v1/needs",
         lambda w: raw("[" * DEEP + "]" * DEEP), status=400, field="body"),
    case("deep-objects", "donor", "POST", "/api/v1/donations",
         lambda w: raw('{"a": ' * 40 + "1" + "}" * 40), status=400, field="body"),
    case("body-not-object", "official", "POST", "/api/v1/needs",
         lambda w: [w.need()], status=400, field="body"),
    # Dates outside any plausible range.
    case("shifts-date-to-9999", "anyone", "GET", "/api/v1/shifts?date_to=9999-12-31",
         field="date_to"),
    case("shifts-date-from-0001", "anyone", "GET", "/api/v1/shifts?date_from=0001-01-01",
         field="date_from"),
    case("need-needed-by-9999", "official", "POST", "/api/v1/needs",
         lambda w: w.need(needed_by="9999-12-31"), field="needed_by"),
    case("incident-started-1000", "official", "POST", "/api/v1/incidents",
         lambda w: w.incident(started_on="1000-01-01"), field="started_on"),
    case("shift-starts-9999", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(starts_at="9999-12-31T23:00:00-05:00",
                           ends_at="9999-12-31T23:30:00-05:00"), field="starts_at"),
    case("offer-until-9999", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(available_until="9999-12-31"), field="available_until"),
    case("project-due-3000", "official", "POST", "/api/v1/projects",
         lambda w: w.project(due_on="3000-01-01"), field="due_on"),
    # Lax types: booleans are not numbers, numbers are not booleans.
    case("need-quantity-true", "official", "POST", "/api/v1/needs",
         lambda w: w.need(quantity=True), field="quantity"),
    case("need-incident-true", "official", "POST", "/api/v1/needs",
         lambda w: w.need(incident_id=True), field="incident_id"),
    case("need-lat-true", "official", "POST", "/api/v1/needs",
         lambda w: w.need(lat=True), field="lat"),
    case("offer-quantity-true", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(quantity=True), field="quantity"),
    case("shift-capacity-true", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(capacity=True), field="capacity"),
    case("donation-amount-true", "donor", "POST", "/api/v1/donations",
         lambda w: w.donation(amount_minor=True), field="amount_minor"),
    case("register-consent-one", "anyone", "POST", "/api/v1/auth/register",
         lambda w: w.register(contact_consent=1), field="contact_consent"),
    case("need-quantity-word", "official", "POST", "/api/v1/needs",
         lambda w: w.need(quantity="many"), field="quantity"),
    case("need-quantity-fraction", "official", "POST", "/api/v1/needs",
         lambda w: w.need(quantity=1.5), field="quantity"),
    case("need-title-number", "official", "POST", "/api/v1/needs",
         lambda w: w.need(title=12), field="title"),
    case("need-lat-word", "official", "POST", "/api/v1/needs",
         lambda w: w.need(lat="north"), field="lat"),
    case("need-category-number", "official", "POST", "/api/v1/needs",
         lambda w: w.need(category=5), field="category"),
    case("need-priority-unknown", "official", "POST", "/api/v1/needs",
         lambda w: w.need(priority="urgent!!"), field="priority"),
    case("shift-skills-string", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(skills="cooking"), field="skills"),
    case("donation-currency-unknown", "donor", "POST", "/api/v1/donations",
         lambda w: w.donation(currency="XYZ"), field="currency"),
    # Checks across fields name the field to correct.
    case("shift-ends-before-start", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(ends_at=w.start(hours=-1)), field="ends_at"),
    case("offer-until-before-from", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(available_until=w.today(-1)), field="available_until"),
    case("attendance-out-before-in", "ngo", "POST", "/api/v1/shifts/{shift}/attendance",
         lambda w: w.attendance(checked_out_at=w.start(-2)), field="checked_out_at"),
    case("profile-lat-without-lon", "volunteer", "PUT", "/api/v1/volunteers/me",
         lambda w: {"lat": 30.0}, field="lon"),
    case("project-due-before-start", "official", "POST", "/api/v1/projects",
         lambda w: w.project(due_on=w.today(-1)), field="due_on"),
    # NaN and infinity are not coordinates.
    case("need-lat-nan", "official", "POST", "/api/v1/needs",
         lambda w: raw(json.dumps(w.need(lat=float("nan")))), field="lat"),
    case("offer-lon-infinity", "ngo", "POST", "/api/v1/offers",
         lambda w: raw(json.dumps(w.offer(lon=float("inf")))), field="lon"),
    case("area-lat-minus-infinity", "official", "POST", "/api/v1/areas",
         lambda w: raw(json.dumps(w.area(lat=float("-inf")))), field="lat"),
    case("shift-lat-nan", "ngo", "POST", "/api/v1/shifts",
         lambda w: raw(json.dumps(w.shift(lat=float("nan")))), field="lat"),
    case("offer-radius-nan", "ngo", "POST", "/api/v1/offers",
         lambda w: raw(json.dumps(w.offer(radius_km=float("nan")))), field="radius_km"),
    # Zero and negative quantities and amounts.
    case("need-quantity-zero", "official", "POST", "/api/v1/needs",
         lambda w: w.need(quantity=0), field="quantity"),
    case("need-quantity-negative", "official", "POST", "/api/v1/needs",
         lambda w: w.need(quantity=-5), field="quantity"),
    case("offer-quantity-zero", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(quantity=0), field="quantity"),
    case("donation-amount-zero", "donor", "POST", "/api/v1/donations",
         lambda w: w.donation(amount_minor=0), field="amount_minor"),
    case("disbursement-negative", "official", "POST", "/api/v1/disbursements",
         lambda w: w.disbursement(amount_minor=-1), field="amount_minor"),
    case("shift-capacity-zero", "ngo", "POST", "/api/v1/shifts",
         lambda w: w.shift(capacity=0), field="capacity"),
    # Coordinates off the globe.
    case("need-lat-91", "official", "POST", "/api/v1/needs",
         lambda w: w.need(lat=91), field="lat"),
    case("area-lon-181", "official", "POST", "/api/v1/areas",
         lambda w: w.area(lon=181), field="lon"),
    case("offer-lat-below-pole", "ngo", "POST", "/api/v1/offers",
         lambda w: w.offer(lat=-90.5), field="lat"),
    # Required text left empty.
    case("need-title-empty", "official", "POST", "/api/v1/needs",
         lambda w: w.need(title=""), field="title"),
    case("need-unit-blank", "official", "POST", "/api/v1/needs",
         lambda w: w.need(unit="   "), field="unit"),
    case("incident-name-empty", "official", "POST", "/api/v1/incidents",
         lambda w: w.incident(name=""), field="name"),
    case("report-title-empty", "official", "POST", "/api/v1/reports",
         lambda w: w.report(title=""), field="title"),
    case("disbursement-description-empty", "official", "POST", "/api/v1/disbursements",
         lambda w: w.disbursement(description=""), field="description"),
    case("register-name-empty", "anyone", "POST", "/api/v1/auth/register",
         lambda w: w.register(name=""), field="name"),
]  # fmt: skip

# Every text field of every write refuses each kind of control character, naming the field.
TEXT_FIELDS = [
    ("official", "POST", "/api/v1/needs", "need", ("title", "description", "unit")),
    ("official", "POST", "/api/v1/areas", "area", ("name",)),
    ("official", "POST", "/api/v1/incidents", "incident", ("name", "description")),
    ("official", "POST", "/api/v1/projects", "project", ("title", "description")),
    ("official", "POST", "/api/v1/projects/{project}/tasks", "task", ("title",)),
    ("ngo", "POST", "/api/v1/offers", "offer", ("unit", "description")),
    ("ngo", "POST", "/api/v1/shifts", "shift", ("title", "description", "location")),
    ("donor", "POST", "/api/v1/donations", "donation", ("public_name",)),
    ("official", "POST", "/api/v1/disbursements", "disbursement", ("description",)),
    ("official", "POST", "/api/v1/reports", "report", ("title", "body_markdown")),
    ("anyone", "POST", "/api/v1/auth/register", "register", ("name",)),
]
CONTROLS = {"nul": "\u0000", "bell": "\u0007", "escape": "\u001b", "delete": "\u007f"}
CASES += [
    case(
        f"{builder}-{name}-{label}",
        who,
        method,
        path,
        (lambda b, n, c: lambda w: getattr(w, b)(**{n: f"x{c}y"}))(builder, name, char),
        field=name,
    )
    for who, method, path, builder, names in TEXT_FIELDS
    for name in names
    for label, char in CONTROLS.items()
]


async def row_counts(app) -> dict[str, int]:
    async with app.state.database.session() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table))
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.mark.parametrize("bad", CASES)
async def test_bad_input_is_refused_and_writes_nothing(app, client, world, bad: Case):
    path = bad.path.format(**world.ids)
    body = bad.body(world) if bad.body else None
    kwargs: dict[str, Any] = {"headers": dict(world.headers[bad.who])}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"]["Content-Type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    before = await row_counts(app)
    response = await client.request(bad.method, path, **kwargs)
    assert response.status_code == bad.status, response.text
    if path.startswith("/api/"):
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"} and error["message"]
        if bad.field is not None:
            assert bad.field in error["fields"], error
    assert await row_counts(app) == before


async def test_the_corpus_is_large():
    assert len(CASES) >= 150


async def test_form_shows_script_back_escaped_and_writes_nothing(app, client, factory, world):
    await factory.user(Role.official, org="Recovery Office", email="o.form@example.org")
    await sign_in(client, "o.form@example.org")
    token = await csrf_token(client, "/manage/needs/new")
    script = "<script>alert(1)</script>"
    body = {k: str(v) for k, v in world.need(title=script, quantity="0").items()}
    before = await row_counts(app)
    page = await client.post("/manage/needs/new", data={"csrftoken": token, **body})
    assert page.status_code == 422
    assert script not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert await row_counts(app) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "Tents\x00"), ("needed_by", "9999-12-31"), ("quantity", "true")],
)
async def test_form_refuses_what_the_api_refuses(app, client, factory, world, field, value):
    await factory.user(Role.official, org="Recovery Office", email="o.form@example.org")
    await sign_in(client, "o.form@example.org")
    token = await csrf_token(client, "/manage/needs/new")
    body = {k: str(v) for k, v in world.need(**{field: value}).items()}
    before = await row_counts(app)
    page = await client.post(
        "/manage/needs/new", data={"csrftoken": token, **body}, headers={"HX-Request": "true"}
    )
    assert page.status_code == 422 and f"e-{field}" in page.text
    assert await row_counts(app) == before


async def test_form_numbers_typed_as_text_still_count(client, factory, world):
    await factory.user(Role.official, org="Recovery Office", email="o.form@example.org")
    await sign_in(client, "o.form@example.org")
    token = await csrf_token(client, "/manage/needs/new")
    body = {k: str(v) for k, v in world.need(quantity="12").items()}
    # The world holds a like need nearby: the duplicate warning is confirmed away.
    form = {"csrftoken": token, "confirm_duplicate": "1", **body}
    page = await client.post("/manage/needs/new", data=form)
    assert page.status_code == 303, page.text


async def test_brackets_inside_strings_do_not_count_as_nesting(client, world):
    title = "[" * 60 + "{" * 60
    response = await client.post(
        "/api/v1/needs", json=world.need(title=title[:200]), headers=world.headers["official"]
    )
    assert response.status_code == 201, response.text


async def test_json_depth_scan():
    assert not json_depth_exceeds(b'{"a": [[1, 2], {"b": "]]]]"}]}', limit=3)
    assert json_depth_exceeds(b'{"a": [[1, 2], {"b": [0]}]}', limit=3)
    assert not json_depth_exceeds(b'{"a": "\\"[[[[[[[["}', limit=1)
    assert json_depth_exceeds(b"[" * 33 + b"]" * 33)
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32)


async def test_path_id_zero_and_in_range_still_route(client, world):
    assert (await client.get("/api/v1/needs/0")).status_code == 404
    assert (await client.get(f"/api/v1/needs/{INT32 - 1}")).status_code == 404
    assert (await client.get(f"/api/v1/needs/{world.ids['need']}")).status_code == 200


def _models(route: ApiRoute) -> list[type[BaseModel]]:
    return [m for m in (route.body_model, route.query_model) if m is not None]


async def test_every_request_model_is_an_input(settings):
    """The checks above hold for every operation because every request model shares them."""
    app = create_app(settings)
    api = next(r for r in app.routes if getattr(r, "path", "") == "/api/v1")
    models = {m for r in api.routes if isinstance(r, ApiRoute) for m in _models(r)}
    assert models and not [m.__name__ for m in models if not issubclass(m, Input)]


# ---- writers stay well-formed whatever a row holds


async def _store_control_characters(app, world) -> None:
    from donations.models import Donation
    from recovery.models import Area, Project, Report

    async with app.state.database.transaction() as session:
        project = await session.get(Project, world.ids["project"])
        project.title = "School\u000b roof"
        area = await session.get(Area, world.ids["area"])
        area.name = "Willow\u0001"
        donation = Donation(
            incident_id=world.ids["incident"],
            donor_id=world.ids["donor"],
            amount_minor=500,
            currency="CNY",
            public_name="Bell\u0007",
            status="received",
            reference="REF\u0002",
            received_at=clock.utcnow(),
        )
        session.add(donation)
        session.add(
            Report(
                incident_id=world.ids["incident"],
                title="Week\u0008 one",
                body_markdown="Tents \u0001up",
                status="published",
                published_at=clock.utcnow(),
            )
        )


async def test_feeds_and_exports_stay_xml_with_stored_control_characters(app, client, world):
    await _store_control_characters(app, world)
    incident = world.ids["incident"]
    iati = await client.get(f"/api/v1/export/iati.xml?incident_id={incident}")
    assert iati.status_code == 200, iati.text
    root = etree.fromstring(iati.content)
    assert "Bell" in etree.tostring(root, encoding="unicode")
    atom = await client.get(f"/incidents/{incident}/reports.atom")
    assert atom.status_code == 200
    assert "Week one" in etree.tostring(etree.fromstring(atom.content), encoding="unicode")
    svg = await client.get(f"/incidents/{incident}/map.svg")
    assert svg.status_code == 200
    etree.fromstring(svg.content)
