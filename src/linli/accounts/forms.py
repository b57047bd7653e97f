from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import LineField, SafePasswordField


class LoginForm(AuthenticationForm):
    username = LineField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "username"}
        ),
    )
    password = SafePasswordField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("Wrong mobile number or password."),
        "inactive": _("This account is disabled."),
    }
