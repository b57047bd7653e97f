from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import DayField, LineField, SafePasswordField


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


class AuditFilterForm(forms.Form):
    """The audit log's filters: a date range (local days), action, actor, target."""

    start = DayField(label=_("From"), required=False)
    end = DayField(label=_("To"), required=False)
    action = LineField(label=_("Action"), max_length=50, required=False)
    actor = LineField(label=_("Actor (mobile or name)"), max_length=50, required=False)
    target_type = LineField(label=_("Target type"), max_length=50, required=False)
    target_id = LineField(label=_("Target id"), max_length=50, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data
