"""Authentication endpoints: exchange a mobile number and password (and the two-factor
code, for a user who has one) for a token; list and revoke one's own tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from linli.accounts.models import ApiToken, Role, TokenScope, User
from linli.accounts.scope import scope_for
from linli.core.api_schemas import errors
from linli.core.errors import DomainError
from linli.core.inputs import Id, Line, Phone, Secret, bounded

from . import lockout, twofactor
from .services import token_create, token_revoke

router = Router(tags=["auth"])


class TokenIn(Schema):
    phone: Phone
    password: Secret
    otp: Annotated[str, Line(20)] = Field(
        "",
        description="The two-factor code (authenticator or recovery code); required for a "
        "user who has turned two-factor on.",
    )
    name: Annotated[str, Line(100)] = Field("", description="A name to recognise the token by.")
    scopes: list[TokenScope] | None = Field(
        None,
        max_length=2,
        description="`read` (GET only) and/or `write`; default both.",
    )
    expires_in_days: Annotated[int, bounded(1, 36_500)] | None = Field(
        None, description="Lifetime in days; default and maximum are set by the site."
    )


class TokenOut(Schema):
    token: str = Field(description="The key: shown only in this answer.")
    id: int
    user_id: int
    name: str
    scopes: list[TokenScope]
    expires_at: datetime


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    scopes: list[TokenScope]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class MeOut(Schema):
    id: int
    name: str
    phone: str
    roles: dict[Role, list[str]] = Field(description="Unit paths where each role is held.")


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


class OtpRequired(DomainError):
    """The password was right, but this user must also send a two-factor code."""

    status = 401
    code = "otp_required"


class OtpInvalid(DomainError):
    status = 401
    code = "otp_invalid"


class OtpEnrolRequired(DomainError):
    """The user's role requires two-factor and they have not turned it on yet."""

    status = 403
    code = "otp_enrol_required"


def _second_factor(user: User, code: str) -> None:
    """A user with two-factor sends its code; one who must have it and has not enrolled
    gets no token until they do (on the web)."""
    if twofactor.has_device(user):
        if not code.strip():
            raise OtpRequired(_("Send your two-factor code in `otp`."))
        try:
            twofactor.check_code(user=user, code=code)
        except DomainError:
            raise OtpInvalid(_("That two-factor code is wrong or has expired.")) from None
    elif twofactor.required_for(user):
        raise OtpEnrolRequired(
            _(
                "Your role requires two-factor authentication: turn it on after logging in on the web."
            )
        )


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, **errors(400, 401, 403, 429)},
    summary="Issue an API token",
    description="The password, and for a user with two-factor authentication the code "
    "(`otp`): 401 `otp_required` without it, `otp_invalid` when wrong; 403 "
    "`otp_enrol_required` for a user whose role requires two-factor and who has not "
    "turned it on. Failed attempts lock the account and the client address for a while "
    "(429 with `Retry-After`); see docs/security.md.",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    lockout.refuse_if_locked(request, payload.phone)
    user = authenticate(request, phone=payload.phone.strip(), password=payload.password)
    if user is None:
        lockout.failed(request, payload.phone)
        raise BadCredentials(_("Wrong mobile number or password."))
    try:
        _second_factor(user, payload.otp)
    except OtpInvalid:
        lockout.failed(request, payload.phone)  # a wrong code counts as a failed attempt
        raise
    lockout.succeeded(payload.phone)
    token, key = token_create(
        actor=user,
        name=payload.name,
        scopes=None if payload.scopes is None else [s.value for s in payload.scopes],
        expires_in_days=payload.expires_in_days,
    )
    return {
        "token": key,
        "id": token.pk,
        "user_id": user.pk,
        "name": user.name,
        "scopes": token.scopes,
        "expires_at": token.expires_at,
    }


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.is_live(),
    }


@router.get(
    "/tokens",
    response={200: list[ApiTokenOut], **errors(401, 403)},
    summary="My API tokens",
    description="The caller's own tokens, newest first; never their keys.",
)
def tokens(request: HttpRequest) -> list[dict[str, Any]]:
    user = cast(User, request.user)
    return [
        _token_out(t) for t in ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    ]


@router.delete(
    "/tokens/{token_id}",
    response={200: ApiTokenOut, **errors(400, 401, 403, 404)},
    summary="Revoke one of my API tokens",
)
def revoke_token(request: HttpRequest, token_id: Id) -> dict[str, Any]:
    user = cast(User, request.user)
    return _token_out(token_revoke(actor=user, token_id=token_id))


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
