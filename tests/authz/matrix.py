"""The matrix's vocabulary: a row per route and method, one outcome letter per role state.

Outcome letters, in the column order of `world.ROLES`:
  A  allowed: past the authorization check (2xx, 3xx elsewhere, 400, 409, 413, 422 …)
  L  not signed in: 401 from the API, a redirect to the sign-in page from a page
  F  forbidden: 403 (the wrong role, a pending organization, someone else's object)
  N  not found: 404 (the object is hidden from this caller)
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Ids = dict[str, Any]

# Column order: anonymous, volunteer 1, volunteer 2, donor 1, donor 2, NGO pending, official
# pending, NGO A, NGO B, official of agency A, official of agency B, admin.
HEADER = "an v1 v2 d1 d2 np op nA nB oA oB ad"


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: str  # twelve letters
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> world id key
    query: str = ""  # appended to the path, with {keys} from the world
    # A valid body, so a refusal comes from who is asking rather than from what was sent:
    # JSON for the API, a form for pages (csrftoken is added), or multipart files.
    body: Callable[[Ids], dict] | None = None
    files: Callable[[Ids], dict] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def row(
    spec: str,
    expect: str,
    query: str = "",
    body: Callable[[Ids], dict] | None = None,
    files: Callable[[Ids], dict] | None = None,
    **params: str,
) -> Row:
    """`row("GET /needs/{id:int}", "A A A …", id="need")`: spaces in `expect` are ignored."""
    method, path = spec.split(" ", 1)
    letters = expect.replace(" ", "")
    assert len(letters) == 12 and set(letters) <= set("ALFN"), (spec, expect)
    return Row(method, path, letters, params, query, body, files)


# Common shapes of a row, named so the tables read as policy rather than letters.
PUBLIC = "A A A A A A A A A A A A"
SIGNED_IN = "L A A A A A A A A A A A"
VOLUNTEER = "L A A F F F F F F F F F"
DONOR = "L F F A A F F F F F F F"
OFFERING = "L F F A A F F A A F F F"  # NGO (verified) or donor
OFFERING_OR_OFFICIAL = "L F F A A F F A A A A F"
ORGANIZERS = "L F F F F F F A A A A F"  # verified NGO or official
OFFICIAL = "L F F F F F F F F A A F"  # any verified official (incident-free operations)
OFFICIAL_A = "L F F F F F F F F A F F"  # officials of the agency acting on the incident
OFFICIAL_A_OR_ADMIN = "L F F F F F F F F A F A"
NGO_A = "L F F F F F F A F F F F"
ADMIN = "L F F F F F F F F F F A"
ANONYMOUS_ONLY = PUBLIC  # sign-in, registration and reset pages answer everyone
