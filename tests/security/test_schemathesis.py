"""schemathesis over the whole OpenAPI document, in-process, in every CI pass.

Every operation the document lists is sent generated requests, both fitting its
schema (positive) and breaking it (negative), by a town cadre's bearer token (the
`/public/*` operations and the token login anonymously) against a small seeded
world. Each answer must pass schemathesis' checks: no 5xx, a status the operation
declares, the declared content type, a body valid against the declared schema (so
every error is `ErrorOut`). A new endpoint is fuzzed by being in the document.

Bounded for CI: `LINLI_FUZZ_EXAMPLES` examples per operation and mode (default 5),
no shrinking, no deadline, derandomized (the same requests on every run), no
example database. `LINLI_FUZZ_EXAMPLES=200` makes a long local run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from linli.accounts.models import ApiToken
from linli.api import api
from tests.support import factories
from tests.support.roles import Actors

from .inprocess import FIGURES, App, Tally, pending

EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Failures that wait for the per-field input layer (`core.inputs`): "METHOD /path" ->
# (reason, database). Listed, they are reported but do not fail the run; a listed
# operation that passes fails it, so the list only shrinks.
PENDING = pending({})


def _world(county):
    actors = Actors(county)
    for household in county.households_a[:3]:
        factories.appeal(household)
    return actors


def _fuzz(schema, operation, app: App, headers: dict) -> None:
    """schemathesis' own phases for one operation, as its pytest plugin builds them:
    the document's examples, the coverage phase (boundary and type-breaking values
    of each parameter, deterministic) and fuzzing (positive and negative)."""

    def check(case):
        # The cadre's token always goes, alive: fuzzing `DELETE /auth/tokens/{id}` with
        # small ids revokes it, and every request after would stop at the 401.
        if headers:
            ApiToken.objects.filter(revoked_at__isnull=False).update(revoked_at=None)
            case.headers = {**(case.headers or {}), **headers}
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    test = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=check,
        given_kwargs={},
        feedback=FeedbackSources(),
        explicit_settings=settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    test()


@pytest.mark.django_db
def test_the_whole_api_under_schemathesis(county):
    actors = _world(county)
    from linli.accounts.services import token_create

    _token, key = token_create(actor=actors.town, name="fuzz")
    cadre = {"Authorization": f"Bearer {key}"}
    tally = Tally()
    app = App(tally)
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    failures: dict[str, str] = {}
    passed: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        headers = cadre if operation.definition.raw.get("security") else {}
        try:
            _fuzz(schema, operation, app, headers)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: B036 (schemathesis' FailureGroup is one)
            failures[label] = str(exc)[:3000]
        if label not in failures:
            passed.add(label)
    FIGURES["schemathesis"] = (
        tally.summary(f"schemathesis ({EXAMPLES} fuzzed examples per operation)")
        + f"; {len(failures)} of {len(passed) + len(failures)} operations failing"
        + "".join(
            f"\n  {label}{' (pending trust-input)' if label in PENDING else ''}"
            for label in sorted(failures)
        )
    )
    unexpected = {k: v for k, v in failures.items() if k not in PENDING}
    fixed = sorted(set(PENDING) & passed)
    assert not fixed, f"listed as pending but pass now, remove from PENDING: {fixed}"
    assert not unexpected, "\n\n".join(f"== {k}\n{v}" for k, v in sorted(unexpected.items()))
