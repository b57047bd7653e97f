"""Pages of the login by SMS code: ask for a code, enter it, optionally set a password.

Its own URLs and templates, linked from the login page; the password login is
untouched. A correct code logs in with Django's `login()`, exactly as the password
form does, so whatever follows a login (a second factor for some roles) follows this
one too.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from linli.core import ratelimit
from linli.core.errors import DomainError
from linli.core.masking import mask_phone

from . import sms_login
from .models import User
from .sms_forms import CodeRequestForm, CodeVerifyForm

SESSION_PHONE = "linli_code_login_phone"
SESSION_NEXT = "linli_code_login_next"
SESSION_OFFER = "linli_code_login_offer_password"


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _backend() -> str:
    return str(settings.AUTHENTICATION_BACKENDS[0])


@never_cache
@require_http_methods(["GET", "POST"])
def code_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile number. The answer is the same whether it has an account."""
    nxt = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = CodeRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                phone = sms_login.code_request(
                    phone=form.cleaned_data["phone"], client=ratelimit.client_key(request)
                )
            except DomainError as exc:
                form.add_error("phone", exc.message)
                status = exc.status
            else:
                request.session[SESSION_PHONE] = phone
                request.session[SESSION_NEXT] = nxt
                messages.info(
                    request,
                    _("If %(phone)s has an account, a code has been sent to it by SMS.")
                    % {"phone": mask_phone(phone)},
                )
                return redirect("accounts:code_verify")
    return render(request, "accounts/code_login.html", {"form": form, "next": nxt}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def code_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code. A correct one logs in; then a password is offered."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:  # no code asked for in this session: step 1
        return render(request, "accounts/code_login.html", {"form": CodeRequestForm(), "next": ""})
    if request.method == "POST" and "resend" in request.POST:
        return _resend(request, phone)
    form = CodeVerifyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                user = sms_login.code_verify(
                    phone=phone,
                    code=form.cleaned_data["code"],
                    client=ratelimit.client_key(request),
                )
            except DomainError as exc:
                form.add_error("code", exc.message)
                status = exc.status
            else:
                nxt = request.session.get(SESSION_NEXT) or ""
                auth_login(request, user, backend=_backend())
                # login() cycles the session key and keeps its data; drop the flow's.
                request.session.pop(SESSION_PHONE, None)
                request.session.pop(SESSION_NEXT, None)
                if not user.has_usable_password():
                    request.session[SESSION_OFFER] = nxt or ""
                    return redirect("accounts:code_password")
                return redirect(nxt or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/code_verify.html",
        {"form": form, "phone_masked": mask_phone(phone), "throttled": status == 429},
        status=status,
    )


def _resend(request: HttpRequest, phone: str) -> HttpResponse:
    try:
        sms_login.code_request(phone=phone, client=ratelimit.client_key(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(
            request,
            _("If %(phone)s has an account, a code has been sent to it by SMS.")
            % {"phone": mask_phone(phone)},
        )
    return redirect("accounts:code_verify")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def code_password(request: HttpRequest) -> HttpResponse:
    """Offered once after a login by code: set a password, or go on without one."""
    if SESSION_OFFER not in request.session:
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = cast(User, request.user)
    nxt = _safe_next(request, request.session.get(SESSION_OFFER)) or settings.LOGIN_REDIRECT_URL
    form = SetPasswordForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            sms_login.password_set(user=user, password=form.cleaned_data["new_password1"])
            update_session_auth_hash(request, user)
            request.session.pop(SESSION_OFFER, None)
            messages.success(request, _("Your password has been set."))
            return redirect(nxt)
        status = 400
    context: dict[str, Any] = {"form": form, "skip": resolve_url(nxt)}
    return render(request, "accounts/code_password.html", context, status=status)
