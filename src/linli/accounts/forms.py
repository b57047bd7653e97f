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


class AuditFilterForm(forms.Form):
    """The audit log's filters: a date range (local days), action, actor, target."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    action = forms.CharField(label=_("Action"), max_length=50, required=False)
    actor = forms.CharField(label=_("Actor (mobile or name)"), max_length=50, required=False)
    target_type = forms.CharField(label=_("Target type"), max_length=50, required=False)
    target_id = forms.CharField(label=_("Target id"), max_length=50, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not 2000 <= day.year <= 2100:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data
