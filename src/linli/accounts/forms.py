from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Throttled
from linli.core.inputs import DayField, IntField, LineField, SafePasswordField

from . import lockout


class LockoutMixin(forms.Form):
    """Authenticate behind the lockout (accounts/lockout.py): a locked account or
    address is refused before the password is checked, a failure is counted, a
    success resets the account's count."""

    # Set when the lockout refused this login (the view answers 429 with its wait).
    throttled: Throttled | None = None

    def clean(self) -> dict[str, Any]:
        phone = self.cleaned_data.get("username")
        if phone is None or not self.cleaned_data.get("password"):
            super().clean()
            return self.cleaned_data
        request = getattr(self, "request", None)
        try:
            lockout.refuse_if_locked(request, phone)
            try:
                super().clean()
            except forms.ValidationError:
                lockout.failed(request, phone)
                raise
        except Throttled as exc:
            self.throttled = exc
            raise forms.ValidationError(exc.message, code="throttled") from None
        lockout.succeeded(phone, self.get_user())  # type: ignore[attr-defined]
        return self.cleaned_data


class LoginForm(LockoutMixin, AuthenticationForm):
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


class OtpCodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = LineField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class TokenCreateForm(forms.Form):
    """A new API token from the account page."""

    name = LineField(label=_("Name"), max_length=100, required=False)
    scope = forms.ChoiceField(
        label=_("May"),
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
        initial="read",
        widget=forms.RadioSelect,
    )
    expires_in_days = IntField(label=_("Valid for (days)"), min_value=1)

    def __init__(self, *args: object, max_days: int, default_days: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["expires_in_days"]
        assert isinstance(field, forms.IntegerField)
        field.max_value = max_days
        field.initial = default_days
        field.validators.append(MaxValueValidator(max_days))
        field.widget.attrs.update({"max": max_days, "inputmode": "numeric"})


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    """The admin site's login, behind the same lockout (accounts/admin.py sets it)."""

    username = LineField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = SafePasswordField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


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
