from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _


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


class OtpCodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class TokenCreateForm(forms.Form):
    """A new API token from the account page."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    scope = forms.ChoiceField(
        label=_("May"),
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
        initial="read",
        widget=forms.RadioSelect,
    )
    expires_in_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1)

    def __init__(self, *args: object, max_days: int, default_days: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["expires_in_days"]
        assert isinstance(field, forms.IntegerField)
        field.max_value = max_days
        field.initial = default_days
        field.validators.append(MaxValueValidator(max_days))
        field.widget.attrs.update({"max": max_days, "inputmode": "numeric"})
