"""Account pages: the login page (Django's, behind the lockout), the second login step,
two-factor enrolment, and the account page (我的账户) with its two-factor settings and
API tokens.

The second step is a view of its own after `login`: `middleware.TwoFactorMiddleware`
sends a session that owes a code here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import DomainError
from linli.core.masking import mask_phone

from . import services, twofactor
from .forms import LoginForm, OtpCodeForm, TokenCreateForm
from .models import ApiToken, Role
from .scope import scope_for

if TYPE_CHECKING:
    from .models import User

    class _SignedInRequest(HttpRequest):
        user: User  # behind login_required


class LoginView(auth_views.LoginView):
    """Django's login page with our form; a login the lockout refuses answers 429
    with `Retry-After`, the form saying how many minutes to wait."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.throttled is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled.retry_after)
        return response


def _next(request: HttpRequest) -> str:
    """Where to go after the second step: `next` when it is one of ours, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _token_form(data: Any = None) -> TokenCreateForm:
    return TokenCreateForm(
        data,
        max_days=settings.LINLI["TOKEN_MAX_DAYS"],
        default_days=settings.LINLI["TOKEN_DAYS"],
    )


@login_required
def otp_verify(request: _SignedInRequest) -> HttpResponse:
    """The second step of logging in: a code from the app, or a recovery code."""
    user = request.user
    owed = twofactor.pending(user)
    if owed == "enrol":
        return redirect(f"{resolve_url('accounts:otp_enrol')}?{request.GET.urlencode()}")
    if owed is None:
        return redirect(_next(request))
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.verify(request, user, form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            if device.name == twofactor.RECOVERY_DEVICE:
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)d left. Make new ones on your account page.")
                    % {"n": left},
                )
            return redirect(_next(request))
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )


@login_required
def otp_enrol(request: _SignedInRequest) -> HttpResponse:
    """Turn on two-factor: scan the QR code (or type the key), confirm with a first code,
    then see the recovery codes once."""
    user = request.user
    # An enrolled user may replace the authenticator (a new phone) once verified.
    if twofactor.has_device(user) and not twofactor.is_verified(user):
        return redirect("accounts:otp_verify")
    device = twofactor.enrol_start(user=user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.enrol_confirm(request, user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            return render(
                request,
                "accounts/otp_recovery_codes.html",
                {"codes": codes, "enrolled": True, "next": _next(request)},
            )
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.secret_of(device),
            "required": twofactor.required_for(user),
            "replacing": twofactor.has_device(user),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
@require_POST
def otp_recovery(request: _SignedInRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    try:
        codes = twofactor.recovery_regenerate(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:me")
    return render(
        request,
        "accounts/otp_recovery_codes.html",
        {"codes": codes, "enrolled": False, "next": resolve_url("accounts:me")},
    )


@login_required
@require_POST
def otp_disable(request: _SignedInRequest) -> HttpResponse:
    form = OtpCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a code from your app to turn two-factor off."))
        return redirect("accounts:me")
    try:
        twofactor.disable(actor=request.user, code=form.cleaned_data["code"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:me")


def _account_page(
    request: _SignedInRequest,
    token_form: TokenCreateForm | None = None,
    new_key: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    scope = scope_for(user)
    roles = [Role(r).label for r in sorted(scope.roles) if r in Role.values]
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    enrolled = twofactor.has_device(user)
    return render(
        request,
        "accounts/me.html",
        {
            "account": user,
            "phone": mask_phone(user.phone),
            "roles": roles,
            "enrolled": enrolled,
            "required": twofactor.required_for(user),
            "recovery_left": twofactor.recovery_codes_left(user) if enrolled else 0,
            "tokens": tokens,
            "token_form": token_form or _token_form(),
            "disable_form": OtpCodeForm(),
            "new_key": new_key,
        },
        status=status,
    )


@login_required
def me(request: _SignedInRequest) -> HttpResponse:
    """我的账户: who I am, my roles, two-factor, my API tokens."""
    return _account_page(request)


@login_required
@require_POST
def token_create(request: _SignedInRequest) -> HttpResponse:
    """Issue a token; its key is shown on the answer page, once."""
    form = _token_form(request.POST)
    if not form.is_valid():
        return _account_page(request, token_form=form, status=400)
    scopes = ["read", "write"] if form.cleaned_data["scope"] == "write" else ["read"]
    try:
        _token, key = services.token_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            scopes=scopes,
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _account_page(request, token_form=form, status=400)
    return _account_page(request, new_key=key)


@login_required
@require_POST
def token_revoke(request: _SignedInRequest, pk: int) -> HttpResponse:
    services.token_revoke(actor=request.user, token_id=pk)  # NotFound -> 404
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:me")
