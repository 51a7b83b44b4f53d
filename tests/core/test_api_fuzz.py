"""A bounded schemathesis run: every GET answers an anonymous caller as /openapi.json says.

Each GET gets the document's own examples (the examples phase: the request models' and path
ids' examples) and fuzzed cases; the examples phase must have produced cases.
"""

import asyncio
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.meta import TestPhase
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.examples import get_strategies_from_examples

from core.api import _walk
from core.app import create_app, load_domains
from core.demo import load

pytestmark = pytest.mark.asyncio

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Schemathesis's default 10 s read timeout fails a slow but correct answer on a loaded machine:
# the first certificate PDF parses the CJK font (seen as the volunteer's one flaky failure).
TIMEOUT = 120
EXAMPLES = hypothesis.settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(settings) -> tuple[int, Counter, list[str]]:
    """Runs in a thread: schemathesis drives its own app instance on its own event loop."""
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(method="GET")
    failures = []
    operations = 0
    phases: Counter = Counter()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            def conforms(case) -> None:
                phases[case.meta.phase.name if case.meta is not None else TestPhase.FUZZING] += 1
                case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)

            test = create_test(
                operation=operation,
                test_func=EXAMPLES(conforms),
                config=HypothesisTestConfig(
                    project=schema.config,
                    modes=[HypothesisTestMode.EXAMPLES, HypothesisTestMode.FUZZING],
                    settings=EXAMPLES,
                ),
            )
            try:
                test()
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports them all
                failures.append(f"{operation.label}: {exc}")
    finally:
        shutdown_lifespans()
    # No GET wrote anything outside the routes core.safe_methods declares.
    failures += [f"GET {path} wrote: {sql}" for path, sql in app.state.safe_methods.seen]
    return operations, phases, failures


async def test_anonymous_reads_conform_to_the_document(app, settings):
    assert await load(app.state.database, [d.demo for d in load_domains() if d.demo is not None])
    operations, phases, failures = await asyncio.to_thread(_fuzz, settings)
    print(f"\nschemathesis anonymous GET: {operations} operations, {dict(phases)}")
    assert operations > 30
    # The document's examples reached the run (they did not before: 0 cases).
    assert phases[TestPhase.EXAMPLES] > 0, dict(phases)
    assert not failures, "\n\n".join(failures)


async def test_every_request_model_has_examples_it_accepts(settings):
    """Whole example requests on every JSON body and query model (core.api.examples), each
    valid for its model: schemathesis drops an example its schema refuses, silently."""
    app = create_app(settings)
    models = {
        model
        for _path, route in _walk(app.routes)
        for model in (route.body_model, route.query_model)
        if model is not None
    }
    assert len(models) > 50
    for model in models:
        values = model.model_json_schema().get("examples")
        assert values, f"{model.__module__}.{model.__name__} declares no examples"
        for value in values:
            model.model_validate(value)


def _operations_without_examples(settings) -> tuple[int, list[str]]:
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    bare = []
    operations = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            raw = operation.definition.raw
            takes = raw.get("requestBody", {}).get("content", {}).get("application/json") or any(
                param["in"] == "query" or param["schema"].get("type") == "integer"
                for param in raw.get("parameters", [])
            )
            if takes:
                operations += 1
                if not get_strategies_from_examples(operation):
                    bare.append(operation.label)
    finally:
        shutdown_lifespans()
    return operations, bare


async def test_the_examples_phase_has_a_case_for_every_operation_with_input(settings):
    """Every operation taking a JSON body, a query or an id in its path gets at least one
    case from the document's examples (the examples phase made none before)."""
    operations, bare = await asyncio.to_thread(_operations_without_examples, settings)
    assert operations > 120
    assert not bare, bare
