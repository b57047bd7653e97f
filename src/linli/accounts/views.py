"""Account pages: the login page (Django's, behind the lockout)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from .forms import LoginForm


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
