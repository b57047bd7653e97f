"""Every answer the test suite gets from /api/v1/ must be declared in the OpenAPI document.

`api_answers_are_documented` (autouse, from `tests/conftest.py`) watches the Django test
client: a test that receives a status its operation does not declare fails, so the
document cannot drift from what the API really answers.
"""

from __future__ import annotations

import functools
import json
import re

import pytest
from django.test.client import Client

PREFIX = "/api/v1/"
UNDOCUMENTED = {"/api/v1/openapi.json", "/api/v1/docs"}


@functools.cache
def _declared() -> list[tuple[re.Pattern, int, str, frozenset[str]]]:
    """(path pattern, number of path parameters, method, declared statuses) per operation."""
    from linli.api import api

    document = json.loads(json.dumps(api.get_openapi_schema()))
    out = []
    for path, operations in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "/?$")
        for method, operation in operations.items():
            statuses = frozenset(operation.get("responses", {}))
            out.append((pattern, path.count("{"), method.upper(), statuses))
    return out


def undeclared(method: str, path: str, status: int) -> str | None:
    """Why this answer is not in the document, or None when it is (or is no operation)."""
    if not path.startswith(PREFIX) or path.rstrip("/") in UNDOCUMENTED:
        return None
    matches = [
        (params, statuses)
        for pattern, params, m, statuses in _declared()
        if m == method and pattern.match(path)
    ]
    if not matches:
        return None  # 404/405 of the URL router, not an operation's answer
    _params, statuses = min(matches, key=lambda m: m[0])  # literal segments win, as in ninja
    if str(status) in statuses:
        return None
    return f"{method} {path} answered {status}; declared: {sorted(statuses)}"


@pytest.fixture(autouse=True)
def api_answers_are_documented(monkeypatch):
    problems: list[str] = []
    original = Client.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        problem = undeclared(
            kwargs.get("REQUEST_METHOD", "GET"), kwargs.get("PATH_INFO", ""), response.status_code
        )
        if problem:
            problems.append(problem)
        return response

    monkeypatch.setattr(Client, "request", request)
    yield
    if problems:
        pytest.fail("API answers missing from the OpenAPI document:\n" + "\n".join(problems))
