"""Authentication endpoints: exchange a mobile number and password for a token."""

from __future__ import annotations

from typing import Annotated, Any, cast

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from linli.accounts.models import Role, User
from linli.accounts.scope import scope_for
from linli.core.api_schemas import errors
from linli.core.errors import DomainError
from linli.core.inputs import Line, Phone, Secret

from .services import token_create

router = Router(tags=["auth"])


class TokenIn(Schema):
    phone: Phone
    password: Secret
    name: Annotated[str, Line(100)] = ""


class TokenOut(Schema):
    token: str
    user_id: int
    name: str


class MeOut(Schema):
    id: int
    name: str
    phone: str
    roles: dict[Role, list[str]] = Field(description="Unit paths where each role is held.")


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


@router.post(
    "/token", auth=None, response={200: TokenOut, **errors(400, 401)}, summary="Issue an API token"
)
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    user = authenticate(request, phone=payload.phone.strip(), password=payload.password)
    if user is None:
        raise BadCredentials(_("Wrong mobile number or password."))
    _token, key = token_create(actor=user, name=payload.name)
    return {"token": key, "user_id": user.pk, "name": user.name}


@router.get("/me", response={200: MeOut, **errors(401)}, summary="The current user and their roles")
def me(request: HttpRequest) -> dict[str, Any]:
    user = cast(User, request.user)  # the router's auth let only a signed-in user through
    scope = scope_for(user)
    return {
        "id": user.pk,
        "name": user.name,
        "phone": user.phone,
        "roles": {role: list(paths) for role, paths in scope.roles.items()},
    }
