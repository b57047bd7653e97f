import json
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse

from .context import client_ip
from .errors import Forbidden, InvalidInput, NotFound


class RequestContextMiddleware:
    """Remember the client's address so services can audit "from where"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        token = client_ip.set(ip)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class DomainErrorMiddleware:
    """A domain error a page view let escape ends on the error pages with its status.

    Views turn `NotFound` into `Http404` themselves where they fetch; this catches the
    rest (`NotFound` 404, `Forbidden` 403, `InvalidInput` 400), so a page never answers 500
    for a refusal. The API handles its own (`linli/api.py`) before this is reached.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Raised from here, Django's exception handling calls handler404/403/400.
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message) from exception
        if isinstance(exception, InvalidInput):
            raise BadRequest(exception.message) from exception


class ApiErrorShapeMiddleware:
    """Every error under `/api/` answers the API's `{code, message}` JSON.

    The API's own handlers (`linli/api.py`) and the error views (`core/views.py`) already
    do; this is the net under them for what answers before or around an operation: the
    405 django-ninja gives a method a path does not have, and any error body that is not
    JSON or lacks `code`/`message` (a `{"detail": ...}` from a library's default
    handler). The status and the headers (`Allow`, `Retry-After`) are kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX):
            return response
        if _is_error_shape(response):
            return response
        return _reshaped(response)


API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _is_error_shape(response: HttpResponseBase) -> bool:
    if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)  # type: ignore[attr-defined]
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and isinstance(body.get("message"), str)
    )


def _reshaped(response: HttpResponseBase) -> JsonResponse:
    from django.utils.translation import gettext as _

    status = response.status_code
    messages = {
        400: ("invalid", _("Some fields are missing or malformed.")),
        401: ("unauthorized", _("Log in or send a valid API token.")),
        403: ("forbidden", _("You may not do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This address does not take this method.")),
        413: ("too_large", _("The request is too large.")),
        429: ("throttled", _("Too many requests; try again later.")),
    }
    if status in messages:
        code, message = messages[status]
    elif status >= 500:
        code, message = "server_error", _("Something went wrong on the server.")
    else:
        code, message = "error", _("The request was refused.")
    shaped = JsonResponse({"code": code, "message": message}, status=status)
    for header in KEPT_HEADERS:
        if header in response:
            shaped[header] = response[header]
    return shaped
