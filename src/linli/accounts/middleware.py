"""A session that owes its second step goes there before anything else.

After the password, a user with an authenticator must give a code (the verify page),
and a user whose role requires two-factor but who has not enrolled must enrol (the
enrolment page). Until then every page sends them there, except the two-factor pages
themselves, login, logout, the language switch and static files; the API answers a
session 403 `{code: "otp_required"}`. A bearer-token request is left to the token,
which was issued only after the code (`accounts.api.issue_token`): the session's user is
dropped so the session cannot stand in for the token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import twofactor

API_PREFIX = "/api/"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    @cached_property
    def exempt(self) -> tuple[str, ...]:
        return (
            reverse("accounts:otp_verify"),
            reverse("accounts:otp_enrol"),
            reverse("accounts:login"),
            reverse("accounts:logout"),
            reverse("set_language"),
            reverse("api:api-root") + "auth/token",
            settings.STATIC_URL or "/static/",
            "/favicon.ico",
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if path.startswith(self.exempt):
            return self.get_response(request)
        owed = twofactor.pending(request.user)
        if owed is None:
            return self.get_response(request)
        if path.startswith(API_PREFIX):
            if request.headers.get("Authorization"):
                request.user = AnonymousUser()
                return self.get_response(request)
            return JsonResponse(
                {
                    "code": "otp_required",
                    "message": _("Finish logging in with your two-factor code first."),
                },
                status=403,
            )
        target = reverse("accounts:otp_verify" if owed == "verify" else "accounts:otp_enrol")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
