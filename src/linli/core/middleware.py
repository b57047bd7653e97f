import json
import logging
from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse

from .context import client_ip
from .errors import Forbidden, InvalidInput, NotFound
from .hardening import permissions_policy_header
from .views import is_database_unavailable, unavailable

logger = logging.getLogger("linli.unavailable")


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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's header (settings.CONTENT_SECURITY_POLICY), plus this host's WebSocket.

    `connect-src 'self'` covers ws(s) to the same host in current browsers (CSP level
    3) but not in the older WebViews of cheap phones, so the live badge's socket
    (notify.js, `/ws/notify/`) is named explicitly, for the host the page came from.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        socket = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update = dict(parts.update or {})
        connect = update.get("connect-src") or []
        if isinstance(connect, str):
            connect = [connect]
        update["connect-src"] = [*connect, socket]
        parts.update = update
        return parts


class PermissionsPolicyMiddleware:
    """Set `Permissions-Policy` from settings.PERMISSIONS_POLICY on every answer.

    Only location and the camera are asked for, by this site's own pages; the rest
    (microphone, payment, USB, ...) are off for it and for anything it embeds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


class DatabaseUnavailableMiddleware:
    """The database out of reach mid-request answers 503 with Retry-After, never 500.

    PostgreSQL restarting, a connection the server dropped, the pool exhausted, SQLite
    locked past its timeout: Django raises `OperationalError` or `InterfaceError`. The
    request's transaction was rolled back, so nothing of it was saved; the client may
    send it again (with its `Idempotency-Key` a create is made once whatever happened).
    The API answers `{code: "unavailable", message}`, pages the plain error page.
    Django closes the broken connection at the end of the request, and the next one
    opens a fresh one (`CONN_HEALTH_CHECKS`, the pool's check).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if not is_database_unavailable(exception):
            return None
        logger.warning(
            "database unavailable during %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
        return unavailable(request)


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
