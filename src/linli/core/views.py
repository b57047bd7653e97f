"""The error pages (400, 403, 404, 500): styled, translated, with the navigation and a way
back; JSON `{code, message}` under the API, as its own errors are (`linli/api.py`).

Wired as `handler400/403/404/500` in `linli/urls.py`. Django calls them with DEBUG off
(always in production and in the test client). The 500 page renders without the request's
context processors, so it needs neither the database nor a working session; if even that
fails, a fixed page is sent.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError

API_PREFIX = "/api/"

# status: (code in the API's JSON, title, what happened and what to do)
PAGES: dict[int, tuple[str, Promise, Promise]] = {
    400: (
        "invalid",
        gettext_lazy("The request could not be understood"),
        gettext_lazy("Check the address or the form and try again."),
    ),
    403: (
        "forbidden",
        gettext_lazy("You may not open this page"),
        gettext_lazy(
            "Your account has no role that uses this page. If your work needs it, "
            "ask an administrator."
        ),
    ),
    404: (
        "not_found",
        gettext_lazy("Page not found"),
        gettext_lazy(
            "It does not exist, or it is outside your scope. Check the address "
            "(or the tracking code) and try again."
        ),
    ),
    503: (
        "unavailable",
        gettext_lazy("The service is briefly unavailable"),
        gettext_lazy(
            "The database could not be reached. What you sent was not saved unless you saw "
            "it confirmed; try again in a moment."
        ),
    ),
    500: (
        "server_error",
        gettext_lazy("Something went wrong"),
        gettext_lazy(
            "The server could not finish this request. Try again in a moment; "
            "if it keeps happening, tell an administrator."
        ),
    ),
}

# The API's messages (the same msgids as linli/api.py, so one translation serves both).
API_MESSAGES: dict[int, Promise] = {
    400: gettext_lazy("Some fields are missing or malformed."),
    403: gettext_lazy("You may not do this."),
    404: gettext_lazy("Not found."),
    500: gettext_lazy("Something went wrong on the server."),
    503: gettext_lazy("The service is briefly unavailable; try again in a moment."),
}

# Seconds a client is asked to wait before retrying after a 503.
RETRY_AFTER = 5

# Sent when even the plain 500 template cannot render (a broken template or URLconf).
FALLBACK = (
    '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head>"
    "<body>"
    '<h1>{title}</h1><p>{text}</p><p><a href="/">{home}</a></p></body></html>'
)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(status: int) -> JsonResponse:
    code = PAGES[status][0]
    return JsonResponse({"code": code, "message": str(API_MESSAGES[status])}, status=status)


def _back(request: HttpRequest) -> str:
    """The previous page of this site, when the browser says which it was."""
    referer = str(request.META.get("HTTP_REFERER", ""))
    if not referer:
        return ""
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost: the reason for this very 400, perhaps
        return ""
    if referer == request.build_absolute_uri() or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    return referer


def _context(status: int) -> dict[str, Any]:
    _code, title, text = PAGES[status]
    return {"status": status, "title": title, "text": text}


def _fallback(status: int) -> HttpResponse:
    _code, title, text = PAGES[status]
    html = FALLBACK.format(title=title, text=text, home=_("Home"))
    return HttpResponse(html, status=status)


def _detail(exception: Exception | None) -> str:
    """The refusal's own message, when a page's domain error caused it (written for
    people and translated, as `DomainError`s are); never a framework's message."""
    cause = getattr(exception, "__cause__", None)
    return cause.message if isinstance(cause, DomainError) else ""


def _page(request: HttpRequest, status: int, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(status)
    context = {**_context(status), "back": _back(request), "detail": _detail(exception)}
    try:
        return render(request, "core/error.html", context, status=status)
    except Exception:
        # The navigation reads the user's roles: with the database down, the plain page.
        return server_error(request, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database is out of reach (connection lost or refused, a
    server restarting, SQLite locked): an error a client can retry, not a bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON `{code: "unavailable", message}` under the API, the
    plain error page elsewhere (no database needed to render it)."""
    response = server_error(request, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request: HttpRequest, status: int = 500) -> HttpResponse:
    """No context processors, no session, no query: only the template and the settings."""
    if status == 500 and is_database_unavailable(sys.exc_info()[1]):
        # Raised outside a view (a session saved after it): still a retryable 503.
        return unavailable(request)
    if _is_api(request):
        return _api_error(status)
    context = {**_context(status), "PLATFORM_NAME": settings.PLATFORM_NAME, "plain": True}
    try:
        html = loader.get_template("core/error.html").render(context)
    except Exception:
        return _fallback(status)
    return HttpResponse(html, status=status)
