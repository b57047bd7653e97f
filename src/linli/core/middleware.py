from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

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
