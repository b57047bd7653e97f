from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Throttled

from . import lockout


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "username"}
        ),
    )
    error_messages = {
        "invalid_login": _("Wrong mobile number or password."),
        "inactive": _("This account is disabled."),
    }
    # Set when the lockout refused this login (the view answers 429 with its wait).
    throttled: Throttled | None = None

    def clean(self) -> dict[str, Any]:
        """Authenticate behind the lockout (accounts/lockout.py)."""
        phone = self.cleaned_data.get("username")
        if phone is None or not self.cleaned_data.get("password"):
            return super().clean()
        try:
            lockout.refuse_if_locked(self.request, phone)
            try:
                cleaned = super().clean()
            except forms.ValidationError:
                lockout.failed(self.request, phone)
                raise
        except Throttled as exc:
            self.throttled = exc
            raise forms.ValidationError(exc.message, code="throttled") from None
        lockout.succeeded(phone)
        return cleaned
