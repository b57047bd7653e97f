"""The hostile corpus (`hostile.py`) through every parameter of every API operation.

The operations and their parameters come from the OpenAPI document, so a new endpoint
is covered by being documented. For each operation, every path, query and JSON (or
form) body parameter receives every hostile value in turn, the other parameters
holding plain valid ones (real ids of the seeded world, so the request reaches the
service); then whole bodies that are not what the operation takes. Every answer must
be below 500 and, as an error, the API's `{code, message}` JSON; the statuses must be
the ones the operation declares (`tests/api/contract.py` watches the client).

A town cadre's bearer token is sent to the operations that need a login; `/public/*`
and the token login are sent anonymously. Each request runs in a savepoint rolled
back afterwards, so the world stays the same for the next one (and a query
PostgreSQL refuses cannot abort the rest).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import transaction
from django.test import Client

from linli.api import api
from tests.api.contract import undeclared
from tests.support import factories
from tests.support.factories import valid_id_number
from tests.support.roles import Actors

from .hostile import API, BODIES, Hostile
from .inprocess import FIGURES, pending

DOCUMENT = json.loads(json.dumps(api.get_openapi_schema()))
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [
    (method, path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in METHODS
]

# Failures that wait for the per-field input layer (`core.inputs`): "METHOD /path" ->
# (reason, database). Each is a strict xfail: it must still fail, so the list only
# shrinks.
PENDING = pending({})

TOTALS: Counter = Counter()


def _figures() -> None:
    FIGURES["hostile-api"] = (
        f"hostile corpus over the API: {TOTALS['requests']} requests, "
        f"{TOTALS['5xx']} answered 5xx, {TOTALS['shape']} errors not in the "
        f"{{code, message}} shape, {TOTALS['undeclared']} undeclared statuses"
    )


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return _resolve(options[0]) if options else schema


def _plain(name: str, schema: dict, world: dict):
    """A valid-looking value for a parameter, from the world when it names an object."""
    if name in world:
        return world[name]
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 28.15
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if schema.get("format") == "date":
        return "2025-06-02"
    if schema.get("format") == "date-time":
        return "2025-06-02T09:00:00+08:00"
    if "phone" in name or "mobile" in name:
        return "13800001234"
    if name == "id_number":
        return valid_id_number(77)
    return "测试内容，门口的路灯坏了"


def _world(county) -> dict:
    actors = Actors(county)
    appeal = factories.appeal(county.households_a[1])
    contact = factories.contact(county.rep_a, county.households_a[0], actor=actors.rep)
    return {
        "actors": actors,
        "unit_id": county.village_a.pk,
        "parent_id": county.village_a.pk,
        "household_id": county.households_a[0].pk,
        "member_id": county.member_a.pk,
        "representative_id": county.rep_a.pk,
        "place_id": county.place_a.pk,
        "team_id": county.team_a.pk,
        "code": appeal.code,
        "action": "claim",
        "record_id": contact.pk,
        "notification_id": 1,
    }


def _body_schema(operation: dict) -> tuple[str, dict] | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/json", "multipart/form-data"):
        if media in content:
            return media, _resolve(content[media]["schema"])
    return None


class Door:
    """One operation, as the corpus knocks on it."""

    def __init__(self, method: str, path: str, world: dict, headers: dict):
        self.method, self.path, self.world, self.headers = method, path, world, headers
        self.operation = DOCUMENT["paths"][path][method]
        self.parameters = self.operation.get("parameters", [])
        self.body = _body_schema(self.operation)
        self.client = Client(raise_request_exception=False)
        self.problems: list[str] = []

    def _path(self, hostile: tuple[str, Hostile] | None) -> str:
        path = self.path
        for p in self.parameters:
            if p["in"] != "path":
                continue
            if hostile and hostile[0] == p["name"]:
                value = hostile[1].quoted() or "%20"
            else:
                value = str(_plain(p["name"], p["schema"], self.world))
            path = path.replace("{" + p["name"] + "}", value)
        return path

    def _query(self, hostile: tuple[str, Hostile] | None) -> str:
        parts = []
        for p in self.parameters:
            if p["in"] != "query":
                continue
            if hostile and hostile[0] == p["name"]:
                parts.append(f"{p['name']}={hostile[1].quoted()}")
            elif p.get("required"):
                parts.append(f"{p['name']}={_plain(p['name'], p['schema'], self.world)}")
        return "&".join(parts)

    def _json(self, hostile: tuple[str, Hostile] | None) -> bytes:
        _media, schema = self.body or ("", {})
        fields = {
            name: _plain(name, prop, self.world)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
        if hostile is None:
            return json.dumps(fields).encode()
        fields[hostile[0]] = "__HOSTILE__"
        text = json.dumps(fields).replace('"__HOSTILE__"', hostile[1].token)
        return text.encode("utf-8", "surrogatepass")

    def send(self, label: str, path: str, query: str, body: bytes = b"", media: str = "") -> None:
        full = path + ("?" + query if query else "")
        with transaction.atomic():
            response = self.client.generic(
                self.method.upper(),
                full,
                data=body,
                content_type=media or "application/octet-stream",
                headers=self.headers,
            )
            transaction.set_rollback(True)
        TOTALS["requests"] += 1
        status = response.status_code
        where = f"{self.method.upper()} {self.path} [{label}]"
        if status >= 500:
            TOTALS["5xx"] += 1
            self.problems.append(f"{where}: {status}")
            return
        problem = undeclared(self.method.upper(), path, status)
        if problem:
            TOTALS["undeclared"] += 1
            self.problems.append(f"{where}: undeclared {status}")
        if status >= 400 and not _error_shape(response):
            TOTALS["shape"] += 1
            self.problems.append(f"{where}: {status} body {response.content[:120]!r}")

    def knock(self) -> None:
        for p in self.parameters:
            for value in API:
                if value.text is None and p["in"] in ("path", "query"):
                    continue
                hostile = (p["name"], value)
                body, media = (self._json(None), "application/json") if self.body else (b"", "")
                if self.body and self.body[0] == "multipart/form-data":
                    body, media = self._multipart(None)
                self.send(
                    f"{p['in']} {p['name']}={value.name}",
                    self._path(hostile if p["in"] == "path" else None),
                    self._query(hostile if p["in"] == "query" else None),
                    body,
                    media,
                )
        if self.body is None:
            return
        media, schema = self.body
        for name in schema.get("properties", {}):
            for value in API:
                if media == "multipart/form-data":
                    if value.text is None:
                        continue
                    body, content_type = self._multipart((name, value))
                else:
                    body, content_type = self._json((name, value)), media
                self.send(
                    f"body {name}={value.name}",
                    self._path(None),
                    self._query(None),
                    body,
                    content_type,
                )
        for name, raw, content_type in BODIES:
            self.send(f"body={name}", self._path(None), self._query(None), raw, content_type)

    def _multipart(self, hostile: tuple[str, Hostile] | None) -> tuple[bytes, str]:
        _media, schema = self.body or ("", {})
        boundary = "HostileBoundary"
        parts = []
        for name, prop in schema.get("properties", {}).items():
            if hostile and hostile[0] == name:
                value = hostile[1].text or ""
            elif name in schema.get("required", []):
                value = _plain(name, prop, self.world)
                value = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            else:
                continue
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )
        text = "".join(parts) + f"--{boundary}--\r\n"
        return text.encode("utf-8", "surrogatepass"), f"multipart/form-data; boundary={boundary}"


def _error_shape(response) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("message"), str)
    )


def _param(method: str, path: str):
    label = f"{method.upper()} {path}"
    marks = []
    if label in PENDING:
        marks.append(pytest.mark.xfail(strict=True, reason=PENDING[label]))
    return pytest.param(method, path, id=label, marks=marks)


@pytest.mark.parametrize(("method", "path"), [_param(m, p) for m, p in OPERATIONS])
def test_every_operation_survives_the_corpus(county, method, path):
    world = _world(county)
    from linli.accounts.services import token_create

    _token, key = token_create(actor=world["actors"].town, name="hostile")
    secured = bool(DOCUMENT["paths"][path][method].get("security"))
    door = Door(method, path, world, {"Authorization": f"Bearer {key}"} if secured else {})
    try:
        door.knock()
    finally:
        _figures()
    assert not door.problems, f"{len(door.problems)} problems:\n" + "\n".join(door.problems[:60])


def test_paths_and_methods_outside_the_document_answer_the_error_shape(client):
    """An unknown path under the API, and a method a path does not take."""
    for method, path in [
        ("GET", "/api/v1/no-such-thing"),
        ("GET", "/api/v1/units/1/nope"),
        ("DELETE", "/api/v1/units"),
        ("PUT", "/api/v1/auth/token"),
        ("GET", "/api/v1/public/codes"),
    ]:
        response = client.generic(method, path)
        assert response.status_code in (404, 405), (method, path, response.status_code)
        assert _error_shape(response), (method, path, response.content[:200])
