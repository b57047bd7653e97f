"""The HTTP API at /api/v1/ (OpenAPI page at /api/v1/docs).

Authentication: the browser session (with CSRF) or `Authorization: Bearer <token>`.
Domain errors become JSON {"code", "message"} with their HTTP status.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import HttpBearer, django_auth

from linli.accounts.services import token_authenticate
from linli.core.errors import DomainError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="linli API",
    version="1",
    description="邻里 grassroots-governance platform",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
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
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _register() -> None:
    from linli.accounts.api import router as accounts_router
    from linli.appeals.api import public as appeals_public
    from linli.appeals.api import router as appeals_router
    from linli.duties.api import router as duties_router
    from linli.notify.api import router as notify_router
    from linli.org.api import router as org_router

    api.add_router("/auth", accounts_router)
    api.add_router("/", org_router)
    api.add_router("/", notify_router)
    api.add_router("/", appeals_router)
    api.add_router("/", duties_router)
    api.add_router("/public", appeals_public)


_register()

__all__ = ["api"]
