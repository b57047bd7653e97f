"""The OpenAPI document: valid, unique schema names, enums, every error declared."""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections import defaultdict

import pytest
from django.http import Http404
from django.test import Client, RequestFactory
from ninja.errors import AuthenticationError
from openapi_spec_validator import validate
from pydantic import BaseModel, create_model

from linli.api import api
from linli.appeals.models import Kind, Level, Status
from linli.appeals.schemas import AppealIn
from linli.appeals.workflow import Action
from linli.core.api_schemas import ErrorOut, Paged, errors
from linli.duties.models import ReportKind

from .conftest import post, url

ERROR_REF = "#/components/schemas/ErrorOut"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict:
    """The document as clients read it (JSON: status codes are strings)."""
    return json.loads(json.dumps(api.get_openapi_schema()))


def _operations():
    """Every operation of every router mounted on the API, with its full path."""
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield f"{router.prefix}{path}", operation


def _classes_in(annotation, seen: set) -> typing.Iterator[type]:
    """The pydantic models and enums an annotation uses, nested ones included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _classes_in(field.annotation, seen)
        return
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if annotation not in seen:
            seen.add(annotation)
            yield annotation
        return
    for arg in typing.get_args(annotation):
        if not isinstance(arg, (str, int, types.NoneType)):
            yield from _classes_in(arg, seen)


def _api_classes() -> dict[type, set[str]]:
    """Each schema class used by some operation (bodies, parameters, responses) -> where."""
    used: dict[type, set[str]] = defaultdict(set)
    for path, operation in _operations():
        where = f"{'/'.join(operation.methods)} {path}"
        # ninja wraps the handler's arguments and each response in generated models
        # (`QueryParams`, `NinjaResponseSchema`, ...) that never reach the document:
        # what counts is what their fields hold.
        wrappers = list(operation.models) + [
            m for m in operation.response_models.values() if isinstance(m, type)
        ]
        for wrapper in wrappers:
            for field in wrapper.model_fields.values():
                for cls in _classes_in(field.annotation, set()):
                    used[cls].add(where)
    return used


def _component_name(cls: type) -> str:
    """The key pydantic (and so ninja) gives `cls` under components/schemas."""
    probe = create_model("Probe", value=(cls, ...))
    defs = probe.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"]
    ref = probe.model_json_schema(ref_template="#/components/schemas/{model}")
    target = ref["properties"]["value"].get("$ref", "")
    name = target.rsplit("/", 1)[-1]
    assert name in defs, (cls, ref)
    return name


def test_the_document_is_valid_openapi(client, document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert client.get(url("/openapi.json")).json() == document
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(document["components"]["schemas"])


def test_the_walk_finds_the_classes_of_the_document(document):
    """The collision test below sees every schema the document has."""
    found = {cls.__name__ for cls in _api_classes()}
    assert set(document["components"]["schemas"]) <= found


def _identity(cls: type):
    """The class itself; but ninja builds a `Paged<Item>` class for each paginated
    operation, so two of those with one name and one schema are the same schema."""
    if issubclass(cls, Paged.Output):
        return (cls.__name__, json.dumps(cls.model_json_schema(), sort_keys=True))
    return cls


def _clashes(classes) -> dict[str, list[str]]:
    """Names (class name or component key) shared by more than one class."""
    by_name: dict[str, dict] = defaultdict(dict)
    for cls in classes:
        by_name[cls.__name__][_identity(cls)] = cls
        by_name[_component_name(cls)][_identity(cls)] = cls
    return {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in found.values())
        for name, found in by_name.items()
        if len(found) > 1
    }


def test_no_two_schema_classes_share_a_name():
    used = _api_classes()
    assert len(used) > 50
    clashes = _clashes(used)
    assert not clashes, f"schema names used by more than one class: {clashes}"


def test_the_collision_check_finds_a_nested_clash():
    """Two classes named `Inner`, one only reachable through a list in a dict: caught."""

    class Inner(BaseModel):
        x: int

    class Outer(BaseModel):
        items: list[Inner | None]

    other = create_model("Inner", y=(int, ...))
    found = list(_classes_in(dict[str, Outer], set())) + list(_classes_in(other, set()))
    assert Inner in found and other in found
    assert list(_clashes(found)) == ["Inner"]


def test_post_appeals_documents_the_full_appeal_input(document):
    body = document["paths"][url("/appeals")]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == set(AppealIn.model_fields)
    for field in ["category", "description", "urgency", "channel", "household_id", "unit_id"]:
        assert field in schema["properties"]
    assert schema["required"] == ["category", "description"]


def _enum_of(document, schema: dict) -> list:
    """The enum values of a property schema, following `$ref` and `anyOf`."""
    if "$ref" in schema:
        return _enum_of(document, document["components"]["schemas"][schema["$ref"].split("/")[-1]])
    if "enum" in schema:
        return schema["enum"]
    if "const" in schema:
        return [schema["const"]]
    values = []
    for option in schema.get("anyOf", []):
        values += _enum_of(document, option)
    return values


def test_the_action_path_parameter_is_the_enum_of_actions(document):
    operation = document["paths"][url("/appeals/{code}/actions/{action}")]["post"]
    action = next(p for p in operation["parameters"] if p["name"] == "action")
    assert action["in"] == "path"
    assert _enum_of(document, action["schema"]) == [a.value for a in Action]


def test_an_unknown_action_is_400_in_the_error_shape(su_client, county):
    response = post(su_client, "/appeals/X-0001/actions/teleport", {})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]
    # A real action on an appeal that does not exist: 404, same shape.
    response = post(su_client, "/appeals/X-0001/actions/claim", {})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _properties(document, name: str) -> dict:
    return document["components"]["schemas"][name]["properties"]


def test_statuses_levels_kinds_and_roles_are_enums(document):
    statuses = [s.value for s in Status]
    levels = [v.value for v in Level]
    appeal = _properties(document, "AppealOut")
    assert _enum_of(document, appeal["status"]) == statuses
    assert _enum_of(document, appeal["level"]) == levels
    assert _enum_of(document, appeal["kind"]) == [k.value for k in Kind]
    assert _enum_of(document, appeal["urgency"]) == ["normal", "urgent"]
    assert "hotline" in _enum_of(document, appeal["channel"])
    assert _enum_of(document, appeal["resolved_level"]) == levels + [""]
    assert _enum_of(document, _properties(document, "FiledOut")["status"]) == statuses

    # Query filters.
    params = document["paths"][url("/appeals")]["get"]["parameters"]
    by_name = {p["name"]: p for p in params}
    assert set(_enum_of(document, by_name["status"]["schema"])) == {*statuses, "open"}
    assert _enum_of(document, by_name["level"]["schema"]) == levels
    queue = document["paths"][url("/appeals/queue")]["get"]["parameters"]
    assert _enum_of(document, next(p for p in queue if p["name"] == "level")["schema"]) == levels
    reports = document["paths"][url("/duties/reports")]["get"]["parameters"]
    kind = next(p for p in reports if p["name"] == "kind")
    assert _enum_of(document, kind["schema"]) == [k.value for k in ReportKind]

    # Responses of the other apps.
    assert "village" in _enum_of(document, _properties(document, "UnitOut")["kind"])
    assert "village" in _enum_of(document, _properties(document, "UnitRef")["kind"])
    assert "head" in _enum_of(document, _properties(document, "MemberOut")["relation"])
    assert _enum_of(document, _properties(document, "MemberOut")["sex"]) == ["M", "F", ""]
    assert _enum_of(document, _properties(document, "ContactOut")["method"])
    assert _enum_of(document, _properties(document, "ContactOut")["role"])
    assert _enum_of(document, _properties(document, "RepComplianceOut")["status"]) == [
        "on_track",
        "behind",
        "missed",
    ]
    roles = _properties(document, "MeOut")["roles"]
    assert "town" in _enum_of(document, roles["propertyNames"])


def _each_operation(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_declares_its_error_answers(document):
    """400 for any input, 401 behind a login, 404 for an object named in the path."""
    missing = []
    for name, operation in _each_operation(document):
        responses = operation["responses"]
        params = operation.get("parameters", [])
        takes_input = bool(params) or "requestBody" in operation
        wanted = set()
        if takes_input:
            wanted.add("400")
        if operation.get("security"):
            wanted.add("401")
        if any(p["in"] == "path" for p in params):
            wanted.add("404")
        declared = {str(status) for status in responses}
        if wanted - declared:
            missing.append(f"{name}: {sorted(wanted - declared)}")
        for status, answer in responses.items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (name, status)
    assert not missing, "operations missing error answers:\n" + "\n".join(missing)


def test_only_a_few_operations_take_no_input(document):
    """Those may not answer 400; the list is short and each is checked by hand."""
    without_input = {
        name
        for name, op in _each_operation(document)
        if not op.get("parameters") and "requestBody" not in op
    }
    assert without_input == {
        f"GET {url('/auth/me')}",
        f"GET {url('/auth/tokens')}",
        f"GET {url('/appeal-categories')}",
        f"GET {url('/departments')}",
        f"GET {url('/notifications/unread-count')}",
        f"POST {url('/notifications/read-all')}",
        f"GET {url('/public/appeal-categories')}",
    }


def test_errors_refuses_a_status_the_api_does_not_answer():
    assert errors(404, 400) == {400: ErrorOut, 404: ErrorOut}
    with pytest.raises(ValueError):
        errors(418)


def test_a_missing_login_answers_in_the_error_shape(db):
    response = Client().get(url("/units"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.json()["message"] == "请登录或提供有效的API令牌。"


def test_a_refused_csrf_check_answers_in_the_error_shape(county, superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = post(client, "/units", {"parent_id": county.town_a.pk, "kind": "village"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"


def test_http404_and_ninja_errors_answer_in_the_error_shape():
    from linli.api import http_error, not_found

    request = RequestFactory().get("/api/v1/anything")
    response = not_found(request, Http404("nope"))
    assert response.status_code == 404
    assert ErrorOut.model_validate_json(response.content).code == "not_found"
    response = http_error(request, AuthenticationError())
    assert response.status_code == 401
    assert ErrorOut.model_validate_json(response.content).code == "unauthorized"


def test_the_contract_fixture_tells_declared_from_undeclared_answers():
    from .contract import undeclared

    assert undeclared("GET", url("/units/3"), 404) is None
    assert "answered 409" in undeclared("GET", url("/units/3"), 409)
    # A literal segment wins over a parameter, as when ninja routes the request.
    assert "answered 404" in undeclared("GET", url("/appeals/queue"), 404)
    assert undeclared("GET", url("/appeals/A-1"), 404) is None
    # Not an operation (the URL router's 404) and pages outside the API: not judged.
    assert undeclared("GET", url("/nowhere/at/all"), 404) is None
    assert undeclared("GET", "/households/", 500) is None
