"""The HTTP API at /api/v1/ (OpenAPI page at /api/v1/docs).

Authentication: the browser session (with CSRF) or `Authorization: Bearer <token>`.
Every error is answered as JSON {"code", "message", "details"?} (`core.api_schemas.ErrorOut`)
with its HTTP status: domain errors, malformed requests (400 `invalid`), a missing login
(401 `unauthorized`), a refused CSRF check (403 `csrf`), an unknown object (404
`not_found`). Each operation documents the statuses it can answer (`core.api_schemas.errors`).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from linli.accounts.services import token_authenticate
from linli.core.errors import DomainError, Throttled
from linli.core.inputs import SafeJsonParser

# Methods a read-only token may call.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenScopeRefused(DomainError):
    status = 403
    code = "token_scope"


class TokenAuth(HttpBearer):
    """A live API token (not expired, not revoked); a read-only token calls GET only."""

    def authenticate(self, request: HttpRequest, token: str):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        if request.method not in READ_METHODS and not api_token.can_write:
            raise TokenScopeRefused(_("This token may only read (its scope is read)."))
        request.user = api_token.user
        return api_token.user


api = NinjaAPI(
    title="linli API",
    version="1",
    description="邻里 grassroots-governance platform",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    # Refuses lone surrogates, NUL, control characters and NaN before any schema runs.
    parser=SafeJsonParser(),
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """Malformed requests get the same {code, message} shape as domain errors."""
    return api.create_response(
        request,
        {
            "code": "invalid",
            "message": _("Some fields are missing or malformed."),
            "details": exc.errors,
        },
        status=400,
    )


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _http_error_body(status: int, text: str = "") -> dict:
    if status == 401:
        return {"code": "unauthorized", "message": _("Log in or send a valid API token.")}
    if status == 403 and "CSRF" in text:
        return {"code": "csrf", "message": _("The CSRF check failed; reload the page.")}
    if status == 403:
        return {"code": "forbidden", "message": _("You may not do this.")}
    if status == 404:
        return {"code": "not_found", "message": _("Not found.")}
    if status == 429:
        return {"code": "throttled", "message": _("Too many requests; try again later.")}
    return {"code": "invalid", "message": _("Some fields are missing or malformed.")}


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """ninja's own errors (no login, CSRF refused, throttled) in the {code, message} shape."""
    body = _http_error_body(exc.status_code, str(exc))
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, _http_error_body(404), status=404)


def _register() -> None:
    from linli.accounts.api import router as accounts_router
    from linli.accounts.code_api import router as code_login_router
    from linli.activities.api import public as activities_public
    from linli.activities.api import router as activities_router
    from linli.appeals.api import public as appeals_public
    from linli.appeals.api import router as appeals_router
    from linli.charter.api import router as charter_router
    from linli.conduct.api import router as conduct_router
    from linli.deliberation.api import public as deliberation_public
    from linli.deliberation.api import router as deliberation_router
    from linli.doorbell.api import public as doorbell_public
    from linli.doorbell.api import router as doorbell_router
    from linli.duties.api import router as duties_router
    from linli.evaluation.api import router as evaluation_router
    from linli.evaluation.api_annual import router as evaluation_annual_router
    from linli.funds.api import router as funds_router
    from linli.honours.api import public as honours_public
    from linli.honours.api import router as honours_router
    from linli.notices.api import router as notices_router
    from linli.notify.api import router as notify_router
    from linli.org.api import router as org_router
    from linli.training.api import router as training_router

    api.add_router("/auth", accounts_router)
    api.add_router("/auth", code_login_router)
    api.add_router("/", org_router)
    api.add_router("/", notify_router)
    api.add_router("/", appeals_router)
    api.add_router("/", duties_router)
    api.add_router("/", charter_router)
    api.add_router("/", conduct_router)
    api.add_router("/", notices_router)
    api.add_router("/public", appeals_public)
    api.add_router("/", activities_router)
    api.add_router("/public", activities_public)
    api.add_router("/", deliberation_router)
    api.add_router("/public", deliberation_public)
    api.add_router("/", doorbell_router)
    api.add_router("/public", doorbell_public)
    api.add_router("/", funds_router)
    api.add_router("/", evaluation_router)
    api.add_router("/", training_router)
    api.add_router("/", evaluation_annual_router)
    api.add_router("/", honours_router)
    api.add_router("/public", honours_public)


_register()

__all__ = ["api"]
