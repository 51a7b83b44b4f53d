"""The API contract: /openapi.json is a valid OpenAPI 3.1 document and says what the API does."""

import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sqlalchemy import select

from core import api
from core.app import load_domains
from core.demo import DEMO_PASSWORD, load
from recovery.models import Incident
from tests.authz.test_matrix import app_routes

pytestmark = pytest.mark.asyncio


async def _spec(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


async def test_the_document_validates_as_openapi_3_1(client):
    spec = await _spec(client)
    validate(spec, cls=OpenAPIV31SpecValidator)
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


async def test_query_parameters_reference_hoisted_components(client):
    spec = await _spec(client)
    params = {p["name"]: p for p in spec["paths"]["/api/v1/incidents"]["get"]["parameters"]}
    assert params["status"]["in"] == "query"
    assert params["status"]["schema"] == {"$ref": "#/components/schemas/IncidentStatus"}
    assert "enum" in spec["components"]["schemas"]["IncidentStatus"]
    # An optional query parameter is left out, never sent as null.
    for _path, _method, op in _operations(spec):
        for param in op["parameters"]:
            if param["in"] == "query" and not param["required"]:
                assert {"type": "null"} not in param["schema"].get("anyOf", []), param


async def test_path_parameters_are_positive_integers(client):
    spec = await _spec(client)
    seen = 0
    for path, _method, op in _operations(spec):
        for param in op["parameters"]:
            if param["in"] == "path" and param["name"] == "id":
                assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, (
                    path
                )
                seen += 1
    assert seen > 20
    feed = spec["paths"]["/api/v1/volunteers/calendar/{token}.ics"]["get"]["parameters"]
    assert feed[0]["schema"] == {"type": "string"}


async def test_public_operations_need_no_credentials_and_others_say_which(client):
    spec = await _spec(client)
    needs = spec["paths"]["/api/v1/needs"]
    assert needs["get"]["security"] == []
    assert needs["post"]["security"] == [{"bearer": []}, {"session": []}]
    assert needs["post"]["x-roles"] == ["official"]
    assert all("security" in op for _path, _method, op in _operations(spec))


async def test_operations_declare_every_status_they_can_answer(client):
    spec = await _spec(client)
    paths = spec["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"201", "400", "401", "403", "404", "409", "413", "422"} <= statuses(
        "/api/v1/donations", "post"
    )
    assert {"401", "429", "413", "422"} <= statuses("/api/v1/auth/token", "post")
    assert "409" in statuses("/api/v1/auth/register", "post")
    assert {"409", "404", "401"} <= statuses("/api/v1/shifts/{id}/signup", "post")
    assert "409" in statuses("/api/v1/shifts/{id}/signup", "delete")
    assert "409" in statuses("/api/v1/matches/{id}/accept", "post")
    assert "409" in statuses("/api/v1/disbursements", "post")
    assert "409" in statuses("/api/v1/reports/{id}/publish", "post")
    # A public read answers neither 401/403 nor 413; a missing object is 404.
    assert statuses("/api/v1/needs/{id}", "get") == {"200", "404"}
    assert statuses("/api/v1/needs", "get") == {"200", "404", "422"}
    for _path, _method, op in _operations(spec):
        for code, answer in op["responses"].items():
            if code.startswith("4"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}


async def test_the_idempotency_key_header_is_declared_on_pledges(client):
    spec = await _spec(client)
    params = spec["paths"]["/api/v1/donations"]["post"]["parameters"]
    header = next(p for p in params if p["in"] == "header")
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is False and header["schema"]["type"] == "string"


async def test_content_types_no_content_and_documents(client):
    spec = await _spec(client)
    paths = spec["paths"]
    removed = paths["/api/v1/dont-send/{id}"]["delete"]["responses"]["204"]
    assert "content" not in removed
    for path, media_type in [
        ("/api/v1/export/needs.csv", "text/csv"),
        ("/api/v1/ledger/export.csv", "text/csv"),
        ("/api/v1/export/iati.xml", "application/xml"),
        ("/api/v1/volunteers/me/shifts.ics", "text/calendar"),
        ("/api/v1/volunteers/me/certificate.pdf", "application/pdf"),
    ]:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content == {media_type: {"schema": {"type": "string"}}}, path
    upload = paths["/api/v1/needs/import"]["post"]["requestBody"]["content"]
    schema = upload["multipart/form-data"]["schema"]
    assert schema == {"$ref": "#/components/schemas/NeedImport"}


async def test_real_refusals_answer_with_a_declared_status(client):
    spec = await _spec(client)
    body = {"email": "taken@example.org", "password": "correct horse battery", "name": "A"}
    body |= {"role": "volunteer"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    again = await client.post("/api/v1/auth/register", json=body)
    assert again.status_code == 409
    assert "409" in spec["paths"]["/api/v1/auth/register"]["post"]["responses"]
    wrong = await client.post(
        "/api/v1/auth/token", json={"email": "taken@example.org", "password": "wrong"}
    )
    assert wrong.status_code == 401
    assert "401" in spec["paths"]["/api/v1/auth/token"]["post"]["responses"]


async def test_every_status_a_route_declares_is_a_known_error():
    statuses = set()
    for route in (r for d in load_domains() for r in d.api_routes):
        for method in route.methods - {"HEAD"}:
            statuses |= set(api.error_statuses(route, method))
    assert statuses <= {400, 401, 403, 404, 409, 413, 422, 429}


# One real call per tag, as a role that may make it: the answer must match the declared model.
CALLS = [
    ("auth", "/api/v1/auth/me", "volunteer"),
    ("organizations", "/api/v1/organizations", None),
    ("open data", "/api/v1/export/needs.json", None),
    ("open data", "/api/v1/export/3w.json", None),
    ("incidents", "/api/v1/incidents", None),
    ("areas", "/api/v1/areas?incident_id={incident}", None),
    ("needs", "/api/v1/needs", None),
    ("projects", "/api/v1/projects", None),
    ("supervision", "/api/v1/supervision", "official"),
    ("search", "/api/v1/search?q=water", None),
    ("reports", "/api/v1/reports", None),
    ("volunteers", "/api/v1/shifts", None),
    ("volunteers", "/api/v1/volunteers/me", "volunteer"),
    ("volunteers", "/api/v1/volunteers/me/signups", "volunteer"),
    ("offers", "/api/v1/offers", "ngo"),
    ("matching", "/api/v1/matches", "ngo"),
    ("donations", "/api/v1/donations", "donor"),
    ("donations", "/api/v1/disbursements?incident_id={incident}", None),
    ("donations", "/api/v1/incidents/{incident}/funds", None),
    ("ledger", "/api/v1/ledger", None),
    ("ledger", "/api/v1/ledger/verify", None),
    ("residents", "/api/v1/help-requests?incident_id={incident}", "official"),
    ("residents", "/api/v1/help-requests/counts?incident_id={incident}", None),
    ("preparedness", "/api/v1/teams/capabilities", None),
]


async def test_answers_match_their_declared_models(app, client):
    assert await load(app.state.database, [d.demo for d in load_domains() if d.demo is not None])
    async with app.state.database.session(write=False) as session:
        incident = await session.scalar(select(Incident.id).order_by(Incident.id))
    spec = await _spec(client)
    tags = {tag for _path, _method, op in _operations(spec) for tag in op["tags"]}
    called = {tag for tag, _url, _role in CALLS}
    # The IATI export is XML; the demo has no failed job (test_failed_jobs checks that answer).
    assert tags - called <= {"export", "jobs"}, tags - called
    tokens: dict[str, dict[str, str]] = {}
    for tag, url, role in CALLS:
        headers = {}
        if role is not None:
            if role not in tokens:
                email = f"{role}@demo.example.org"
                answer = await client.post(
                    "/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
                )
                tokens[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            headers = tokens[role]
        url = url.format(incident=incident)
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        template = url.split("?")[0].replace(f"/{incident}/", "/{id}/")
        op = spec["paths"][template]["get"]
        assert tag in op["tags"]
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        data = response.json()
        if "items" in data:
            assert data["items"], f"{url}: the demo should give at least one item to check"
        validator = jsonschema.Draft202012Validator(
            {**schema, "components": spec["components"]},
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (url, errors[:5])


async def test_every_api_route_is_in_the_document(app, client):
    """A route added under /api/v1 without an ApiRoute declaration (so without its models,
    statuses and security in the contract) fails here; the catch-all 404 is the one exception."""
    spec = await _spec(client)
    documented = {(method.upper(), path) for path, method, _op in _operations(spec)}
    routes = [
        (method, re.sub(r"{(\w+):\w+}", r"{\1}", path))
        for method, path in app_routes(app)
        if path.startswith("/api/") and path != "/api/v1/{rest:path}"
    ]
    missing = [f"{method} {path}" for method, path in routes if (method, path) not in documented]
    assert not missing, "API routes missing from /openapi.json:\n" + "\n".join(missing)
    assert len(routes) > 140
    # Last session's domains are in the contract too.
    for path in (
        "/api/v1/help-requests",
        "/api/v1/teams",
        "/api/v1/fundraising-activities",
        "/api/v1/matches",
        "/api/v1/warehouses",
        "/api/v1/complaints",
        "/api/v1/surveys",
    ):
        assert ("GET", path) in documented or ("POST", path) in documented, path
