"""One error shape for the whole API: whatever answers an error under /api/ sends
`{code, message}` JSON (`core.middleware.ApiErrorShapeMiddleware`)."""

from __future__ import annotations

import json

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.test import RequestFactory

from linli.core.middleware import ApiErrorShapeMiddleware


def _through(path: str, response) -> object:
    return ApiErrorShapeMiddleware(lambda request: response)(RequestFactory().get(path))


def test_a_detail_body_is_reshaped_and_keeps_its_headers():
    original = JsonResponse({"detail": "Too many"}, status=429)
    original["Retry-After"] = "30"
    response = _through("/api/v1/public/codes", original)
    assert response.status_code == 429
    assert json.loads(response.content)["code"] == "throttled"
    assert json.loads(response.content)["message"]
    assert response["Retry-After"] == "30"


def test_a_method_not_allowed_is_reshaped_with_its_allow_header():
    response = _through("/api/v1/units", HttpResponseNotAllowed(["GET", "POST"]))
    assert response.status_code == 405
    assert json.loads(response.content)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, POST"


def test_an_unknown_status_and_a_server_error_get_a_code():
    assert json.loads(_through("/api/x", HttpResponse("no", status=418)).content)["code"] == "error"
    assert json.loads(_through("/api/x", HttpResponse("x", status=502)).content)["code"] == (
        "server_error"
    )


def test_the_error_shape_and_pages_and_successes_are_left_alone():
    shaped = JsonResponse({"code": "link_out_of_range", "message": "m", "details": [1]}, status=409)
    assert _through("/api/v1/links", shaped) is shaped
    page = HttpResponse("<h1>404</h1>", status=404)
    assert _through("/households/9", page) is page
    ok = HttpResponse("fine")
    assert _through("/api/v1/units", ok) is ok
