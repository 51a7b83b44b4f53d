"""Schemathesis over every operation and method, as anonymous and as each role (bearer tokens).

Phases examples, coverage and fuzzing; checks not_a_server_error, status_code_conformance,
content_type_conformance and response_schema_conformance; 0 failures. Each role meets every
operation: those it may call (public ones for anonymous, those whose `x-roles` name the role, or
any signed-in caller's) get all three phases; the others, refused at the door whatever is sent,
get one fuzzed case each, which must still answer a declared status in the error shape. The
operations that end the caller's own access (DELETE /auth/token, DELETE /volunteers/me, calendar
reset) run last, as a throwaway account of the same role, so they are exercised, not skipped.
"""

import asyncio
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.overrides import Override
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy import select

from core.app import create_app, load_domains
from core.demo import load
from core.models import OrgKind, Role, User
from tests.core.test_api_fuzz import CHECKS, TIMEOUT

pytestmark = pytest.mark.asyncio

MODES = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]
SETTINGS = hypothesis.settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Operations that end the caller's access: run last, by a throwaway account.
DESTRUCTIVE = {
    ("DELETE", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/volunteers/me"),
    ("POST", "/api/v1/volunteers/me/calendar/reset"),
}
# One fuzzed case for an operation the role is refused at the door.
REFUSED = hypothesis.settings(SETTINGS, max_examples=1)
ROLES = ["anonymous", "volunteer", "donor", "ngo_pending", "ngo", "official", "admin"]
DEMO = {
    "volunteer": "volunteer@demo.example.org",
    "donor": "donor@demo.example.org",
    "ngo": "ngo@demo.example.org",
    "official": "official@demo.example.org",
    "admin": "admin@demo.example.org",
}


def _conforms(cases: Counter, phases: Counter, label: str, settings: hypothesis.settings):
    seen: Counter = Counter()

    @settings
    def conforms(case) -> None:
        phase = case.meta.phase.name if case.meta is not None else TestPhase.FUZZING
        seen[phase] += 1
        # The coverage phase enumerates ~50 boundary cases per operation: every 16th of them
        # (up to 3) keeps seven roles within a few minutes.
        if phase == TestPhase.COVERAGE and (seen[phase] % 16 != 1 or seen[phase] > 33):
            return
        cases[label] += 1
        phases[phase] += 1
        case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)

    return conforms


def _explain(exc: BaseException) -> str:
    """The failure with what is inside it: Hypothesis wraps a flaky one in a group whose own
    message ("unreliable results") says nothing of the check that failed."""
    inner = getattr(exc, "exceptions", ())
    return "; ".join([str(exc), *(_explain(e) for e in inner)])


def _may_call(operation, role: str) -> bool:
    """Whether `role` gets past the operation's role check (the `x-roles` it documents)."""
    raw = operation.definition.raw
    if not raw.get("security"):
        return True
    if role == "anonymous":
        return False
    allowed = raw.get("x-roles") or []
    return not allowed or role.removesuffix("_pending") in allowed


def _fuzz(settings, role, headers, throwaway) -> tuple[Counter, Counter, Counter, list[str]]:
    """Runs in a thread: schemathesis drives its own app instance on its own event loop."""
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in DESTRUCTIVE)
    cases: Counter = Counter()
    phases: Counter = Counter()
    ops: Counter = Counter()
    failures: list[str] = []
    try:
        for operation in operations:
            key = (operation.method.upper(), operation.path)
            who = throwaway if key in DESTRUCTIVE else headers
            ops[operation.label] += 1
            full = _may_call(operation, role)
            test = create_test(
                operation=operation,
                test_func=_conforms(cases, phases, operation.label, SETTINGS if full else REFUSED),
                config=HypothesisTestConfig(
                    project=schema.config,
                    modes=MODES if full else [HypothesisTestMode.FUZZING],
                    settings=SETTINGS if full else REFUSED,
                    override=Override(headers=dict(who)),
                ),
            )
            try:
                test()
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports them all
                failures.append(f"{operation.label}: {_explain(exc)}")
    finally:
        shutdown_lifespans()
    # No fuzzed GET wrote anything outside the routes core.safe_methods declares.
    failures += [f"GET {path} wrote: {sql}" for path, sql in app.state.safe_methods.seen]
    return ops, cases, phases, failures


async def _headers(factory, app, role: str) -> tuple[dict, dict]:
    """The role's bearer header, and a throwaway account's of the same role."""
    if role == "anonymous":
        return {}, {}
    if role == "ngo_pending":
        user = await factory.user(Role.ngo, verified=False, org="Pending", org_kind=OrgKind.ngo)
        spare = await factory.user(Role.ngo, verified=False, org="Pending 2", org_kind=OrgKind.ngo)
        return await factory.token(user), await factory.token(spare)
    async with app.state.database.session() as session:
        user = await session.scalar(select(User).where(User.email == DEMO[role]))
    kind = {"official": OrgKind.government, "ngo": OrgKind.ngo}.get(role)
    spare = await factory.user(role, org_kind=kind)
    return await factory.token(user), await factory.token(spare)


async def fuzz_role(app, settings, factory, role: str) -> None:
    assert await load(app.state.database, [d.demo for d in load_domains() if d.demo is not None])
    headers, throwaway = await _headers(factory, app, role)
    ops, cases, phases, failures = await asyncio.to_thread(
        _fuzz, settings, role, headers, throwaway
    )
    print(f"\nschemathesis {role}: {len(ops)} operations, {sum(cases.values())} cases, "
          f"{len(failures)} failures; by phase {dict(phases)}")  # fmt: skip
    assert len(ops) > 100
    # The document's examples (request models', path ids') reached this role's run.
    assert phases[TestPhase.EXAMPLES] > 0, dict(phases)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_conforms_for_each_role(app, settings, factory, role):
    await fuzz_role(app, settings, factory, role)
