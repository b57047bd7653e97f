from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from .context import client_ip
from .errors import Forbidden, InvalidInput, NotFound
from .hardening import permissions_policy_header


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
