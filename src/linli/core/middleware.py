import logging
from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

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
