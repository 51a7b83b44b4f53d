"""Every public surface a drill could leak into, read as an anonymous visitor reads it: each
GET route the app serves without a path parameter (pages, API lists, exports, feeds), and the
pages of the organizations, real incidents and teams a drill's work could be counted on."""

import difflib
import re

from starlette.routing import Mount, Route

# Not the public figures: liveness, the schema, the sign-in forms (a fresh token each time),
# the import template, and the metrics (a token's).
SKIP = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/login",
    "/register",
    "/password-reset",
    "/help",
    "/help/operator",
}
# Per organization and per incident: the record and figures a drill's work could be added to.
BY_ORGANIZATION = (
    "/organizations/{id}",
    "/api/v1/organizations/{id}/accountability",
    "/api/v1/organizations/{id}/team",
    "/teams/{id}",
)
BY_INCIDENT = (
    "/incidents/{id}",
    "/api/v1/incidents/{id}",
    "/api/v1/incidents/{id}/funds",
    "/api/v1/incidents/{id}/most-needed",
    "/incidents/{id}/giving",
    "/incidents/{id}/disclosures",
    "/incidents/{id}/reports.atom",
    "/api/v1/help-requests/counts?incident_id={id}",
    "/api/v1/export/iati.xml?incident_id={id}",
    "/api/v1/ledger/export.json?incident_id={id}",
)
# Per-request values that are not figures: signed form tokens, the hour a document says it
# was made (IATI's, an empty feed's), and the dashboard's live tag (it names the platform-wide
# versions the page was built at, which any write moves, a drill's too).
_NOISE = re.compile(
    r'[\w-]{16,}\.[\w-]{20,}|(generated|last-updated)-datetime="[^"]*"|<updated>[^<]*</updated>'
    r"|sections=[0-9a-f]+"
)


def public_paths(app) -> list[str]:
    """The GET routes without a path parameter, API and pages alike."""
    found = []

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                if route.path != "/static":
                    walk(route.routes, prefix + route.path)
            elif isinstance(route, Route) and "GET" in (route.methods or ()):
                path = prefix + route.path
                if "{" not in path and path not in SKIP:
                    found.append(path)

    walk(app.routes)
    return sorted(set(found))


async def public_view(client, app, *, organizations=(), incidents=()) -> dict[str, str]:
    """What each public surface answers, as text; a 4xx a list answers (it wants a filter) is
    recorded as such, so it must answer the same after the drill."""
    paths = public_paths(app)
    paths += [p.format(id=i) for i in organizations for p in BY_ORGANIZATION]
    paths += [p.format(id=i) for i in incidents for p in BY_INCIDENT]
    view = {}
    for path in paths:
        client.cookies.clear()
        response = await client.get(path)
        assert response.status_code < 500, (path, response.text[:500])
        view[path] = f"{response.status_code} " + _NOISE.sub("-", response.text)
    return view


def differences(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """The surfaces whose answer changed, each with the first lines that did."""
    changed = {}
    for path in sorted(before):
        if before[path] != after.get(path):
            lines = difflib.unified_diff(
                before[path].splitlines(), after.get(path, "").splitlines(), lineterm="", n=0
            )
            changed[path] = [line[:200] for line in list(lines)[2:8]]
    return changed


def assert_untouched(before: dict[str, str], after: dict[str, str]) -> None:
    changed = differences(before, after)
    assert not changed, "\n".join(f"{path}: {lines}" for path, lines in changed.items())
