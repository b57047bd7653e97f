"""Login by SMS code for the phone app: ask for a code, exchange it for an API token.

The same service as the login page (`accounts.sms_login`): asking answers the same
whether or not the number has an account, and both steps are throttled (429 with
`Retry-After`).
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from linli.core import ratelimit
from linli.core.api_schemas import errors
from linli.core.inputs import Line, Phone

from . import sms_login
from .services import token_create

router = Router(tags=["auth"])


class LoginCodeIn(Schema):
    phone: Phone = Field(description="The account's mobile number.")


class LoginCodeSentOut(Schema):
    sent: bool = Field(
        description="Always true: a code is sent only when the number has an account, "
        "and the answer does not say whether it has."
    )
    expires_in: int = Field(description="Seconds a code stays valid.")


class LoginCodeTokenIn(Schema):
    phone: Phone
    code: Annotated[str, Line(12)] = Field(description="The 6-digit code from the SMS.")
    name: Annotated[str, Line(100)] = Field("", description="A name for the token (the device).")


class LoginCodeTokenOut(Schema):
    token: str
    user_id: int
    name: str


@router.post(
    "/code",
    auth=None,
    response={202: LoginCodeSentOut, **errors(400, 429)},
    summary="Send a login code by SMS",
)
def code_send(request: HttpRequest, payload: LoginCodeIn) -> Any:
    sms_login.code_request(phone=payload.phone, client=ratelimit.client_key(request))
    return Status(202, {"sent": True, "expires_in": sms_login.ttl_seconds()})


@router.post(
    "/code/token",
    auth=None,
    response={200: LoginCodeTokenOut, **errors(400, 429)},
    summary="Exchange a login code for an API token",
)
def code_token(request: HttpRequest, payload: LoginCodeTokenIn) -> dict[str, Any]:
    user = sms_login.code_verify(
        phone=payload.phone, code=payload.code, client=ratelimit.client_key(request)
    )
    _token, key = token_create(actor=user, name=payload.name)
    return {"token": key, "user_id": user.pk, "name": user.name}
